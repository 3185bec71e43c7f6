import { createHash } from 'node:crypto';
import { ApiObject, Chart, Duration, Lazy, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { AgentRbac, RunLauncher } from './agent-rbac';
import { toEnvVars } from './env';
import { EnvironmentVariable } from './environment-variable';
import { baseJobTemplate, checkJobTemplate, DaskJobTemplateAdditions, JobTemplateContext, prefect1JobTemplate } from './job-templates';
import { KubernetesJobTemplateOptions } from './kubernetes-job-template';
import { flowRunSelectorLabels, recommendedLabels, selectorLabels, stableLabels } from './labels';
import { PrefectLogLevel } from './prefect-api';
import { DaskScratch } from './dask-scratch';
import { WorkerPoolNetworkProfile } from './network-profile';
import { PrefectConnection } from './prefect-connection';
import { PrefectImage, PrefectImageFlavor } from './prefect-image';
import { SINCE } from './prefect-settings';
import { Program, programSource } from './programs';
import { checkContainerResources, mergeResources, toRequirements } from './resources';
import { httpGetProbe } from './probes';
import { HOME, restrictedContainer, restrictedPod, writableMounts, writableVolumes } from './security';
import { WorkerRuntime, WorkerRuntimeKind } from './worker-runtime';
import {
  checkDns1035Label, checkDns1123Subdomain, checkExtraEnv, checkInteger, checkLabelKey, checkLabelValue, checkNamespaceName,
  checkSeconds, checkTimeZone, problemsOf, propError,
} from './validation';

/** The kind of infrastructure a work pool runs flows on. */
export enum WorkPoolType {
  /** Each flow run is a Kubernetes Job (prefect-kubernetes). */
  KUBERNETES = 'kubernetes',
  /** Each flow run is a process in the worker's pod. */
  PROCESS = 'process',
}

/** How the pool's queues are spread over Deployments. */
export enum QueueDeployments {
  /** One Deployment whose workers poll every queue of the pool. */
  SHARED = 'SHARED',
  /** One Deployment per queue, so a stuck queue does not starve the others. */
  PER_QUEUE = 'PER_QUEUE',
}

/** A work queue of the pool. */
export interface WorkQueue {
  /** The queue's name. */
  readonly name: string;

  /**
   * Priority within the pool: 1 is served first.
   * @default Prefect's (after the existing queues)
   */
  readonly priority?: number;

  /**
   * Most flow runs of this queue running at once.
   * @default no limit
   */
  readonly concurrencyLimit?: number;
}

/** A configuration file mounted read-only into the worker pods and the flow-run pods. */
export interface ConfigFile {
  /** Absolute path of the file, e.g. `/etc/krb5.conf`. */
  readonly path: string;
  /** The file's content (written into a ConfigMap: no secrets). */
  readonly content: string;
}

/**
 * What a `PrefectWorkerPool` is, apart from what it connects to: the options a `PrefectPlatform`
 * takes for each of its pools.
 */
export interface PrefectWorkerPoolOptions {
  /**
   * The program that polls the pool.
   * @default WorkerRuntime.worker()
   */
  readonly runtime?: WorkerRuntime;

  /**
   * What flow runs run on.
   * @default WorkPoolType.KUBERNETES
   */
  readonly type?: WorkPoolType;

  /**
   * The work pool's name in Prefect (not for the Prefect 1 agent, which has no pools).
   * @default "default"
   */
  readonly poolName?: string;

  /**
   * Name of the Kubernetes objects (Deployments, ServiceAccount, ConfigMaps).
   * @default "<poolName>-worker" for workers, "<poolName>-agent" for Prefect 2 agents, "prefect-agent" for the Prefect 1 agent
   */
  readonly name?: string;

  /**
   * The pool's work queues, created with their priority and concurrency limit.
   * @default none: the workers poll every queue of the pool
   */
  readonly queues?: WorkQueue[];

  /**
   * One Deployment for all queues, or one per queue.
   * @default QueueDeployments.SHARED
   */
  readonly queueDeployments?: QueueDeployments;

  /**
   * Worker pods per Deployment.
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Most flow runs one worker runs at once (`--limit`).
   * @default no limit
   */
  readonly limit?: number;

  /**
   * The worker's name in Prefect. Only with one worker pod in all.
   * @default the pod's name
   */
  readonly workerName?: string;

  /**
   * How long before its scheduled time a flow run is submitted (`--prefetch-seconds`).
   * @default Prefect's (10 s for workers, 15 s for agents)
   */
  readonly prefetch?: Duration;

  /**
   * How often the pool is polled for runs.
   * @default Prefect's (10 s for workers, 15 s for agents)
   */
  readonly queryInterval?: Duration;

  /**
   * Log level of the workers.
   * @default PrefectLogLevel.INFO
   */
  readonly logLevel?: PrefectLogLevel;

  /**
   * The image of the workers.
   * @default the official image of the server's release for `inCluster` connections, else of the runtime's newest release (3.8.3, 2.20.25 or 1.4.1); the `-kubernetes` flavor for kubernetes pools of Prefect 2 and 3
   */
  readonly image?: PrefectImage;

  /**
   * Names of existing Secrets to pull the images with (also the flow-run default).
   * @default none
   */
  readonly imagePullSecrets?: string[];

  /**
   * Extra environment variables of the workers. They may not replace one the construct sets.
   * @default none
   */
  readonly env?: EnvironmentVariable[];

  /**
   * IANA time zone of the workers and flow runs (`TZ`), e.g. `Europe/Warsaw`.
   * @default the image's (UTC)
   */
  readonly timeZone?: string;

  /**
   * Node labels the worker pods must run on.
   * @default none
   */
  readonly nodeSelector?: { [key: string]: string };

  /**
   * Tolerations of the worker pods.
   * @default none
   */
  readonly tolerations?: k8s.Toleration[];

  /**
   * Affinity of the worker pods.
   * @default none
   */
  readonly affinity?: k8s.Affinity;

  /**
   * Resources of the worker container. A memory limit is required.
   * @default requests 100m CPU and 256Mi memory, memory limit 1Gi
   */
  readonly resources?: ContainerResources;

  /**
   * The Job flow runs are created from (kubernetes pools and the Prefect 1 agent). It replaces
   * the pool's base job template on every rollout.
   * @default KubernetesJobTemplateOptions defaults
   */
  readonly jobTemplate?: KubernetesJobTemplateOptions;

  /**
   * Further namespaces deployments may send their flow runs to (through the `namespace` job
   * variable): the worker gets its permissions and watches runs there too.
   * @default none
   */
  readonly additionalJobNamespaces?: string[];

  /**
   * A fixed cluster identifier for the worker (`PREFECT_KUBERNETES_CLUSTER_UID`), so it need not
   * read the `kube-system` namespace (cluster-wide permission) to tell clusters apart.
   * @default none
   */
  readonly clusterUid?: string;

  /**
   * Create or update the work pool, its base job template and its queues before the workers start.
   * Turn off when the pool is managed elsewhere (for example with Terraform).
   * @default true
   */
  readonly managePool?: boolean;

  /**
   * Extra Python packages for the workers (pip requirement specifiers, e.g. `prefect-aws==0.5.10`),
   * installed by an init container into a volume on `PYTHONPATH`, since the image is read-only.
   * The cluster must reach the package index.
   * @default none
   */
  readonly pipPackages?: string[];

  /**
   * Configuration files mounted into the worker pods and the flow-run pods, e.g. `/etc/krb5.conf`.
   * @default none
   */
  readonly configFiles?: ConfigFile[];
}

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

const COMPONENT_WORKER = 'worker';
const COMPONENT_AGENT = 'agent';
const COMPONENT_FLOW_RUN = 'flow-run';
const POOL_CONFIG_DIRECTORY = '/etc/prefect-pool';
const PACKAGES_DIRECTORY = '/opt/prefect-packages';
const HEALTH_PORT = 8080;
const HEALTH_PORT_NAME = 'health';
const MAX_NAME_LENGTH = 40;

const DEFAULT_WORKER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(100) },
  memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
};

