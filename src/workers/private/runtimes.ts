import { createHash } from 'node:crypto';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { PrefectImageFlavor } from '../../core/prefect-image';
import { PrefectVersion } from '../../core/prefect-version';
import { ContainerArg, ContainerEnvVar, KubeletText } from '../../core/private/kubelet';
import { SETTINGS, SINCE } from '../../core/private/prefect-settings';
import { HOME } from '../../core/private/security';
import { checkBooleans, propError } from '../../core/private/validation';
import { ValidationCode } from '../../core/validation-code';
import { RunLauncher } from '../agent-rbac';
import { KubernetesJobTemplateOptions } from '../kubernetes-job-template';
import { WorkPoolType, WorkQueue } from '../work-pool';
import { baseJobTemplate, JobTemplateContext, prefect1JobTemplate } from './job-templates';
import { ResolvedPool } from './resolved-pool';
import { COMPONENT_AGENT, COMPONENT_WORKER, HEALTH_PORT, POOL_CONFIG_DIRECTORY } from './worker-layout';

/** The job template a pool renders, and the file of its ConfigMap that carries it. */
export interface RenderedJobTemplate {
  readonly file: string;
  readonly template: Record<string, unknown>;
}

/**
 * What differs between the programs that poll for flow runs: each runtime is one subclass, and the
 * pool asks it instead of switching on a kind.
 */
export abstract class RuntimeBehaviour {
  /** `app.kubernetes.io/component` of the pods. */
  public abstract readonly component: string;
  /** Name of the main container. */
  public abstract readonly containerName: string;
  /** What its RBAC allows. */
  public abstract readonly launcher: RunLauncher;
  /** The Prefect release of the default image. */
  public abstract readonly defaultVersion: PrefectVersion;
  /** Whether it serves a work pool with queues (the Prefect 1 agent selects flows by labels). */
  public readonly hasWorkPools: boolean = true;
  /** Whether it reads a base job template, which the pool then keeps here when it is managed here and launches Jobs. */
  public readonly appliesBaseJobTemplate: boolean = false;
  /** Why the pool's `jobTemplate` prop must stay unset, if this runtime takes none. */
  public readonly noJobTemplate?: string;
  /** Why `workerName` must stay unset, if this runtime has no name option. */
  public readonly noWorkerName?: string;
  /** Whether the worker identifies its cluster (`clusterUid`). */
  public readonly identifiesCluster: boolean = true;
  /** The path of the health endpoint on HEALTH_PORT, if it has one. */
  public readonly healthPath?: string;

  /** Name of the pool's objects when the `name` prop is unset. */
  public defaultName(poolSlug: string | undefined): string {
    return `${poolSlug}-${this.component}`;
  }

  /** The image flavor its default image has for a pool of this type. */
  public imageFlavor(_type: WorkPoolType): PrefectImageFlavor {
    return PrefectImageFlavor.STANDARD;
  }

  /** The work pool type given to `prefect work-pool create` (runtimes with work pools). */
  public workPoolType(type: WorkPoolType): string {
    return type;
  }

  /** Checks that the image's release runs this runtime. */
  public abstract validateRelease(scope: IConstruct, pool: ResolvedPool): void;

  /** Checks the runtime's own options. */
  public validateOptions(_scope: IConstruct): void {}

  /** The job template of the flow runs, if one is kept here. */
  public jobTemplate(_pool: ResolvedPool, _options: KubernetesJobTemplateOptions, _context: JobTemplateContext): RenderedJobTemplate | undefined {
    return undefined;
  }

  /** The main container's arguments for the given queues. */
  public abstract args(pool: ResolvedPool, queues: WorkQueue[]): ContainerArg[];

  /** The runtime's own environment (after POD_NAME and HOME, before the pool's extras). */
  public abstract env(pool: ResolvedPool): ContainerEnvVar[];
}

/** The pod's own name, which the kubelet puts in for this reference (POD_NAME comes first). */
const POD_NAME_REFERENCE = KubeletText.reference(SETTINGS.pod.POD_NAME.name);

