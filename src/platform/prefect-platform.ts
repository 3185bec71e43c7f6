import { ApiObject, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { PrefectVersion } from '../core/prefect-version';
import { recommendedLabels, stableLabels } from '../core/private/labels';
import { checkNamespaceToCreate, podSecurityNamespace, PodSecurityEnforcement, setEnforcement } from '../core/private/namespaces';
import { register } from '../core/private/registry';
import { checkBooleans, checkInstance, checkLabels, checkLists, checkNamespaceName, checkRequired, propError } from '../core/private/validation';
import { warn } from '../core/private/warnings';
import { ValidationCode } from '../core/validation-code';
import { WarningCode } from '../core/warning-code';
import { DaskScratch } from '../dask/dask-scratch';
import { DaskScratchProps } from '../dask/dask-scratch-props';
import { NetworkIsolation } from '../network/network-isolation';
import { PrefectNetworkPolicies } from '../network/prefect-network-policies';
import { PrefectApi } from '../server/prefect-api';
import { PrefectIngress, PrefectIngressOptions } from '../server/prefect-ingress';
import { PrefectConnection } from '../workers/prefect-connection';
import { PrefectWorkerPool } from '../workers/prefect-worker-pool';
import { PrefectWorkerPoolOptions } from '../workers/worker-pool-options';
import { PlatformServer } from './platform-server';

const RESERVED_LABEL_PREFIXES = ['app.kubernetes.io/', 'pod-security.kubernetes.io/'];

/** A work pool of a `PrefectPlatform`: a `PrefectWorkerPool` connected to the platform's server. */
export interface PrefectPlatformWorkerPoolOptions extends PrefectWorkerPoolOptions {
  /**
   * Let the pool's flow runs start throwaway Dask clusters from the platform's `dask`.
   * @default false
   */
  readonly useDask?: boolean;
}

/** Properties of a `PrefectPlatform`. */
export interface PrefectPlatformProps {
  /**
   * The namespace of the server, the workers and (unless a pool sends them elsewhere) the flow runs.
   * @default "prefect"
   */
  readonly namespace?: string;

  /**
   * Create the namespace, and each pool's job namespace (`jobTemplate.namespace`), with Pod Security
   * admission enforcing "restricted" (or "baseline", with "restricted" warnings, where a pool launches
   * pods whose spec is made outside this library). The chart then owns them: deleting it deletes
   * them and all they hold, so keep databases and other workloads elsewhere, or set `false` (also
   * when the namespaces exist already). `additionalJobNamespaces` are never created; a dedicated
   * Dask namespace (`dask.namespace`) always is, by the `DaskScratch`.
   * @default true
   */
  readonly createNamespaces?: boolean;

  /**
   * Labels added to every object of the chart (their metadata, not their pod templates). Keys
   * under `app.kubernetes.io/` and `pod-security.kubernetes.io/` are the constructs' own.
   * @default none
   */
  readonly labels?: { [key: string]: string };

  /**
   * The Prefect API: a server the platform deploys, or one elsewhere (Prefect Cloud, a URL).
   * @default PlatformServer.deploy(): Prefect 3 on SQLite, one pod
   */
  readonly server?: PlatformServer;

  /**
   * An Ingress in front of the server, with TLS and access control (see `PrefectIngress`). A server
   * has one: give it here, or later with `addIngress`.
   * @default none: reach the UI with `kubectl port-forward`
   */
  readonly ingress?: PrefectIngressOptions;

  /**
   * The work pools, each with its workers (see `PrefectWorkerPool`). More can be added with
   * `addWorkerPool`.
   * @default none
   */
  readonly workerPools?: PrefectPlatformWorkerPoolOptions[];

  /**
   * Throwaway Dask clusters for the flow runs of the pools with `useDask` (see `DaskScratch`).
   * @default none
   */
  readonly dask?: DaskScratchProps;

  /**
   * NetworkPolicies around the platform's pods.
   * @default NetworkIsolation.defaultDeny()
   */
  readonly networkPolicies?: NetworkIsolation;
}

/**
 * A chart with the whole Prefect topology in one namespace: the server (or a connection to one
 * elsewhere), its ingress, work pools with their workers and RBAC, throwaway Dask clusters, and
 * NetworkPolicies around all of it, each with its secure defaults.
 */
export class PrefectPlatform extends Chart {
  /** The platform's namespace. */
  public readonly namespaceName: string;
  /** The server, when the platform deploys one. */
  public readonly api?: PrefectApi;
  /** How the workers reach the Prefect API. */
  public readonly connection: PrefectConnection;
  /** The Dask clusters' spec, RBAC and cleanup, when `dask` is set. */
  public readonly dask?: DaskScratch;
  /** The NetworkPolicies, unless `NetworkIsolation.none()`. */
  public readonly networkPolicies?: PrefectNetworkPolicies;

  private readonly poolGroup: Construct;
  private readonly namespaceGroup?: Construct;
  private readonly createdNamespaces = new Map<string, ApiObject>();
  private readonly poolsByPoolName = new Map<string, PrefectWorkerPool>();
  /** The pools in the order they were added, by the name of their objects. */
  private readonly poolsByName = new Map<string, PrefectWorkerPool>();
  /** Namespaces where a pool launches pods whose spec is made outside this library. */
  private readonly foreignPodNamespaces = new Set<string>();

  public constructor(scope: Construct, id: string, props: PrefectPlatformProps = {}) {
    // null from JavaScript or Python stands for no props, as undefined does.
    props = props ?? {};
    const namespace = props.namespace ?? 'prefect';
    super(scope, id, { namespace, labels: props.labels });
    register(this);
    checkNamespaceName(this, 'namespace', namespace);
    checkLabels(this, 'labels', props.labels);
    // The library's own labels win over the chart's: a user's value would silently vanish.
    const reserved = Object.keys(props.labels ?? {}).find(k => RESERVED_LABEL_PREFIXES.some(prefix => k.startsWith(prefix)));
    if (reserved) {
      throw propError(this, 'labels', reserved, `keys outside ${RESERVED_LABEL_PREFIXES.join(' and ')}, which the constructs set`, ValidationCode.RESERVED);
    }
    this.namespaceName = namespace;
    const server = props.server ?? PlatformServer.deploy();
    // Namespaces go first in the output, so that kubectl creates them before what they hold.
    if (props.createNamespaces !== false) this.namespaceGroup = new Construct(this, 'Namespaces');

    if (server._apiProps) {
      this.api = new PrefectApi(this, 'Server', server._apiProps);
      this.connection = PrefectConnection.inCluster(this.api);
      this.createNamespace(namespace, this.api.image.version, 'namespace');
    } else {
      this.connection = server._connection!;
      this.createNamespace(namespace, undefined, 'namespace');
    }
    if (props.ingress) this.addIngress(props.ingress);
    if (props.dask) {
      // The dedicated namespace gets the Dask quota and limits, which would bind the server and workers.
      if (props.dask.namespace === namespace) {
        throw propError(this, 'dask.namespace', props.dask.namespace,
          `a namespace other than the platform's (${namespace}), or unset to run the clusters beside the flow runs`, ValidationCode.PLACEMENT);
      }
      this.dask = new DaskScratch(this, 'Dask', props.dask);
    }
    const isolation = props.networkPolicies ?? NetworkIsolation.defaultDeny();
    if (isolation._options) {
      this.networkPolicies = new PrefectNetworkPolicies(this, 'NetworkPolicies', { ...isolation._options, api: this.api });
    }
    this.poolGroup = new Construct(this, 'WorkerPools');
    checkLists(this, { workerPools: props.workerPools }, 'options');
    checkBooleans(this, { createNamespaces: props.createNamespaces });
    checkInstance(this, 'networkPolicies', props.networkPolicies, NetworkIsolation, 'NetworkIsolation.defaultDeny({ ... }) or NetworkIsolation.none()');
    (props.workerPools ?? []).forEach((pool, i) => {
      checkRequired(this, `workerPools[${i}]`, pool, 'the options of a pool');
      this.addPool(pool, `workerPools[${i}]`);
    });
    this.node.addValidation({ validate: () => this.problems() });
  }

  /** The work pools. */
  public get workerPools(): PrefectWorkerPool[] {
    return [...this.poolsByName.values()];
  }

  /** The ingress in front of the server, if it has one. */
  public get ingress(): PrefectIngress | undefined {
    return this.api?.ingress;
  }

  /** Adds a work pool connected to the platform's server, covered by its NetworkPolicies. */
  public addWorkerPool(options: PrefectPlatformWorkerPoolOptions): PrefectWorkerPool {
    checkRequired(this, 'addWorkerPool', options, 'the options of a pool');
    return this.addPool(options, 'addWorkerPool');
  }

  /** Puts an Ingress in front of the platform's server (see `PrefectIngress`). */
  public addIngress(options: PrefectIngressOptions): PrefectIngress {
    checkRequired(this, 'addIngress', options, '{ hosts, tls, accessControl }');
    if (!this.api) {
      throw propError(this, 'ingress', Array.isArray(options.hosts) ? options.hosts.join(',') : options.hosts,
        'unset unless the platform deploys its server (PlatformServer.deploy()): an external server is exposed where it runs', ValidationCode.CONFLICT);
    }
    return this.api.exposeViaIngress(options);
  }

  private addPool(options: PrefectPlatformWorkerPoolOptions, prop: string): PrefectWorkerPool {
    const { useDask, ...poolOptions } = options;
    checkBooleans(this, { [`${prop}.useDask`]: useDask });
    if (useDask && !this.dask) {
      throw propError(this, `${prop}.useDask`, true, 'false unless the platform has dask (the props\' dask: DaskScratchProps)', ValidationCode.CONFLICT);
    }
    // The id comes from the names: a number or an empty string there would fail in constructs.
    for (const key of ['name', 'poolName'] as const) {
      const value: unknown = options[key];
      if (value !== undefined && (typeof value !== 'string' || value === '')) throw propError(this, `${prop}.${key}`, value, 'a non-empty string', ValidationCode.FORMAT);
    }
    const id = options.name ?? options.poolName ?? 'default';
    const sameId = this.poolGroup.node.tryFindChild(id);
    if (sameId) {
      throw propError(this, prop, id, `a pool whose name, or unset its poolName, differs from every other pool's (${sameId.node.path} has it)`, ValidationCode.COLLISION);
    }
    const pool = new PrefectWorkerPool(this.poolGroup, id, { ...poolOptions, connection: this.connection, dask: useDask ? this.dask : undefined });
    const samePool = pool.poolName === undefined ? undefined : this.poolsByPoolName.get(pool.poolName);
    if (samePool) {
      throw propError(this, `${prop}.poolName`, pool.poolName,
        `a work pool no other pool of the platform serves (${samePool.node.path} does): each would apply its own base job template to it`, ValidationCode.COLLISION);
    }
    const sameName = this.poolsByName.get(pool.name);
    if (sameName) {
      throw propError(this, `${prop}.name`, pool.name, `a name no other pool's objects have (${sameName.node.path} has it)`, ValidationCode.COLLISION);
    }
    const runs = pool._networkProfile().flowRuns;
    const daskNamespace = this.dask?.namespace;
    if (daskNamespace !== undefined && runs?.namespaces.includes(daskNamespace)) {
      throw propError(this, `${prop}.jobTemplate.namespace`, daskNamespace,
        `a namespace other than the Dask clusters' (${daskNamespace}), whose quota and Pod Security are for them alone`, ValidationCode.PLACEMENT);
    }
    if (pool.poolName !== undefined) this.poolsByPoolName.set(pool.poolName, pool);
    this.poolsByName.set(pool.name, pool);
    this.networkPolicies?.addWorkerPool(pool);
    // Pods whose spec is made elsewhere lower their namespaces to baseline, also one created later.
    if (runs && !runs.labelled) {
      for (const ns of runs.namespaces) {
        this.foreignPodNamespaces.add(ns);
        const namespace = this.createdNamespaces.get(ns);
        if (namespace) setEnforcement(namespace, PodSecurityEnforcement.BASELINE);
      }
      warn(this, WarningCode.POD_SECURITY_BASELINE, () => baselineWarning(prop, runs.namespaces.filter(ns => this.createdNamespaces.has(ns))));
    }
    if (pool.jobNamespace) this.createNamespace(pool.jobNamespace, pool.image.version, `${prop}.jobTemplate.namespace`);
    return pool;
  }

  private createNamespace(name: string, version: PrefectVersion | undefined, prop: string): void {
    if (!this.namespaceGroup) return;
    checkNamespaceToCreate(this, prop, name, 'or createNamespaces: false, with the namespace managed elsewhere');
    const existing = this.createdNamespaces.get(name);
    if (existing) {
      // Without a server, the platform's namespace takes the release of its first pool.
      if (version && existing.metadata.getLabel('app.kubernetes.io/version') === undefined) {
        existing.metadata.addLabel('app.kubernetes.io/version', version.version);
      }
      return;
    }
    const labels = version ? recommendedLabels(name, 'namespace', version) : stableLabels(name, 'namespace');
    const enforcement = this.foreignPodNamespaces.has(name) ? PodSecurityEnforcement.BASELINE : PodSecurityEnforcement.RESTRICTED;
    this.createdNamespaces.set(name, podSecurityNamespace(this.namespaceGroup, name, name, labels, enforcement));
  }

  private problems(): string[] {
    const problems: string[] = [];
    if (!this.api && this.poolsByName.size === 0) {
      problems.push(propError(this, 'workerPools', '(none)',
        'at least one pool (workerPools, addWorkerPool) when the server is external: the platform would deploy nothing', ValidationCode.REQUIRED).message);
    }
    if (this.dask && !this.workerPools.some(p => p._networkProfile().dask === this.dask)) {
      problems.push(propError(this, 'dask', this.dask.node.path, 'unset, or used by a pool (useDask: true)', ValidationCode.UNUSED).message);
    }
    return problems;
  }

  /** The prop through which the user named a part, for a clash of two parts' objects. @internal */
  public _partProp(part: IConstruct): string {
    return part instanceof PrefectWorkerPool ? 'workerPools' : 'name';
  }
}

/** The warning of namespaces lowered to "baseline" for a pool's flow-run pods, if the chart creates any. */
function baselineWarning(prop: string, namespaces: string[]): string | undefined {
  if (namespaces.length === 0) return undefined;
  return `${prop} launches flow-run pods whose spec is made outside this library (by an agent, from a Job spec of its own), so namespace${namespaces.length > 1 ? 's' : ''} ${namespaces.join(', ')} enforce${namespaces.length > 1 ? '' : 's'} Pod Security "baseline", with "restricted" only warned and audited: a flow-run pod may run as root there; the job template this library renders keeps "restricted"`;
}
