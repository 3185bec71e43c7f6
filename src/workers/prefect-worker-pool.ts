import { createHash } from 'node:crypto';
import { ApiObject, Chart, Lazy, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PrefectLogLevel } from '../core/log-level';
import { PrefectImage } from '../core/prefect-image';
import { toEnvVars } from '../core/private/env';
import { ContainerArg, ContainerEnvVar } from '../core/private/kubelet';
import { recommendedLabels, selectorLabels, stableLabels } from '../core/private/labels';
import { restrictedContainerSpec, restrictedPodSpec } from '../core/private/pod';
import { nativeSidecars, podMetadata } from '../core/private/pod-options';
import { SETTINGS } from '../core/private/prefect-settings';
import { httpGetProbe } from '../core/private/probes';
import { Program, programSource } from '../core/private/programs';
import { register } from '../core/private/registry';
import { mergeResources, toRequirements } from '../core/private/resources';
import { HOME, writableMounts, writableVolumes } from '../core/private/security';
import { problemsOf } from '../core/private/validation';
import { DaskScratch } from '../dask/dask-scratch';
import { DaskJobTemplateAdditions } from '../dask/private/job-template-additions';
import { AgentRbac } from './agent-rbac';
import { PrefectConnection } from './prefect-connection';
import { JobTemplateContext } from './private/job-templates';
import { flowRunSelector, WorkerPoolNetworkProfile } from './private/network-profile';
import { PoolAccounts } from './private/pool-accounts';
import { addPoolScaling } from './private/pool-scaling';
import { BASE_JOB_TEMPLATE_FILE, poolSetUpData, SET_UP_DATA_FILE, SET_UP_FILE } from './private/pool-setup';
import { checkShapes, validatePool } from './private/pool-validation';
import { warnPool } from './private/pool-warnings';
import { ResolvedPool, slug } from './private/resolved-pool';
import { RuntimeBehaviour } from './private/runtimes';
import {
  COMPONENT_FLOW_RUN, HEALTH_PORT, HEALTH_PORT_NAME, PACKAGES_DIRECTORY, POOL_CONFIG_DIRECTORY,
} from './private/worker-layout';
import { ConfigFile, QueueDeployments, WorkPoolType, WorkQueue } from './work-pool';
import { PrefectWorkerPoolOptions } from './worker-pool-options';
import { WorkerRuntime } from './worker-runtime';

/** Properties of a `PrefectWorkerPool`. */
export interface PrefectWorkerPoolProps extends PrefectWorkerPoolOptions {
  /** Where the workers find the Prefect API: `PrefectConnection.inCluster(server)`, `.cloud({...})` or `.fromUrl(...)`. */
  readonly connection: PrefectConnection;

  /**
   * Throwaway Dask clusters for the flow runs (kubernetes pools of workers): the flow-run pods run
   * under a ServiceAccount that may create them, and get the cluster spec and the `dask_scratch`
   * module, so a flow only chooses `DaskTaskRunner(cluster_class="dask_scratch.cluster")`.
   * @default none
   */
  readonly dask?: DaskScratch;
}

const DEFAULT_WORKER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(100) },
  memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
};