function queueArgs(queues: WorkQueue[]): string[] {
  return queues.flatMap(q => ['--work-queue', q.name]);
}

/** `--limit` and `--prefetch-seconds`, which workers and Prefect 2 agents share. */
function limitArgs(pool: ResolvedPool): string[] {
  return [
    ...(pool.limit !== undefined ? ['--limit', String(pool.limit)] : []),
    ...(pool.prefetch !== undefined ? ['--prefetch-seconds', String(pool.prefetch.toSeconds())] : []),
  ];
}

/** What every Prefect 2 and 3 client of the pool reads: home, API and log level. */
function clientEnv(pool: ResolvedPool): k8s.EnvVar[] {
  return [
    { name: SETTINGS.client.HOME.name, value: `${HOME}/.prefect` },
    ...pool.connection._clientEnv(),
    { name: SETTINGS.client.LOGGING_LEVEL.name, value: pool.logLevel },
  ];
}

/**
 * Older releases read the kube-system namespace (a cluster-wide permission) for a cluster id and
 * crash the run when they may not; any id that is stable for this pool will do.
 */
function clusterUidEnv(pool: ResolvedPool): k8s.EnvVar[] {
  if (!pool.launchesJobs || pool.version.isAtLeast(SINCE.KUBERNETES_OBSERVER)) return [];
  return [{ name: SETTINGS.kubernetes.CLUSTER_UID.name, value: pool.clusterUid ?? stableUuid(`${pool.namespace}/${pool.name}`) }];
}

function checkSetUpRelease(scope: IConstruct, pool: ResolvedPool): void {
  if (pool.managePool && !pool.version.isAtLeast(SINCE.WORK_POOL_UPDATE)) {
    throw propError(scope, 'managePool', `true with Prefect ${pool.version}`,
      `Prefect ${SINCE.WORK_POOL_UPDATE} or newer (\`prefect work-pool update\`), or managePool: false with the pool set up by other means`, ValidationCode.RELEASE);
  }
}

/** `prefect worker start` (Prefect 2.10+ and 3). */
export class WorkerBehaviour extends RuntimeBehaviour {
  public readonly component = COMPONENT_WORKER;
  public readonly containerName = 'prefect-worker';
  public readonly launcher = RunLauncher.KUBERNETES_WORKER;
  public readonly defaultVersion = PrefectVersion.V3_8_3;
  public readonly appliesBaseJobTemplate = true;
  public readonly healthPath = '/health';

  public imageFlavor(type: WorkPoolType): PrefectImageFlavor {
    return type === WorkPoolType.KUBERNETES ? PrefectImageFlavor.KUBERNETES : PrefectImageFlavor.STANDARD;
  }

  public validateRelease(scope: IConstruct, pool: ResolvedPool): void {
    if (!pool.version.isAtLeast(SINCE.WORKER_HEALTHCHECK)) {
      throw propError(scope, 'runtime', `WorkerRuntime.worker() with Prefect ${pool.version}`,
        `Prefect ${SINCE.WORKER_HEALTHCHECK} or newer (workers with health checks); for older Prefect 2 use WorkerRuntime.prefect2Agent(), for Prefect 1 WorkerRuntime.prefect1KubernetesAgent()`, ValidationCode.RELEASE);
    }
    checkSetUpRelease(scope, pool);
  }

  public jobTemplate(pool: ResolvedPool, options: KubernetesJobTemplateOptions, context: JobTemplateContext): RenderedJobTemplate | undefined {
    if (!pool.keepsBaseJobTemplate) return undefined;
    return { file: 'base-job-template.json', template: baseJobTemplate(options, context) };
  }

  public args(pool: ResolvedPool, queues: WorkQueue[]): ContainerArg[] {
    return ['prefect', 'worker', 'start', '--pool', pool.poolName!, '--type', pool.type, ...queueArgs(queues),
      '--name', pool.workerName ?? POD_NAME_REFERENCE, ...limitArgs(pool), '--with-healthcheck',
      // Installing a missing worker package would fail on the read-only root filesystem anyway.
      ...(pool.version.isAtLeast(SINCE.WORKER_INSTALL_POLICY) ? ['--install-policy', 'never'] : [])];
  }