const RESERVED_ENV = new Set([
  'HOME', 'PREFECT_HOME', 'POD_NAME', 'PYTHONPATH', 'TZ', 'EXTRA_PIP_PACKAGES',
  'PREFECT_API_URL', 'PREFECT_API_KEY', 'PREFECT_API_AUTH_STRING', 'PREFECT_LOGGING_LEVEL',
  'PREFECT_WORKER_QUERY_SECONDS', 'PREFECT_WORKER_PREFETCH_SECONDS', 'PREFECT_WORKER_WEBSERVER_HOST', 'PREFECT_WORKER_WEBSERVER_PORT',
  'PREFECT_AGENT_QUERY_INTERVAL', 'PREFECT_AGENT_PREFETCH_SECONDS',
  'PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES', 'PREFECT_KUBERNETES_CLUSTER_UID', 'PREFECT_INTEGRATIONS_KUBERNETES_CLUSTER_UID',
  ...['API_KEY_SECRET_NAME', 'API_KEY_SECRET_KEY', 'API_AUTH_STRING_SECRET_NAME', 'API_AUTH_STRING_SECRET_KEY']
    .map(s => `PREFECT_INTEGRATIONS_KUBERNETES_WORKER_${s}`),
  'PREFECT__BACKEND', 'PREFECT__CLOUD__API', 'PREFECT__CLOUD__API_KEY', 'PREFECT__CLOUD__TENANT_ID',
  'PREFECT__CLOUD__AGENT__LABELS', 'PREFECT__CLOUD__AGENT__NAME', 'PREFECT__CLOUD__AGENT__LEVEL',
  'PREFECT__CLOUD__AGENT__AGENT_ADDRESS', 'NAMESPACE', 'SERVICE_ACCOUNT_NAME', 'IMAGE_PULL_SECRETS', 'DELETE_FINISHED_JOBS',
]);

const PIP_REQUIREMENT = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*\])?((===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]+(,(===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]+)*)?$/;

