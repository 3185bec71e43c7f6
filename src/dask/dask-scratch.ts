import { Chart, Duration, Lazy, Size, SizeRoundingBehavior, Yaml } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PrefectImage } from '../core/prefect-image';
import { PrefectVersion } from '../core/prefect-version';
import { brand } from '../core/private/brands';
import { cronProblem } from '../core/private/cron';
import { recommendedLabels, selectorLabels } from '../core/private/labels';
import { checkNamespaceToCreate, podSecurityNamespace, PodSecurityEnforcement } from '../core/private/namespaces';
import { restrictedContainerSpec, restrictedPodSpec } from '../core/private/pod';
import { nativeSidecars, podMetadata } from '../core/private/pod-options';
import { Program, programSource } from '../core/private/programs';
import { bindRole } from '../core/private/rbac';
import { register } from '../core/private/registry';
import { checkContainerResources, toRequirements } from '../core/private/resources';
import { checkCpu, checkDns1035Label, checkInstance, checkInteger, checkRequired, checkString, checkNamespaceName, checkSeconds, checkSize, isLabelValue, mebibytesOf, propError } from '../core/private/validation';
import { ValidationCode } from '../core/validation-code';
import { DaskScratchProps } from './dask-scratch-props';
import { clusterManifest, schedulerResources, workerResources } from './private/cluster-manifest';
import { checkDaskPods, clusterAccountName, clusterAccounts, clusterPodOptions } from './private/dask-pods';
import { DASK_CONFIG_DIRECTORY, DaskJobTemplateAdditions } from './private/job-template-additions';

const EXACT = SizeRoundingBehavior.NONE;
/** Where flow-run pods find the cluster spec and the helper module. */
const SPEC_FILE = 'daskcluster.yaml';
const CLEANUP_DIRECTORY = '/etc/dask-cleanup';
const HELPER_MODULE = 'dask_scratch.py';
/** The placeholder the helper replaces with a name of the flow run's own. */

/**
 * The Role rules of dask-kubernetes' operator client (`KubeCluster`), as its documentation gives
 * them (creating, scaling, adapting and deleting clusters), namespaced, plus the scheduler's log,
 * which the client reads when the scheduler fails.
 */