  public env(pool: ResolvedPool): ContainerEnvVar[] {
    const query = pool.queryInterval?.toSeconds();
    return [
      ...clientEnv(pool),
      ...(query !== undefined ? [{ name: SETTINGS.worker.QUERY_SECONDS.name, value: String(query) }] : []),
      { name: SETTINGS.worker.WEBSERVER_HOST.name, value: '0.0.0.0' },
      { name: SETTINGS.worker.WEBSERVER_PORT.name, value: String(HEALTH_PORT) },
      ...clusterUidEnv(pool),
      ...jobLaunchEnv(pool),
    ];
  }
}

/** What a Kubernetes worker needs to launch Jobs with namespaced permissions and no credentials in them. */
function jobLaunchEnv(pool: ResolvedPool): k8s.EnvVar[] {
  const K = SETTINGS.kubernetes;
  if (!pool.launchesJobs) return [];
  const version = pool.version;
  const env: k8s.EnvVar[] = [];
  if (version.isAtLeast(SINCE.KUBERNETES_OBSERVER)) {
    // Watch flow-run pods and Jobs only where they are launched, so a namespaced Role suffices.
    env.push({ name: K.OBSERVER_NAMESPACES.name, value: pool.jobNamespaces.join(',') });
  }
  // Flow-run Jobs reference the worker's Secrets instead of carrying the credentials in plain text.
  const secrets = [
    { name: K.API_KEY_SECRET_NAME, key: K.API_KEY_SECRET_KEY, reference: pool.connection.apiKey, since: SINCE.JOB_API_KEY_SECRET },
    { name: K.API_AUTH_STRING_SECRET_NAME, key: K.API_AUTH_STRING_SECRET_KEY, reference: pool.connection.authString, since: SINCE.JOB_AUTH_STRING_SECRET },
  ];
  for (const { name, key, reference, since } of secrets) {
    if (reference && version.isAtLeast(since)) {
      env.push({ name: name.name, value: reference.secretName }, { name: key.name, value: reference.key });
    }
  }
  return env;
}

/** `prefect agent start` (Prefect 2 only). */
export class Prefect2AgentBehaviour extends RuntimeBehaviour {
  public readonly component = COMPONENT_AGENT;
  public readonly containerName = 'prefect-agent';
  public readonly launcher = RunLauncher.PREFECT2_AGENT;
  public readonly defaultVersion = PrefectVersion.V2_20_25;
  public readonly noJobTemplate = 'unset for Prefect 2 agents: their Jobs come from the deployments\' KubernetesJob infrastructure blocks';
  public readonly noWorkerName = 'unset for Prefect 2 agents, which have no name option';

  public workPoolType(): string {
    return 'prefect-agent';
  }

  public validateRelease(scope: IConstruct, pool: ResolvedPool): void {
    checkSetUpRelease(scope, pool);
    if (pool.version.major !== 2) {
      throw propError(scope, 'runtime', `WorkerRuntime.prefect2Agent() with Prefect ${pool.version}`,
        'Prefect 2: agents were removed in Prefect 3 (use WorkerRuntime.worker())', ValidationCode.RELEASE);
    }
  }

  public args(pool: ResolvedPool, queues: WorkQueue[]): ContainerArg[] {
    return ['prefect', 'agent', 'start', '--pool', pool.poolName!, ...queueArgs(queues), ...limitArgs(pool)];
  }

  public env(pool: ResolvedPool): ContainerEnvVar[] {
    const query = pool.queryInterval?.toSeconds();
    return [
      ...clientEnv(pool),
      ...(query !== undefined ? [{ name: SETTINGS.agent.QUERY_INTERVAL.name, value: String(query) }] : []),
      ...clusterUidEnv(pool),
    ];
  }
}