/** The props with their defaults, once: every later step reads this. */
function resolvePool(scope: Construct, props: PrefectWorkerPoolProps, runtime: RuntimeBehaviour): ResolvedPool {
  const type = props.type ?? WorkPoolType.KUBERNETES;
  const namespace = Chart.of(scope).namespace;
  const poolName = runtime.hasWorkPools ? props.poolName ?? 'default' : undefined;
  const launchesJobs = type === WorkPoolType.KUBERNETES;
  const jobTemplate = props.jobTemplate ?? {};
  const jobNamespace = launchesJobs ? jobTemplate.namespace ?? namespace! : undefined;
  const image = (props.image ?? PrefectImage.official({ version: props.connection.api?.image.version ?? runtime.defaultVersion }))
    ._withDefaultFlavor(runtime.imageFlavor(type));
  const queues = props.queues ?? [];
  const managePool = props.managePool !== false;
  return {
    type,
    launchesJobs,
    namespace,
    poolName,
    name: props.name ?? runtime.defaultName(poolName === undefined ? undefined : slug(poolName)),
    image,
    version: image.version,
    connection: props.connection,
    queues,
    perQueue: (props.queueDeployments ?? QueueDeployments.SHARED) === QueueDeployments.PER_QUEUE,
    replicas: props.autoscaling?.minReplicas ?? props.replicas ?? 1,
    managePool,
    keepsBaseJobTemplate: runtime.appliesBaseJobTemplate && managePool && launchesJobs,
    jobTemplate,
    jobNamespace,
    jobNamespaces: jobNamespace === undefined ? [] : [jobNamespace, ...(props.additionalJobNamespaces ?? [])],
    imagePullSecrets: props.imagePullSecrets ?? [],
    files: props.configFiles ?? [],
    pipPackages: props.pipPackages ?? [],
    env: props.env ?? [],
    logLevel: props.logLevel ?? PrefectLogLevel.INFO,
    timeZone: props.timeZone,
    workerName: props.workerName,
    limit: props.limit,
    prefetch: props.prefetch,
    queryInterval: props.queryInterval,
    clusterUid: props.clusterUid,
  };
}

/**
 * A Prefect work pool and what serves it: the workers (or agents) as one Deployment or one per
 * queue, the pool's base job template kept in git and applied on every rollout, its queues, and
 * the ServiceAccount and least-privilege RBAC the workers need to launch flow runs.
 */
export class PrefectWorkerPool extends Construct {
  /** The work pool's name in Prefect (undefined for the Prefect 1 agent). */
  public readonly poolName?: string;
  /** Name of the Kubernetes objects. */
  public readonly name: string;
  /** The image the workers run. */
  public readonly image: PrefectImage;
  /** The connection to the Prefect API. */
  public readonly connection: PrefectConnection;
  /** The runtime of the workers. */
  public readonly runtime: WorkerRuntime;
  /** The pool type. */
  public readonly type: WorkPoolType;
  /** The worker Deployments, by queue for one per queue (else one, under the pool's name). */
  public readonly deployments: ApiObject[] = [];
  /** The ServiceAccount and RBAC of the workers, when they launch Kubernetes Jobs. */
  public readonly rbac?: AgentRbac;
  private readonly accounts: PoolAccounts;
  /** The namespace of the flow-run Jobs (kubernetes pools and the Prefect 1 agent). */
  public readonly jobNamespace?: string;
  /**
   * Every namespace the pool launches flow-run Jobs in: the job namespace, then the additional
   * ones (empty when the runs are not Jobs). Secrets the flow runs read must exist in each.
   */
  public readonly jobNamespaces: string[];
  /** The ConfigMap with the base job template and the pool set-up script. */
  public readonly poolConfig?: ApiObject;
  /** The base job template applied to the pool, as Prefect reads it (kubernetes pools of workers). */
  public readonly baseJobTemplate?: Record<string, unknown>;

  private readonly pool: ResolvedPool;
  private readonly behaviour: RuntimeBehaviour;
  private readonly props: PrefectWorkerPoolProps;
  /** The configuration files' ConfigMap beside the workers. */
  private readonly filesConfig?: ApiObject;
  private readonly dask?: DaskJobTemplateAdditions;
  /** Whether the flow runs' Jobs come from a template kept here, with this library's labels. */
  private readonly templateKeptHere: boolean;