const DASK_CLIENT_RULES: k8s.PolicyRule[] = [
  {
    apiGroups: ['kubernetes.dask.org'],
    resources: ['daskclusters', 'daskworkergroups', 'daskworkergroups/scale', 'daskjobs', 'daskautoscalers'],
    verbs: ['get', 'list', 'watch', 'patch', 'create', 'delete'],
  },
  { apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
];

/**
 * What flow runs need to start throwaway Dask clusters with the dask-kubernetes operator: a
 * cluster spec with scratch space and restricted pods, the client's RBAC, and (in a dedicated
 * namespace) quotas. Give it to a kubernetes work pool (`dask` prop) and flows choose
 * `DaskTaskRunner(cluster_class="dask_scratch.cluster")`.
 */
export class DaskScratch extends Construct {
  /** Name of the objects. */
  public readonly name: string;
  /** The dedicated namespace of the clusters, if any. */
  public readonly namespace?: string;
  /** The image of the schedulers and workers. */
  public readonly image: PrefectImage;
  /** The DaskCluster manifest the flow runs create (its name is replaced per flow run). */
  public readonly clusterManifest: Record<string, unknown>;

  private readonly props: DaskScratchProps;
  private readonly scratchSize: Size;
  private readonly maxSpill: Size;
  private readonly home: string;
  /** Idle timeout, cluster lifetime, finished pod and Job ages, in seconds. */
  private readonly ages: { idle: number; lifetime: number; pod: number; job: number };
  private readonly runNamespaces = new Set<string>();
  /** Attached pools: Kubernetes name → Prefect work pool name. */
  private readonly pools = new Map<string, string>();
  /** The client Role of each namespace where clusters run. */
  private readonly clientRoles = new Map<string, k8s.KubeRole>();
  /** The ConfigMap with the cluster spec and helper, in each flow-run namespace. */
  private readonly clusterConfigs = new Map<string, k8s.KubeConfigMap>();
  /** The ServiceAccount the cleanup runs as (made after the dedicated namespace's bindings to it). */
  private cleanupAccount?: k8s.KubeServiceAccount;

  public constructor(scope: Construct, id: string, props: DaskScratchProps) {
    super(scope, id);
    register(this);
    brand(this, 'DaskScratch');
    checkRequired(this, 'image', props?.image, 'a PrefectImage with dask and dask-kubernetes, such as the flows\' image');
    checkInstance(this, 'image', props.image, PrefectImage, 'a PrefectImage: PrefectImage.official() or fromRegistry()');
    checkInstance(this, 'cleanupImage', props.cleanupImage, PrefectImage, 'a PrefectImage: PrefectImage.official() or fromRegistry()');
    for (const prop of ['name', 'namespace', 'cleanupSchedule'] as const) if (props[prop] !== undefined) checkString(this, prop, props[prop]);
    for (const prop of ['scratchSize', 'maxSpill'] as const) if (props[prop] !== undefined) checkSize(this, prop, props[prop]!, 1);
    this.props = props;
    this.name = props.name ?? 'dask';
    this.namespace = props.namespace;
    this.image = props.image;
    this.image._warn(this, 'image');
    props.cleanupImage?._warn(this, 'cleanupImage');
    this.scratchSize = props.scratchSize ?? Size.gibibytes(10);
    this.maxSpill = props.maxSpill ?? Size.mebibytes(Math.floor(this.scratchSize.toMebibytes({ rounding: EXACT }) * 0.8));
    this.ages = this.validate();
    checkDaskPods(this, props);
    this.clusterManifest = this.manifest();
    const home = this.namespace ?? Chart.of(this).namespace;
    if (!home) {
      throw propError(this, 'namespace', undefined, 'a dedicated namespace, or a chart with a namespace (for the cleanup CronJob)', ValidationCode.REQUIRED);
    }
    this.home = home;

    if (this.namespace) {
      checkNamespaceToCreate(this, 'namespace', this.namespace, 'a namespace of the Dask clusters\' own, or unset to run them beside the flow runs');
      podSecurityNamespace(this, 'Namespace', this.namespace, this.labels('scratch'), PodSecurityEnforcement.RESTRICTED);
      this.quota();
      clusterAccounts(this, props, this.name, this.namespace, this.labels('cluster'));
      this.clientRole(this.namespace);
      this.cleanupRole(this.namespace, ['daskclusters']);
    }
    this.cleanup();
  }

  /**
   * Lets the flow runs of a pool start clusters: a ServiceAccount in each of its job namespaces,
   * bound to the client Role where the clusters live, and the spec and helper in a ConfigMap there.
   * Returns what the pool's job template adds.
   * @internal
   */
  public _bindPool(pool: IConstruct, poolName: string, workPoolName: string, jobNamespaces: string[]): DaskJobTemplateAdditions {
    if (this.namespace && jobNamespaces.includes(this.namespace)) {
      throw propError(pool, 'jobTemplate.namespace', this.namespace,
        `a namespace other than the Dask clusters' (${this.node.path} keeps them apart, under their own quota)`, ValidationCode.PLACEMENT);
    }
    // The cleanup finds the pool's Jobs by the label the Prefect worker gives them.
    if (!isLabelValue(workPoolName)) {
      throw propError(pool, 'poolName', workPoolName,
        `with dask, a pool name that is a label value (at most 63 letters, digits, '-', '_' and '.'): the cleanup of ${this.node.path} selects the pool's Jobs by it`, ValidationCode.FORMAT);
    }
    this.pools.set(poolName, workPoolName);
    const bind = (namespace: string, accounts: k8s.KubeServiceAccount[]) => {
      const role = this.clientRoles.get(namespace)!;
      bindRole(this, `Binding-${poolName}-${namespace}`, role, { name: `${role.name}-${poolName}`, labels: this.labels('client'), subjects: accounts });
    };
    const accounts = jobNamespaces.map(ns => {
      const account = new k8s.KubeServiceAccount(this, `Account-${poolName}-${ns}`, {
        metadata: { name: `${poolName}-dask`, namespace: ns, labels: this.labels('client') },
        automountServiceAccountToken: false,
      });
      // Several pools may share a job namespace: its spec, client Role and cleanup Role once.
      if (!this.runNamespaces.has(ns)) {
        this.runNamespaces.add(ns);
        this.configMap(ns);
        if (!this.namespace) {
          this.clientRole(ns);
          clusterAccounts(this, this.props, this.name, ns, this.labels('cluster'));
        }
        this.cleanupRole(ns, this.namespace ? ['pods', 'jobs'] : ['pods', 'jobs', 'daskclusters']);
      }
      if (!this.namespace) bind(ns, [account]);
      return account;
    });
    if (this.namespace) bind(this.namespace, accounts);
    return {
      // The same names in every job namespace: the template is one for all of them.
      serviceAccountName: accounts[0].name,
      env: [
        // The client's namespace; inside a pod dask-kubernetes would otherwise fall back to "default".
        this.namespace
          ? { name: 'DASK_KUBERNETES__NAMESPACE', value: this.namespace }
          : { name: 'DASK_KUBERNETES__NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'PYTHONPATH', value: DASK_CONFIG_DIRECTORY },
        // getpass.getuser() in KubeCluster fails for a uid without a passwd entry.
        { name: 'USER', value: 'prefect' },
      ],
      volume: { name: 'dask-scratch', configMap: { name: this.clusterConfigs.get(jobNamespaces[0])!.name } },
      volumeMount: { name: 'dask-scratch', mountPath: DASK_CONFIG_DIRECTORY, readOnly: true },
    };
  }

  /** Namespaces where the clusters run: the dedicated one, or the flow runs'. @internal */
  public get _clusterNamespaces(): string[] {
    return this.namespace ? [this.namespace] : [...this.runNamespaces];
  }

  /** The namespace of the cleanup CronJob. @internal */
  public get _home(): string {
    return this.home;
  }

  /** Selects this spec's pods of one role: `scheduler`, `worker` or `cleanup`. @internal */
  public _podSelector(role: string): k8s.LabelSelector {
    return { matchLabels: selectorLabels(this.name, `dask-${role}`) };
  }

  private validate(): DaskScratch['ages'] {
    const props = this.props;
    checkDns1035Label(this, 'name', this.name, 30);
    if (this.namespace !== undefined) checkNamespaceName(this, 'namespace', this.namespace);
    else if (props.quota !== undefined) throw propError(this, 'quota', 'set', 'unset without a dedicated namespace: a quota in the flow runs\' namespaces would bound the flow runs too', ValidationCode.CONFLICT);
    checkInteger(this, 'workers', props.workers ?? 2, 1, 1000);
    checkContainerResources(this, 'workerResources', props.workerResources);
    checkContainerResources(this, 'schedulerResources', props.schedulerResources);
    checkSize(this, 'scratchSize', this.scratchSize, 100);
    checkSize(this, 'maxSpill', this.maxSpill, 1);
    if (this.maxSpill.toMebibytes({ rounding: EXACT }) >= this.scratchSize.toMebibytes({ rounding: EXACT })) {
      throw propError(this, 'maxSpill', this.maxSpill,
        `less than scratchSize (${this.scratchSize.asString()}): at the size limit the kubelet evicts the worker, so Dask must stop spilling before`, ValidationCode.QUANTITY);
    }
    const idle = checkSeconds(this, 'idleTimeout', props.idleTimeout ?? Duration.hours(1), 60, 7 * 86400);
    const lifetime = checkSeconds(this, 'maxClusterLifetime', props.maxClusterLifetime ?? Duration.hours(24), 600, 30 * 86400);
    if (lifetime <= idle) {
      throw propError(this, 'maxClusterLifetime', `${lifetime}s`, `more than idleTimeout (${idle}s): the operator reaps idle clusters first; the lifetime catches busy ones`, ValidationCode.QUANTITY);
    }
    const pod = checkSeconds(this, 'finishedPodAge', props.finishedPodAge ?? Duration.hours(6), 60, 30 * 86400);
    const job = checkSeconds(this, 'finishedJobAge', props.finishedJobAge ?? Duration.days(1), 60, 30 * 86400);
    const cron = props.cleanupSchedule === undefined ? undefined : cronProblem(props.cleanupSchedule);
    if (cron) {
      throw propError(this, 'cleanupSchedule', props.cleanupSchedule,
        `a CronJob schedule such as "*/15 * * * *" or "@hourly", as Kubernetes reads it: ${cron}`, ValidationCode.CRON);
    }
    const quota = props.quota ?? {};
    if (quota.pods !== undefined) checkInteger(this, 'quota.pods', quota.pods, 2, 100000);
    if (quota.cpu !== undefined) checkCpu(this, 'quota.cpu', quota.cpu);
    if (quota.memory !== undefined) checkSize(this, 'quota.memory', quota.memory, 1);
    if (quota.ephemeralStorage !== undefined) checkSize(this, 'quota.ephemeralStorage', quota.ephemeralStorage, 1);
    return { idle, lifetime, pod, job };
  }

  private labels(component: string): Record<string, string> {
    return recommendedLabels(this.name, `dask-${component}`, this.image.version);
  }

  private quota(): void {
    const quota = this.props.quota ?? {};
    const memory = (quota.memory ?? Size.gibibytes(128)).asString();
    const storage = (quota.ephemeralStorage ?? Size.gibibytes(1024)).asString();
    new k8s.KubeResourceQuota(this, 'Quota', {
      metadata: { name: this.name, namespace: this.namespace, labels: this.labels('scratch') },
      spec: {
        hard: {
          'pods': k8s.Quantity.fromNumber(quota.pods ?? 50),
          'requests.cpu': k8s.Quantity.fromString((quota.cpu ?? Cpu.units(32)).amount),
          'requests.memory': k8s.Quantity.fromString(memory),
          'limits.memory': k8s.Quantity.fromString(memory),
          'requests.ephemeral-storage': k8s.Quantity.fromString(storage),
          'limits.ephemeral-storage': k8s.Quantity.fromString(storage),
        },
      },
    });
    // Containers without their own resources (a spec edited by hand) get the scheduler's, and none
    // may exceed the largest of this spec's.
    const scheduler = this.schedulerResources();
    const worker = this.workerResources();
    const defaults = toRequirements(scheduler);
    const larger = (a: Size, b: Size) => k8s.Quantity.fromString((mebibytesOf(a) >= mebibytesOf(b) ? a : b).asString());
    new k8s.KubeLimitRange(this, 'Limits', {
      metadata: { name: this.name, namespace: this.namespace, labels: this.labels('scratch') },
      spec: {
        limits: [{
          type: 'Container',
          defaultRequest: defaults.requests,
          default: defaults.limits,
          max: {
            'memory': larger(scheduler.memory!.limit!, worker.memory!.limit!),
            'ephemeral-storage': larger(scheduler.ephemeralStorage!.limit!, worker.ephemeralStorage!.limit!),
          },
        }],
      },
    });
  }

  /** Who may delete what the cleanup removes, in one namespace. */
  private cleanupRole(namespace: string, resources: Array<'pods' | 'jobs' | 'daskclusters'>): void {
    const groups = { pods: '', jobs: 'batch', daskclusters: 'kubernetes.dask.org' };
    const labels = this.labels('cleanup');
    const role = new k8s.KubeRole(this, `CleanupRole-${namespace}`, {
      metadata: { name: `${this.name}-cleanup`, namespace, labels },
      rules: resources.map(r => ({ apiGroups: [groups[r]], resources: [r], verbs: ['list', 'delete'] })),
    });
    bindRole(this, `CleanupBinding-${namespace}`, role, { labels, subjects: () => [this.cleanupAccount!] });
  }

  /**
   * A CronJob that deletes, by label and age, what throwaway clusters and failed runs leave behind.
   * It runs a Python script against the Kubernetes API: the official kubectl image has no shell to
   * compare ages with.
   */
  private cleanup(): void {
    const props = this.props;
    const image = props.cleanupImage ?? cleanupImage(this.image.version);
    const labels = this.labels('cleanup');
    const metadata = { name: `${this.name}-cleanup`, namespace: this.home, labels };
    const account = new k8s.KubeServiceAccount(this, 'CleanupAccount', {
      metadata: { ...metadata, annotations: props.cleanupPod?.serviceAccount?.annotations },
      automountServiceAccountToken: false,
    });
    this.cleanupAccount = account;
    const script = new k8s.KubeConfigMap(this, 'CleanupScript', { metadata, data: { 'cleanup.py': programSource(Program.DASK_CLEANUP) } });
    const container = restrictedContainerSpec({
      name: 'cleanup',
      image: image.reference,
      args: ['python', `${CLEANUP_DIRECTORY}/cleanup.py`],
      // Rendered at synth, in one place: pools bind their namespaces after construction.
      env: Lazy.any({ produce: () => this.cleanupEnv() }),
      resources: {
        requests: { 'cpu': k8s.Quantity.fromString('50m'), 'memory': k8s.Quantity.fromString('128Mi'), 'ephemeral-storage': k8s.Quantity.fromString('16Mi') },
        limits: { 'memory': k8s.Quantity.fromString('256Mi'), 'ephemeral-storage': k8s.Quantity.fromString('64Mi') },
      },
      volumeMounts: [{ name: 'script', mountPath: CLEANUP_DIRECTORY, readOnly: true }],
    });
    const cronJob = new k8s.KubeCronJob(this, 'Cleanup', {
      metadata,
      spec: {
        schedule: props.cleanupSchedule?.trim() ?? '*/15 * * * *',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 300,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: 600,
            ttlSecondsAfterFinished: 86400,
            template: {
              metadata: podMetadata(props.cleanupPod, labels),
              // It deletes through the Kubernetes API.
              spec: restrictedPodSpec({
                serviceAccountName: account.name,
                callsKubernetesApi: true,
                restartPolicy: 'Never',
                containers: [container],
                volumes: [{ name: 'script', configMap: { name: script.name } }],
                options: { scope: this, prop: 'cleanupPod', options: props.cleanupPod },
              }),
            },
          },
        },
      },
    });
    nativeSidecars(cronJob, ['spec', 'jobTemplate', 'spec', 'template', 'spec'], props.cleanupPod);
  }

  /** What the cleanup deletes, by namespace, label and age, once every pool is bound. */
  private cleanupEnv(): k8s.EnvVar[] {
    return [
      { name: 'CLUSTER_NAMESPACES', value: this._clusterNamespaces.join(',') },
      { name: 'RUN_NAMESPACES', value: [...this.runNamespaces].join(',') },
      { name: 'CLUSTER_SELECTOR', value: `app.kubernetes.io/instance=${this.name},app.kubernetes.io/component=dask-cluster` },
      // Only what this spec's pools and clusters leave: other pools may keep theirs longer.
      { name: 'RUN_POD_SELECTOR', value: `app.kubernetes.io/component=flow-run,app.kubernetes.io/instance in (${[...this.pools.keys()].join(',')})` },
      { name: 'DASK_POD_SELECTOR', value: `dask.org/component,app.kubernetes.io/instance=${this.name}` },
      { name: 'JOB_SELECTOR', value: `prefect.io/flow-run-id,prefect.io/work-pool-name in (${[...new Set(this.pools.values())].join(',')})` },
      { name: 'MAX_CLUSTER_AGE', value: String(this.ages.lifetime) },
      { name: 'POD_AGE', value: String(this.ages.pod) },
      { name: 'JOB_AGE', value: String(this.ages.job) },
    ];
  }

  private clientRole(namespace: string): void {
    this.clientRoles.set(namespace, new k8s.KubeRole(this, `Role-${namespace}`, {
      metadata: { name: `${this.name}-client`, namespace, labels: this.labels('client') },
      rules: DASK_CLIENT_RULES,
    }));
  }

  private configMap(namespace: string): void {
    this.clusterConfigs.set(namespace, new k8s.KubeConfigMap(this, `Cluster-${namespace}`, {
      metadata: { name: `${this.name}-cluster`, namespace, labels: this.labels('client') },
      data: {
        [SPEC_FILE]: Yaml.stringify(this.clusterManifest),
        [HELPER_MODULE]: programSource(Program.DASK_HELPER),
      },
    }));
  }

  private schedulerResources(): ContainerResources {
    return schedulerResources(this.props.schedulerResources);
  }

  private workerResources(): ContainerResources {
    return workerResources(this.props.workerResources, this.scratchSize);
  }

  private manifest(): Record<string, unknown> {
    return clusterManifest({
      image: this.image,
      scratchSize: this.scratchSize,
      maxSpill: this.maxSpill,
      idleTimeout: this.ages.idle,
      workers: this.props.workers ?? 2,
      scheduler: this.schedulerResources(),
      worker: this.workerResources(),
      labels: component => this.labels(component),
      scope: this,
      schedulerPod: clusterPodOptions(this.props, 'scheduler'),
      workerPod: clusterPodOptions(this.props, 'worker'),
      accounts: { scheduler: clusterAccountName(this.props, this.name, 'scheduler'), worker: clusterAccountName(this.props, this.name, 'worker') },
    });
  }
}

/**
 * The official image of the Dask image's release, in a Python that every release of its major has
 * an image for (the cleanup needs Python 3.9 or newer only).
 */
function cleanupImage(version: PrefectVersion): PrefectImage {
  return PrefectImage.official({ version, pythonVersion: version.major === 2 ? '3.11' : undefined });
}