/** `prefect agent kubernetes start` (Prefect 1). */
export class Prefect1AgentBehaviour extends RuntimeBehaviour {
  public readonly component = COMPONENT_AGENT;
  public readonly containerName = 'prefect-agent';
  public readonly launcher = RunLauncher.PREFECT1_KUBERNETES_AGENT;
  public readonly defaultVersion = PrefectVersion.V1_4_1;
  public readonly hasWorkPools = false;
  public readonly identifiesCluster = false;
  public readonly healthPath = '/api/health';

  public constructor(private readonly labels: string[], private readonly deleteFinishedJobs: boolean) {
    super();
  }

  public defaultName(): string {
    return 'prefect-agent';
  }

  public validateRelease(scope: IConstruct, pool: ResolvedPool): void {
    if (pool.version.major !== 1) {
      throw propError(scope, 'runtime', `WorkerRuntime.prefect1KubernetesAgent() with Prefect ${pool.version}`,
        'a Prefect 1 image (PrefectImage.official({ version: PrefectVersion.V1_4_1 }))', ValidationCode.RELEASE);
    }
    if (pool.type !== WorkPoolType.KUBERNETES) {
      throw propError(scope, 'type', pool.type, 'WorkPoolType.KUBERNETES: the Prefect 1 Kubernetes agent runs flows as Jobs', ValidationCode.CONFLICT);
    }
  }

  public validateOptions(scope: IConstruct): void {
    // A string "false" would be true to JavaScript, and delete the Jobs.
    checkBooleans(scope, { 'runtime.deleteFinishedJobs': this.deleteFinishedJobs });
    if (!Array.isArray(this.labels)) throw propError(scope, 'runtime.labels', this.labels, 'a list', ValidationCode.FORMAT);
    for (const label of this.labels) {
      if (typeof label !== 'string') throw propError(scope, 'runtime.labels', label, 'strings', ValidationCode.FORMAT);
      if (label.trim() === '' || /['\\\n]/.test(label)) {
        throw propError(scope, 'runtime.labels', label, 'non-blank labels without quotes, backslashes or line breaks', ValidationCode.FORMAT);
      }
      // The agent copies its labels into every flow run's environment, unescaped.
      if (label.includes('$(')) {
        throw propError(scope, 'runtime.labels', label, 'labels without "$(": the agent copies them into the flow runs\' pods, where the kubelet would expand it', ValidationCode.EXPANSION);
      }
    }
  }

  public jobTemplate(_pool: ResolvedPool, options: KubernetesJobTemplateOptions, context: JobTemplateContext): RenderedJobTemplate {
    return { file: 'job-template.yaml', template: prefect1JobTemplate(options, context) };
  }

  public args(): ContainerArg[] {
    return ['prefect', 'agent', 'kubernetes', 'start', '--job-template', `${POOL_CONFIG_DIRECTORY}/job-template.yaml`];
  }

  public env(pool: ResolvedPool): ContainerEnvVar[] {
    const template = pool.jobTemplate;
    const pullSecrets = template.imagePullSecrets ?? pool.imagePullSecrets;
    const P1 = SETTINGS.prefect1;
    return [
      ...pool.connection._prefect1Env(),
      // Prefect 1 reads the labels as a Python literal.
      { name: P1.AGENT_LABELS.name, value: `[${this.labels.map(l => `'${l}'`).join(', ')}]` },
      { name: P1.AGENT_NAME.name, value: pool.workerName ?? POD_NAME_REFERENCE },
      { name: P1.AGENT_LEVEL.name, value: pool.logLevel },
      { name: P1.AGENT_ADDRESS.name, value: `http://:${HEALTH_PORT}` },
      { name: P1.NAMESPACE.name, value: pool.jobNamespace! },
      ...(template.serviceAccountName ? [{ name: P1.SERVICE_ACCOUNT_NAME.name, value: template.serviceAccountName }] : []),
      ...(pullSecrets.length > 0 ? [{ name: P1.IMAGE_PULL_SECRETS.name, value: pullSecrets.join(',') }] : []),
      { name: P1.DELETE_FINISHED_JOBS.name, value: this.deleteFinishedJobs ? 'True' : 'False' },
    ];
  }
}

/** A UUID-shaped identifier derived from `seed`. */
function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