/** Kubernetes-safe form of a Prefect name: lower case, other characters as '-'. */
function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
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
  /** The namespace of the flow-run Jobs (kubernetes pools and the Prefect 1 agent). */
  public readonly jobNamespace?: string;
  /** The ConfigMap with the base job template and the pool set-up script. */
  public readonly poolConfig?: ApiObject;
  /** The base job template applied to the pool, as Prefect reads it (kubernetes pools of workers). */
  public readonly baseJobTemplate?: Record<string, unknown>;

  private readonly props: PrefectWorkerPoolProps;
  private readonly namespace?: string;
  private readonly queues: WorkQueue[];
  private readonly component: string;
  private readonly jobNamespaces: string[];
  private readonly configHash: string;
  private readonly dask?: DaskJobTemplateAdditions;

  public constructor(scope: Construct, id: string, props: PrefectWorkerPoolProps) {
    super(scope, id);
    this.props = props;
    this.runtime = props.runtime ?? WorkerRuntime.worker();
    this.type = props.type ?? WorkPoolType.KUBERNETES;
    this.connection = props.connection;
    this.namespace = Chart.of(this).namespace;
    this.queues = props.queues ?? [];
    const kind = this.runtime.kind;
    const prefect1 = kind === WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT;
    this.component = kind === WorkerRuntimeKind.WORKER ? COMPONENT_WORKER : COMPONENT_AGENT;
    this.poolName = prefect1 ? undefined : props.poolName ?? 'default';
    this.name = props.name ?? (prefect1 ? 'prefect-agent' : `${slug(this.poolName!)}-${this.component}`);
    this.image = this.defaultImage();
    this.validate();
    this.node.addValidation({ validate: () => problemsOf(() => this.connection._checkClientAuth(this, 'connection', this.image.version)) });

    const launchesJobs = this.type === WorkPoolType.KUBERNETES;
    const jobTemplate = props.jobTemplate ?? {};
    if (launchesJobs) {
      this.jobNamespace = jobTemplate.namespace ?? this.namespace!;
      this.jobNamespaces = [this.jobNamespace, ...(props.additionalJobNamespaces ?? [])];
      this.rbac = new AgentRbac(this, 'Rbac', {
        name: this.name,
        launcher: kind === WorkerRuntimeKind.WORKER ? RunLauncher.KUBERNETES_WORKER
          : kind === WorkerRuntimeKind.PREFECT2_AGENT ? RunLauncher.PREFECT2_AGENT : RunLauncher.PREFECT1_KUBERNETES_AGENT,
        jobNamespaces: this.jobNamespaces,
        version: this.image.version,
      });
    } else {
      this.jobNamespaces = [];
    }

    const files = props.configFiles ?? [];
    if (files.length > 0) {
      // The flow-run pods mount the files from a ConfigMap of their own namespace.
      for (const ns of new Set([this.namespace, ...this.jobNamespaces])) {
        new k8s.KubeConfigMap(this, ns === this.namespace ? 'Files' : `Files-${ns}`, {
          metadata: { name: `${this.name}-files`, ...(ns === this.namespace ? {} : { namespace: ns }), labels: this.labels(this.name) },
          data: Object.fromEntries(files.map((f, i) => [fileKey(f, i), f.content])),
        });
      }
    }

    if (props.managePool !== false && kind === WorkerRuntimeKind.WORKER && launchesJobs) {
      this.dask = props.dask?._attachPool(this, this.name, this.poolName!, this.jobNamespaces);
      const options = this.dask ? { ...jobTemplate, serviceAccountName: this.dask.serviceAccountName } : jobTemplate;
      this.baseJobTemplate = baseJobTemplate(options, this.jobTemplateContext());
    }
    const poolData = this.poolConfigData(jobTemplate);
    if (poolData) {
      this.poolConfig = new k8s.KubeConfigMap(this, 'PoolConfig', {
        metadata: { name: `${this.name}-pool`, labels: this.labels(this.name) },
        data: poolData,
      });
    }
    // Pods roll when the template, the queues or the files change (subPath mounts never update).
    this.configHash = createHash('sha256')
      .update(JSON.stringify({ pool: poolData ?? {}, files: files.map(f => [f.path, f.content]) }))
      .digest('hex');

    if ((props.queueDeployments ?? QueueDeployments.SHARED) === QueueDeployments.PER_QUEUE) {
      for (const queue of this.queues) {
        this.deployments.push(this.deployment(`Queue-${queue.name}`, `${this.name}-${slug(queue.name)}`, [queue]));
      }
    } else {
      this.deployments.push(this.deployment('Resource', this.name, this.queues));
    }
  }

  /**
   * What network policies need to know of the pool: its pods and whom they talk to.
   * @internal
   */
  public _networkProfile(): WorkerPoolNetworkProfile {
    const kind = this.runtime.kind;
    const launchesJobs = this.type === WorkPoolType.KUBERNETES;
    // Pods of Jobs from our templates carry our labels; Prefect 2 agents' KubernetesJob blocks and
    // pools whose template is managed elsewhere only label the Job, so their pods are known by the
    // Job controller's label alone.
    const labelled = this.baseJobTemplate !== undefined || kind === WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT;
    const flowRunSelector: k8s.LabelSelector = labelled
      ? { matchLabels: flowRunSelectorLabels(this.name, COMPONENT_FLOW_RUN) }
      : {
        // Job pods other than this library's own (migrations, cleanups): whatever a worker sets
        // as managed-by (Prefect 3: "prefect"; Prefect 2: nothing), it is not this library's name.
        matchExpressions: [
          { key: 'job-name', operator: 'Exists' },
          { key: 'app.kubernetes.io/managed-by', operator: 'NotIn', values: [stableLabels(this.name, COMPONENT_FLOW_RUN)['app.kubernetes.io/managed-by']] },
        ],
      };
    return {
      namespace: this.namespace,
      workerSelector: {
        matchLabels: { 'app.kubernetes.io/name': 'prefect', 'app.kubernetes.io/component': this.component },
        matchExpressions: [{ key: 'app.kubernetes.io/instance', operator: 'In', values: this.deployments.map(d => d.name) }],
      },
      flowRuns: launchesJobs ? { namespaces: this.jobNamespaces, selector: flowRunSelector, labelled } : undefined,
      callsKubernetesApi: launchesJobs,
      installsPackages: (this.props.pipPackages ?? []).length > 0,
      dask: this.dask ? this.props.dask : undefined,
    };
  }

  private defaultImage(): PrefectImage {
    const props = this.props;
    const kubernetesFlavor = this.type === WorkPoolType.KUBERNETES && this.runtime.kind === WorkerRuntimeKind.WORKER;
    const image = props.image ?? PrefectImage.official({ version: this.connection.api?.image.version ?? this.runtime.defaultVersion });
    return image._withDefaultFlavor(kubernetesFlavor ? PrefectImageFlavor.KUBERNETES : PrefectImageFlavor.STANDARD);
  }

  private validate(): void {
    const props = this.props;
    const version = this.image.version;
    const kind = this.runtime.kind;
    // Before the name derived from it, which would be reported against a prop the user did not set.
    if (this.poolName !== undefined && props.name === undefined && slug(this.poolName) === '') {
      throw propError(this, 'poolName', this.poolName, 'a name with a letter or digit, or set name for the Kubernetes objects');
    }
    checkDns1035Label(this, 'name', this.name, MAX_NAME_LENGTH);
    this.connection._validate(this, 'connection', version);
    if (kind === WorkerRuntimeKind.WORKER && !version.isAtLeast(SINCE.WORKER_HEALTHCHECK)) {
      throw propError(this, 'runtime', `WorkerRuntime.worker() with Prefect ${version}`,
        `Prefect ${SINCE.WORKER_HEALTHCHECK} or newer (workers with health checks); for older Prefect 2 use WorkerRuntime.prefect2Agent(), for Prefect 1 WorkerRuntime.prefect1KubernetesAgent()`);
    }
    if (kind !== WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT && props.managePool !== false && !version.isAtLeast(SINCE.WORK_POOL_UPDATE)) {
      throw propError(this, 'managePool', `true with Prefect ${version}`,
        `Prefect ${SINCE.WORK_POOL_UPDATE} or newer (\`prefect work-pool update\`), or managePool: false with the pool set up by other means`);
    }
    if (kind === WorkerRuntimeKind.PREFECT2_AGENT && version.major !== 2) {
      throw propError(this, 'runtime', `WorkerRuntime.prefect2Agent() with Prefect ${version}`,
        'Prefect 2: agents were removed in Prefect 3 (use WorkerRuntime.worker())');
    }
    if (kind === WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT) {
      if (version.major !== 1) {
        throw propError(this, 'runtime', `WorkerRuntime.prefect1KubernetesAgent() with Prefect ${version}`,
          'a Prefect 1 image (PrefectImage.official({ version: PrefectVersion.V1_4_1 }))');
      }
      if (this.type !== WorkPoolType.KUBERNETES) {
        throw propError(this, 'type', this.type, 'WorkPoolType.KUBERNETES: the Prefect 1 Kubernetes agent runs flows as Jobs');
      }
      for (const [prop, value] of Object.entries({ poolName: props.poolName, queues: props.queues, queueDeployments: props.queueDeployments, managePool: props.managePool, limit: props.limit, prefetch: props.prefetch, queryInterval: props.queryInterval, pipPackages: props.pipPackages })) {
        if (value !== undefined) {
          const shown = Array.isArray(value) ? value.map(v => typeof v === 'string' ? v : v.name).join(',')
            : value instanceof Duration ? `${value.toMilliseconds() / 1000}s` : value;
          throw propError(this, prop, shown,
            'unset for the Prefect 1 agent, which has no work pools or queues (it selects flows by labels: WorkerRuntime.prefect1KubernetesAgent({ labels }))');
        }
      }
      for (const label of this.runtime.prefect1Options.labels ?? []) {
        if (label.trim() === '' || /['\\\n]/.test(label)) {
          throw propError(this, 'runtime.labels', label, 'non-blank labels without quotes, backslashes or line breaks');
        }
      }
    }
    if (this.poolName !== undefined && (this.poolName.trim() === '' || this.poolName.length > 100 || /[\n\r'"\\/%&><]/.test(this.poolName))) {
      throw propError(this, 'poolName', this.poolName, 'a work pool name of 1 to 100 characters without quotes, slashes, backslashes, %, &, < or >');
    }
    if (this.type === WorkPoolType.KUBERNETES && !this.namespace) {
      throw propError(this, 'namespace', undefined,
        'a chart with a namespace for a kubernetes pool: its RBAC names the worker\'s ServiceAccount by namespace (new Chart(app, id, { namespace }))');
    }
    this.validateQueues();
    checkInteger(this, 'replicas', props.replicas ?? 1, 1, 100);
    if (props.limit !== undefined) checkInteger(this, 'limit', props.limit, 1, 10000);
    if (props.workerName !== undefined) {
      if (props.workerName.trim() === '' || /[\n\r'"\\/%&><$]/.test(props.workerName) || props.workerName.length > 100) {
        throw propError(this, 'workerName', props.workerName, 'a name of 1 to 100 characters without quotes, slashes, $, %, &, < or >');
      }
      const pods = (props.replicas ?? 1) * this.deploymentCount();
      if (pods > 1) {
        throw propError(this, 'workerName', props.workerName,
          `unset when there are ${pods} worker pods: each worker needs its own name (the default is the pod's name)`);
      }
      if (kind === WorkerRuntimeKind.PREFECT2_AGENT) {
        throw propError(this, 'workerName', props.workerName, 'unset for Prefect 2 agents, which have no name option');
      }
    }
    for (const [prop, value] of [['prefetch', props.prefetch], ['queryInterval', props.queryInterval]] as const) {
      if (value !== undefined) checkSeconds(this, prop, value, 1, 3600);
    }
    for (const secret of props.imagePullSecrets ?? []) checkDns1123Subdomain(this, 'imagePullSecrets', secret);
    if (props.timeZone !== undefined) checkTimeZone(this, 'timeZone', props.timeZone);
    for (const [key, value] of Object.entries(props.nodeSelector ?? {})) {
      checkLabelKey(this, 'nodeSelector', key);
      checkLabelValue(this, `nodeSelector[${key}]`, value);
    }
    checkContainerResources(this, 'resources', props.resources);
    this.validateEnv();
    if (props.jobTemplate) {
      if (this.type === WorkPoolType.PROCESS) {
        throw propError(this, 'jobTemplate', 'set', 'unset for a process pool: its flow runs are processes in the worker pod, not Jobs');
      }
      if (kind === WorkerRuntimeKind.PREFECT2_AGENT) {
        throw propError(this, 'jobTemplate', 'set', 'unset for Prefect 2 agents: their Jobs come from the deployments\' KubernetesJob infrastructure blocks');
      }
      if (props.managePool === false) {
        throw propError(this, 'jobTemplate', 'set', 'unset when managePool is false: the template is applied when the pool is managed here');
      }
      checkJobTemplate(this, props.jobTemplate);
    }
    if (props.additionalJobNamespaces !== undefined && this.type !== WorkPoolType.KUBERNETES) {
      throw propError(this, 'additionalJobNamespaces', props.additionalJobNamespaces.join(','), 'unset for a process pool, which launches no Jobs');
    }
    const jobNamespaces = [props.jobTemplate?.namespace ?? this.namespace];
    for (const ns of props.additionalJobNamespaces ?? []) {
      checkNamespaceName(this, 'additionalJobNamespaces', ns);
      if (jobNamespaces.includes(ns)) {
        throw propError(this, 'additionalJobNamespaces', ns, 'namespaces other than the job template\'s, each once');
      }
      jobNamespaces.push(ns);
    }
    if (props.clusterUid !== undefined) {
      if (this.type !== WorkPoolType.KUBERNETES || kind === WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT) {
        throw propError(this, 'clusterUid', props.clusterUid, 'unset: only Kubernetes workers and Prefect 2 agents identify their cluster');
      }
      if (version.isAtLeast(SINCE.KUBERNETES_OBSERVER)) {
        throw propError(this, 'clusterUid', `${props.clusterUid} with Prefect ${version}`,
          `unset: Prefect ${SINCE.KUBERNETES_OBSERVER} and newer no longer identify the cluster`);
      }
      if (!/^[A-Za-z0-9][-A-Za-z0-9_.]{0,252}$/.test(props.clusterUid)) {
        throw propError(this, 'clusterUid', props.clusterUid, 'an identifier such as the kube-system namespace UID (letters, digits, \'-\', \'_\' and \'.\')');
      }
    }
    for (const requirement of props.pipPackages ?? []) {
      if (!PIP_REQUIREMENT.test(requirement)) {
        throw propError(this, 'pipPackages', requirement, 'pip requirement specifiers such as "prefect-aws==0.5.10" or "s3fs>=2024.1,<2025"');
      }
    }
    this.validateConfigFiles();
    if (props.dask) {
      if (this.type !== WorkPoolType.KUBERNETES || kind !== WorkerRuntimeKind.WORKER || props.managePool === false) {
        throw propError(this, 'dask', props.dask.node.path,
          'a kubernetes pool of workers (WorkerRuntime.worker()) whose job template is managed here: the flow-run pods get their ServiceAccount and the cluster spec from it');
      }
      if (props.jobTemplate?.serviceAccountName !== undefined) {
        throw propError(this, 'jobTemplate.serviceAccountName', props.jobTemplate.serviceAccountName,
          'unset with dask: the flow runs run under the ServiceAccount that may create Dask clusters');
      }
      if (props.jobTemplate?.env?.some(e => ['PYTHONPATH', 'USER', 'DASK_KUBERNETES__NAMESPACE'].includes(e.name))) {
        throw propError(this, 'jobTemplate.env', 'PYTHONPATH, USER or DASK_KUBERNETES__NAMESPACE', 'none of these with dask, which sets them for the dask_scratch module');
      }
    }
  }

  private deploymentCount(): number {
    return (this.props.queueDeployments ?? QueueDeployments.SHARED) === QueueDeployments.PER_QUEUE ? this.queues.length : 1;
  }

  private validateQueues(): void {
    const props = this.props;
    const names = new Set<string>();
    const slugs = new Map<string, string>();
    const perQueue = (props.queueDeployments ?? QueueDeployments.SHARED) === QueueDeployments.PER_QUEUE;
    for (const queue of this.queues) {
      if (queue.name.trim() === '' || queue.name !== queue.name.trim() || /[\n\r'"\\/%&><]/.test(queue.name) || queue.name.length > 100) {
        throw propError(this, 'queues', queue.name, 'queue names of 1 to 100 characters without surrounding spaces, quotes, slashes, backslashes, %, &, < or >');
      }
      if (names.has(queue.name)) throw propError(this, 'queues', queue.name, 'each queue name once');
      names.add(queue.name);
      if (queue.priority !== undefined) checkInteger(this, `queues[${queue.name}].priority`, queue.priority, 1, 1000000);
      if (queue.concurrencyLimit !== undefined) checkInteger(this, `queues[${queue.name}].concurrencyLimit`, queue.concurrencyLimit, 0, 1000000);
      if (props.managePool === false && (queue.priority !== undefined || queue.concurrencyLimit !== undefined)) {
        throw propError(this, `queues[${queue.name}]`, 'priority or concurrencyLimit', 'neither when managePool is false: queues are only created here when the pool is managed here');
      }
      if (perQueue) {
        const s = slug(queue.name);
        const deploymentName = `${this.name}-${s}`;
        if (s === '' || deploymentName.length > 63 || !/^[a-z]/.test(deploymentName)) {
          throw propError(this, 'queues', queue.name,
            `with one Deployment per queue, a queue name that makes a valid Deployment name "<name>-<queue>" of at most 63 characters (${JSON.stringify(deploymentName)})`);
        }
        const clash = slugs.get(s);
        if (clash !== undefined) {
          throw propError(this, 'queues', queue.name, `with one Deployment per queue, names that differ in more than case and punctuation (${JSON.stringify(clash)} also makes ${deploymentName})`);
        }
        slugs.set(s, queue.name);
      }
    }
    if (perQueue && this.queues.length === 0) {
      throw propError(this, 'queues', '(none)', 'at least one queue with QueueDeployments.PER_QUEUE');
    }
  }

  private validateEnv(): void {
    checkExtraEnv(this, 'env', this.props.env ?? [], name => {
      if (!RESERVED_ENV.has(name)) return undefined;
      const instead = name === 'EXTRA_PIP_PACKAGES'
        ? 'the pipPackages prop (the image\'s own installer cannot write to the read-only root filesystem)'
        : 'the props that set it (connection, logLevel, queryInterval, prefetch, timeZone, clusterUid, jobTemplate)';
      return `a variable the construct does not set itself; use ${instead}`;
    });
  }

  private validateConfigFiles(): void {
    const paths = new Set<string>();
    for (const file of this.props.configFiles ?? []) {
      const reserved = ['/tmp', HOME, POOL_CONFIG_DIRECTORY, PACKAGES_DIRECTORY].find(d => file.path === d || file.path.startsWith(`${d}/`));
      if (!/^(\/[A-Za-z0-9._-]+)+$/.test(file.path) || file.path.split('/').some(p => p === '.' || p === '..') || reserved) {
        throw propError(this, 'configFiles', file.path,
          `absolute file paths of letters, digits, '.', '_' and '-', outside ${['/tmp', HOME, POOL_CONFIG_DIRECTORY, PACKAGES_DIRECTORY].join(', ')}`);
      }
      if (paths.has(file.path)) throw propError(this, 'configFiles', file.path, 'each path once');
      paths.add(file.path);
    }
  }

  private labels(instance: string): Record<string, string> {
    return recommendedLabels(instance, this.component, this.image.version);
  }

  private poolConfigData(jobTemplate: KubernetesJobTemplateOptions): Record<string, string> | undefined {
    const kind = this.runtime.kind;
    if (kind === WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT) {
      return { 'job-template.yaml': JSON.stringify(prefect1JobTemplate(jobTemplate, this.jobTemplateContext()), undefined, 2) };
    }
    if (this.props.managePool === false) return undefined;
    const data: Record<string, string> = {};
    if (this.baseJobTemplate) data['base-job-template.json'] = JSON.stringify(this.baseJobTemplate, undefined, 2);
    data['apply-pool.sh'] = this.applyPoolScript(this.baseJobTemplate !== undefined);
    return data;
  }

  private jobTemplateContext(): JobTemplateContext {
    const files = this.props.configFiles ?? [];
    const dask = this.dask;
    return {
      namespace: this.jobNamespace!,
      image: PrefectImage.official({ version: this.image.version }),
      imagePullSecrets: this.props.imagePullSecrets ?? [],
      podLabels: stableLabels(this.name, COMPONENT_FLOW_RUN),
      env: [...(this.props.timeZone ? [{ name: 'TZ', value: this.props.timeZone }] : []), ...(dask?.env ?? [])],
      volumes: [...(files.length > 0 ? [this.filesVolume()] : []), ...(dask ? [dask.volume] : [])],
      volumeMounts: [...this.filesMounts(), ...(dask ? [dask.volumeMount] : [])],
    };
  }

  /**
   * The pool set-up. `work-pool update` changes only the template, where `create --overwrite`
   * would also unpause the pool and reset its description and limit. A queue's priority can only be
   * set at creation before `prefect api` (3.4.23). Every step is idempotent, so every pod of every
   * rollout runs it; a failure (the API not up yet) fails the init container, which is retried.
   */
  private applyPoolScript(withTemplate: boolean): string {
    const version = this.image.version;
    const pool = shellQuote(this.poolName!);
    const type = this.runtime.kind === WorkerRuntimeKind.PREFECT2_AGENT ? 'prefect-agent' : this.type;
    const template = `${POOL_CONFIG_DIRECTORY}/base-job-template.json`;
    const lines = [
      '#!/bin/sh',
      '# Creates the work pool and its queues, or brings them in line with this file.',
      'set -eu',
      // Every pod of a first rollout creates at once, and all but one fail with "already exists":
      // a create that failed because the pool is there now carries on as an update.
      `if ! prefect work-pool inspect ${pool} >/dev/null 2>&1; then`,
      `  prefect work-pool create ${pool} --type ${type}${withTemplate ? ` --base-job-template ${template}` : ''} \\`,
      `    || prefect work-pool inspect ${pool} >/dev/null`,
      'fi',
      ...(withTemplate ? [`prefect work-pool update ${pool} --base-job-template ${template}`] : []),
    ];
    for (const queue of this.queues) {
      const name = shellQuote(queue.name);
      const createOptions = [
        ...(queue.priority !== undefined ? [`--priority ${queue.priority}`] : []),
        ...(queue.concurrencyLimit !== undefined ? [`--limit ${queue.concurrencyLimit}`] : []),
      ].map(o => ` ${o}`).join('');
      let update: string;
      if (version.isAtLeast(SINCE.API_COMMAND)) {
        const body = JSON.stringify({
          ...(queue.priority !== undefined ? { priority: queue.priority } : {}),
          concurrency_limit: queue.concurrencyLimit ?? null,
        });
        const path = `/work_pools/${encodeURIComponent(this.poolName!)}/queues/${encodeURIComponent(queue.name)}`;
        update = `prefect api PATCH ${shellQuote(path)} --data ${shellQuote(body)} >/dev/null`;
      } else {
        update = queue.concurrencyLimit !== undefined
          ? `prefect work-queue set-concurrency-limit ${name} ${queue.concurrencyLimit} --pool ${pool}`
          : `prefect work-queue clear-concurrency-limit ${name} --pool ${pool}`;
      }
      lines.push(
        `if prefect work-queue inspect ${name} --pool ${pool} >/dev/null 2>&1; then`,
        `  ${update}`,
        `elif ! prefect work-queue create ${name} --pool ${pool}${createOptions}; then`,
        `  prefect work-queue inspect ${name} --pool ${pool} >/dev/null`,
        `  ${update}`,
        'fi',
      );
    }
    return `${lines.join('\n')}\n`;
  }

  private filesVolume(): k8s.Volume {
    return { name: 'config-files', configMap: { name: `${this.name}-files` } };
  }

  private filesMounts(): k8s.VolumeMount[] {
    return (this.props.configFiles ?? []).map((f, i) => ({ name: 'config-files', mountPath: f.path, subPath: fileKey(f, i), readOnly: true }));
  }

  private workerArgs(queues: WorkQueue[]): string[] {
    const props = this.props;
    const name = props.workerName ?? '$(POD_NAME)';
    const queueArgs = queues.flatMap(q => ['--work-queue', q.name]);
    const limit = props.limit !== undefined ? ['--limit', String(props.limit)] : [];
    const prefetch = props.prefetch !== undefined ? ['--prefetch-seconds', String(props.prefetch.toSeconds())] : [];
    switch (this.runtime.kind) {
      case WorkerRuntimeKind.WORKER:
        return ['prefect', 'worker', 'start', '--pool', this.poolName!, '--type', this.type, ...queueArgs,
          '--name', name, ...limit, ...prefetch, '--with-healthcheck',
          // Installing a missing worker package would fail on the read-only root filesystem anyway.
          ...(this.image.version.isAtLeast(SINCE.WORKER_INSTALL_POLICY) ? ['--install-policy', 'never'] : [])];
      case WorkerRuntimeKind.PREFECT2_AGENT:
        return ['prefect', 'agent', 'start', '--pool', this.poolName!, ...queueArgs, ...limit, ...prefetch];
      case WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT:
        return ['prefect', 'agent', 'kubernetes', 'start', '--job-template', `${POOL_CONFIG_DIRECTORY}/job-template.yaml`];
    }
  }

  private workerEnv(): k8s.EnvVar[] {
    const props = this.props;
    const env: k8s.EnvVar[] = [
      // First, so that `$(POD_NAME)` in the arguments and later variables expands.
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'HOME', value: HOME },
    ];
    const kind = this.runtime.kind;
    const query = props.queryInterval?.toSeconds();
    if (kind === WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT) {
      const options = this.runtime.prefect1Options;
      const template = this.props.jobTemplate ?? {};
      const pullSecrets = template.imagePullSecrets ?? props.imagePullSecrets ?? [];
      env.push(
        ...this.connection._prefect1Env(),
        // Prefect 1 reads the labels as a Python literal.
        { name: 'PREFECT__CLOUD__AGENT__LABELS', value: `[${(options.labels ?? []).map(l => `'${l}'`).join(', ')}]` },
        { name: 'PREFECT__CLOUD__AGENT__NAME', value: props.workerName ?? '$(POD_NAME)' },
        { name: 'PREFECT__CLOUD__AGENT__LEVEL', value: props.logLevel ?? PrefectLogLevel.INFO },
        { name: 'PREFECT__CLOUD__AGENT__AGENT_ADDRESS', value: `http://:${HEALTH_PORT}` },
        { name: 'NAMESPACE', value: this.jobNamespace! },
        ...(template.serviceAccountName ? [{ name: 'SERVICE_ACCOUNT_NAME', value: template.serviceAccountName }] : []),
        ...(pullSecrets.length > 0 ? [{ name: 'IMAGE_PULL_SECRETS', value: pullSecrets.join(',') }] : []),
        { name: 'DELETE_FINISHED_JOBS', value: (options.deleteFinishedJobs ?? true) ? 'True' : 'False' },
      );
    } else {
      env.push(
        { name: 'PREFECT_HOME', value: `${HOME}/.prefect` },
        ...this.connection._clientEnv(),
        { name: 'PREFECT_LOGGING_LEVEL', value: props.logLevel ?? PrefectLogLevel.INFO },
      );
      if (kind === WorkerRuntimeKind.WORKER) {
        if (query !== undefined) env.push({ name: 'PREFECT_WORKER_QUERY_SECONDS', value: String(query) });
        env.push({ name: 'PREFECT_WORKER_WEBSERVER_HOST', value: '0.0.0.0' }, { name: 'PREFECT_WORKER_WEBSERVER_PORT', value: String(HEALTH_PORT) });
      } else if (query !== undefined) {
        env.push({ name: 'PREFECT_AGENT_QUERY_INTERVAL', value: String(query) });
      }
      if (this.type === WorkPoolType.KUBERNETES) env.push(...this.kubernetesEnv());
    }
    if ((props.pipPackages ?? []).length > 0) {
      env.push({ name: 'PYTHONPATH', value: `${PACKAGES_DIRECTORY}/site-packages:${PACKAGES_DIRECTORY}/platform-packages` });
    }
    if (props.timeZone) env.push({ name: 'TZ', value: props.timeZone });
    return [...env, ...toEnvVars(props.env ?? [])];
  }

  /** Settings of workers and agents that launch Kubernetes Jobs. */
  private kubernetesEnv(): k8s.EnvVar[] {
    const version = this.image.version;
    const env: k8s.EnvVar[] = [];
    if (!version.isAtLeast(SINCE.KUBERNETES_OBSERVER)) {
      // Older releases read the kube-system namespace (a cluster-wide permission) for a cluster id
      // and crash the run when they may not; any id that is stable for this pool will do.
      const uid = this.props.clusterUid ?? stableUuid(`${this.namespace}/${this.name}`);
      env.push({ name: 'PREFECT_KUBERNETES_CLUSTER_UID', value: uid });
    }
    if (this.runtime.kind !== WorkerRuntimeKind.WORKER) return env;
    if (version.isAtLeast(SINCE.KUBERNETES_OBSERVER)) {
      // Watch flow-run pods and Jobs only where they are launched, so a namespaced Role suffices.
      env.push({ name: 'PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES', value: this.jobNamespaces.join(',') });
    }
    // Flow-run Jobs reference the worker's Secrets instead of carrying the credentials in plain text.
    const apiKey = this.connection.apiKey;
    if (apiKey && version.isAtLeast(SINCE.JOB_API_KEY_SECRET)) {
      env.push(
        { name: 'PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_NAME', value: apiKey.secretName },
        { name: 'PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_KEY', value: apiKey.key },
      );
    }
    const authString = this.connection.authString;
    if (authString && version.isAtLeast(SINCE.JOB_AUTH_STRING_SECRET)) {
      env.push(
        { name: 'PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_NAME', value: authString.secretName },
        { name: 'PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_KEY', value: authString.key },
      );
    }
    return env;
  }

  private deployment(id: string, name: string, queues: WorkQueue[]): ApiObject {
    const props = this.props;
    const kind = this.runtime.kind;
    const resources = toRequirements(mergeResources(DEFAULT_WORKER_RESOURCES, props.resources));
    // Resolved at synth: an ingress may add basic auth to an in-cluster server after this pool.
    const env: k8s.EnvVar[] = Lazy.any({ produce: () => this.workerEnv() });
    const mounts = [...writableMounts(), ...this.filesMounts()];
    const volumes = writableVolumes();
    if ((props.configFiles ?? []).length > 0) volumes.push(this.filesVolume());
    if (this.poolConfig) {
      volumes.push({ name: 'pool-config', configMap: { name: `${this.name}-pool` } });
      mounts.push({ name: 'pool-config', mountPath: POOL_CONFIG_DIRECTORY, readOnly: true });
    }
    const initContainers: k8s.Container[] = [];
    const packages = props.pipPackages ?? [];
    if (packages.length > 0) {
      volumes.push({ name: 'packages', emptyDir: { sizeLimit: k8s.Quantity.fromString('2Gi') } });
      mounts.push({ name: 'packages', mountPath: PACKAGES_DIRECTORY });
      initContainers.push(this.container('install-packages', ['python', '-c', programSource(Program.INSTALL_PACKAGES, true), ...packages],
        [{ name: 'HOME', value: HOME }, ...(props.env ?? []).filter(e => /^PIP_/.test(e.name)).flatMap(e => toEnvVars([e]))],
        resources, mounts));
    }
    if (this.poolConfig && kind !== WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT) {
      initContainers.push(this.container('apply-pool', ['sh', `${POOL_CONFIG_DIRECTORY}/apply-pool.sh`], env, resources, mounts));
    }

    const main: k8s.Container = this.container(kind === WorkerRuntimeKind.WORKER ? 'prefect-worker' : 'prefect-agent',
      this.workerArgs(queues), env, resources, mounts);
    if (kind !== WorkerRuntimeKind.PREFECT2_AGENT) {
      // Prefect 2 agents have no health endpoint.
      const path = kind === WorkerRuntimeKind.WORKER ? '/health' : '/api/health';
      Object.assign(main, {
        ports: [{ name: HEALTH_PORT_NAME, containerPort: HEALTH_PORT, protocol: 'TCP' }],
        startupProbe: httpGetProbe(path, HEALTH_PORT_NAME, 30),
        livenessProbe: httpGetProbe(path, HEALTH_PORT_NAME, 3),
      });
    }

    const selector = selectorLabels(name, this.component);
    return new k8s.KubeDeployment(this, id, {
      metadata: { name, labels: this.labels(name) },
      spec: {
        replicas: props.replicas ?? 1,
        selector: { matchLabels: selector },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) },
        },
        template: {
          metadata: {
            labels: this.labels(name),
            annotations: { 'checksum/config': this.configHash },
          },
          spec: {
            ...(this.rbac ? { serviceAccountName: this.rbac.serviceAccountName } : {}),
            // Only workers that launch Jobs call the Kubernetes API.
            automountServiceAccountToken: this.rbac !== undefined,
            enableServiceLinks: false,
            securityContext: restrictedPod(),
            ...((props.imagePullSecrets ?? []).length > 0 ? { imagePullSecrets: props.imagePullSecrets!.map(s => ({ name: s })) } : {}),
            ...(props.nodeSelector ? { nodeSelector: props.nodeSelector } : {}),
            ...(props.tolerations ? { tolerations: props.tolerations } : {}),
            ...(props.affinity ? { affinity: props.affinity } : {}),
            ...(initContainers.length > 0 ? { initContainers } : {}),
            containers: [main],
            volumes,
          },
        },
      },
    });
  }

  private container(name: string, args: string[], env: k8s.EnvVar[], resources: k8s.ResourceRequirements, mounts: k8s.VolumeMount[]): k8s.Container {
    return {
      name,
      image: this.image.reference,
      imagePullPolicy: 'IfNotPresent',
      // The image's entrypoint (tini, then Prefect's entrypoint script) stays: only args are given.
      args,
      env,
      resources,
      securityContext: restrictedContainer(),
      volumeMounts: mounts,
      // Process pools run flows, and their pull steps, in the worker's working directory: the
      // image's is read-only.
      workingDir: HOME,
    };
  }
}

/** A UUID-shaped identifier derived from `seed`. */
function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function fileKey(file: ConfigFile, index: number): string {
  const base = file.path.slice(file.path.lastIndexOf('/') + 1);
  return `${index}-${base}`.slice(0, 253);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