  public constructor(scope: Construct, id: string, props: PrefectWorkerPoolProps) {
    super(scope, id);
    register(this);
    checkShapes(this, props);
    this.props = props;
    this.runtime = props.runtime ?? WorkerRuntime.worker();
    this.behaviour = this.runtime._behaviour;
    const pool = this.pool = resolvePool(this, props, this.behaviour);
    this.type = pool.type;
    this.connection = pool.connection;
    this.poolName = pool.poolName;
    this.name = pool.name;
    this.image = pool.image;
    this.jobNamespace = pool.jobNamespace;
    this.jobNamespaces = [...pool.jobNamespaces];
    validatePool(this, props, pool, this.behaviour);
    this.node.addValidation({ validate: () => problemsOf(() => this.connection._checkClientAuth(this, 'connection', pool.version)) });

    if (pool.launchesJobs) {
      this.rbac = new AgentRbac(this, 'Rbac', {
        name: pool.name,
        launcher: this.behaviour.launcher,
        jobNamespaces: pool.jobNamespaces,
        version: pool.version,
        serviceAccountAnnotations: props.pod?.serviceAccount?.annotations,
      });
    }
    this.accounts = new PoolAccounts(this, pool, props.pod, this.rbac !== undefined, this.labels(pool.name));
    this.filesConfig = this.configFileMaps();
    if (pool.keepsBaseJobTemplate) {
      this.dask = props.dask?._bindPool(this, pool.name, pool.poolName!, pool.jobNamespaces);
    }
    const rendered = this.behaviour.jobTemplate(pool, this.jobTemplateOptions(), this.jobTemplateContext());
    this.templateKeptHere = rendered !== undefined;
    warnPool(this, props, pool, this.behaviour.hasWorkPools);
    if (rendered && pool.keepsBaseJobTemplate) this.baseJobTemplate = rendered.template;
    const poolData = this.poolConfigData(rendered?.file, rendered?.template);
    if (poolData) {
      this.poolConfig = new k8s.KubeConfigMap(this, 'PoolConfig', {
        metadata: { name: `${pool.name}-pool`, labels: this.labels(pool.name) },
        data: poolData,
      });
    }
    // Pods roll when the template, the queues or the files change (subPath mounts never update).
    const configHash = createHash('sha256')
      .update(JSON.stringify({ pool: poolData ?? {}, files: pool.files.map(f => [f.path, f.content]) }))
      .digest('hex');

    if (pool.perQueue) {
      for (const queue of pool.queues) {
        this.deployments.push(this.deployment(`Queue-${queue.name}`, `${pool.name}-${slug(queue.name)}`, [queue], configHash));
      }
    } else {
      this.deployments.push(this.deployment('Resource', pool.name, pool.queues, configHash));
    }
  }

  /**
   * What network policies need to know of the pool: its pods and whom they talk to.
   * @internal
   */
  public _networkProfile(): WorkerPoolNetworkProfile {
    const pool = this.pool;
    const labelled = this.templateKeptHere;
    const selector = flowRunSelector(pool.name, COMPONENT_FLOW_RUN, labelled);
    return {
      namespace: pool.namespace,
      workerSelector: {
        matchLabels: { 'app.kubernetes.io/name': 'prefect', 'app.kubernetes.io/component': this.behaviour.component },
        matchExpressions: [{ key: 'app.kubernetes.io/instance', operator: 'In', values: this.deployments.map(d => d.name) }],
      },
      flowRuns: pool.launchesJobs ? { namespaces: pool.jobNamespaces, selector, labelled } : undefined,
      callsKubernetesApi: pool.launchesJobs,
      installsPackages: pool.pipPackages.length > 0,
      dask: this.dask ? this.props.dask : undefined,
    };
  }

  private labels(instance: string): Record<string, string> {
    return recommendedLabels(instance, this.behaviour.component, this.pool.version);
  }

  /** The flow-run pods mount the files from a ConfigMap of their own namespace. */
  private configFileMaps(): ApiObject | undefined {
    const pool = this.pool;
    if (pool.files.length === 0) return undefined;
    const maps = [...new Set([pool.namespace, ...pool.jobNamespaces])].map(ns => new k8s.KubeConfigMap(this, ns === pool.namespace ? 'Files' : `Files-${ns}`, {
      metadata: { name: `${pool.name}-files`, ...(ns === pool.namespace ? {} : { namespace: ns }), labels: this.labels(pool.name) },
      data: Object.fromEntries(pool.files.map((f, i) => [fileKey(f, i), f.content])),
    }));
    return maps[0];
  }

  /** The user's job template, with the ServiceAccount that may create Dask clusters when there is one. */
  private jobTemplateOptions() {
    const options = this.pool.jobTemplate;
    const account = this.dask?.serviceAccountName ?? this.accounts.flowRunName;
    return account !== undefined ? { ...options, serviceAccountName: account } : options;
  }

  private jobTemplateContext(): JobTemplateContext {
    const pool = this.pool;
    const dask = this.dask;
    return {
      scope: this,
      namespace: pool.jobNamespace!,
      image: PrefectImage.official({ version: pool.version }),
      imagePullSecrets: pool.imagePullSecrets,
      podLabels: stableLabels(pool.name, COMPONENT_FLOW_RUN),
      env: [...(pool.timeZone ? [{ name: SETTINGS.pod.TZ.name, value: pool.timeZone }] : []), ...(dask?.env ?? [])],
      volumes: [...(this.filesConfig ? [this.filesVolume()] : []), ...(dask ? [dask.volume] : [])],
      volumeMounts: [...this.filesMounts(), ...(dask ? [dask.volumeMount] : [])],
      ownFlowRunAccount: this.accounts.flowRunName !== undefined,
    };
  }

  /** The pool's ConfigMap: the job template kept here, and the set-up script when the pool is managed here. */
  private poolConfigData(file: string | undefined, template: Record<string, unknown> | undefined): Record<string, string> | undefined {
    const pool = this.pool;
    if (!this.behaviour.hasWorkPools) return { [file!]: JSON.stringify(template, undefined, 2) };
    if (!pool.managePool) return undefined;
    const data: Record<string, string> = {};
    if (template) data[BASE_JOB_TEMPLATE_FILE] = JSON.stringify(template, undefined, 2);
    data[SET_UP_FILE] = programSource(Program.APPLY_POOL);
    data[SET_UP_DATA_FILE] = poolSetUpData(pool, this.behaviour.workPoolType(pool.type), template !== undefined);
    return data;
  }

  private filesVolume(): k8s.Volume {
    return { name: 'config-files', configMap: { name: this.filesConfig!.name } };
  }

  private filesMounts(): k8s.VolumeMount[] {
    return this.pool.files.map((f, i) => ({ name: 'config-files', mountPath: f.path, subPath: fileKey(f, i), readOnly: true }));
  }

  private workerEnv(): ContainerEnvVar[] {
    const pool = this.pool;
    return [
      // First, so that `$(POD_NAME)` in the arguments and later variables expands.
      { name: SETTINGS.pod.POD_NAME.name, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: SETTINGS.pod.HOME.name, value: HOME },
      ...this.behaviour.env(pool),
      ...(pool.pipPackages.length > 0 ? [{ name: SETTINGS.pod.PYTHONPATH.name, value: `${PACKAGES_DIRECTORY}/site-packages:${PACKAGES_DIRECTORY}/platform-packages` }] : []),
      ...(pool.timeZone ? [{ name: SETTINGS.pod.TZ.name, value: pool.timeZone }] : []),
      ...toEnvVars(pool.env),
    ];
  }

  private deployment(id: string, name: string, queues: WorkQueue[], configHash: string): ApiObject {
    const pool = this.pool;
    const props = this.props;
    const resources = toRequirements(mergeResources(DEFAULT_WORKER_RESOURCES, props.resources));
    // Resolved at synth: an ingress may add basic auth to an in-cluster server after this pool.
    const env: ContainerEnvVar[] = Lazy.any({ produce: () => this.workerEnv() });
    const { volumes, mounts } = this.podVolumes();
    const main: k8s.Container = {
      ...this.container(this.behaviour.containerName, this.behaviour.args(pool, queues), env, resources, mounts),
      ...this.healthCheck(),
    };
    const initContainers = this.initContainers(env, resources, mounts);
    const deployment = new k8s.KubeDeployment(this, id, {
      metadata: { name, labels: this.labels(name) },
      spec: {
        // An autoscaled Deployment leaves the count to its autoscaler, also when re-applied.
        ...(props.autoscaling ? {} : { replicas: pool.replicas }),
        selector: { matchLabels: selectorLabels(name, this.behaviour.component) },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) },
        },
        template: {
          metadata: podMetadata(props.pod, this.labels(name), { 'checksum/config': configHash }),
          spec: restrictedPodSpec({
            serviceAccountName: this.rbac?.serviceAccountName ?? this.accounts.worker?.name,
            // Only workers that launch Jobs call the Kubernetes API.
            callsKubernetesApi: this.rbac !== undefined,
            imagePullSecrets: pool.imagePullSecrets,
            options: { scope: this, prop: 'pod', options: props.pod },
            initContainers,
            containers: [main],
            volumes,
          }),
        },
      },
    });
    nativeSidecars(deployment, ['spec', 'template', 'spec'], props.pod);
    addPoolScaling(this, id, deployment, props, this.labels(name), selectorLabels(name, this.behaviour.component));
    return deployment;
  }

  /** The writable directories, the configuration files, the pool's ConfigMap and the packages. */
  private podVolumes(): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
    const mounts = [...writableMounts(), ...this.filesMounts()];
    const volumes = writableVolumes();
    if (this.filesConfig) volumes.push(this.filesVolume());
    if (this.poolConfig) {
      volumes.push({ name: 'pool-config', configMap: { name: this.poolConfig.name } });
      mounts.push({ name: 'pool-config', mountPath: POOL_CONFIG_DIRECTORY, readOnly: true });
    }
    if (this.pool.pipPackages.length > 0) {
      volumes.push({ name: 'packages', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } });
      mounts.push({ name: 'packages', mountPath: PACKAGES_DIRECTORY });
    }
    return { volumes, mounts };
  }

  /** The package installer and the pool set-up, before the worker starts. */
  private initContainers(env: ContainerEnvVar[], resources: k8s.ResourceRequirements, mounts: k8s.VolumeMount[]): k8s.Container[] {
    const pool = this.pool;
    const containers: k8s.Container[] = [];
    if (pool.pipPackages.length > 0) {
      containers.push(this.container('install-packages', ['python', '-c', programSource(Program.INSTALL_PACKAGES, true), ...pool.pipPackages],
        [{ name: SETTINGS.pod.HOME.name, value: HOME }, ...toEnvVars(pool.env.filter(e => /^PIP_/.test(e.name)))], resources, mounts));
    }
    if (this.poolConfig && this.behaviour.hasWorkPools) {
      containers.push(this.container('apply-pool', ['sh', `${POOL_CONFIG_DIRECTORY}/${SET_UP_FILE}`, `${POOL_CONFIG_DIRECTORY}/${SET_UP_DATA_FILE}`], env, resources, mounts));
    }
    return containers;
  }

  /** The health port and probes, for runtimes with a health endpoint (not Prefect 2 agents). */
  private healthCheck(): Partial<k8s.Container> {
    const path = this.behaviour.healthPath;
    if (!path) return {};
    return {
      ports: [{ name: HEALTH_PORT_NAME, containerPort: HEALTH_PORT, protocol: 'TCP' }],
      startupProbe: httpGetProbe(path, HEALTH_PORT_NAME, 30),
      livenessProbe: httpGetProbe(path, HEALTH_PORT_NAME, 3),
    };
  }

  private container(name: string, args: ContainerArg[], env: ContainerEnvVar[], resources: k8s.ResourceRequirements, mounts: k8s.VolumeMount[]): k8s.Container {
    return restrictedContainerSpec({
      name,
      image: this.image.reference,
      args,
      env,
      resources,
      volumeMounts: mounts,
      // Process pools run flows, and their pull steps, in the worker's working directory: the
      // image's is read-only.
      workingDir: HOME,
    });
  }
}

function fileKey(file: ConfigFile, index: number): string {
  const base = file.path.slice(file.path.lastIndexOf('/') + 1);
  return `${index}-${base}`.slice(0, 253);
}
