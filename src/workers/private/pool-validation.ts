import { Duration } from 'cdk8s';
import { ImagePullPolicy } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { EnvironmentVariable } from '../../core/environment-variable';
import { PrefectLogLevel } from '../../core/log-level';
import { PrefectImage } from '../../core/prefect-image';
import { checkPodOptions } from '../../core/private/pod-options';
import { settingNames, SETTINGS, SINCE } from '../../core/private/prefect-settings';
import { checkContainerResources } from '../../core/private/resources';
import { HOME } from '../../core/private/security';
import {
  checkDns1035Label, checkDns1123Subdomain, checkEnum, checkExtraEnv, checkInteger,
  checkBooleans, checkBranded, checkInstance, checkJobNamespace, checkLists, checkRequired, checkSeconds, checkString, checkTimeZone,
  problemsOf, propError,
} from '../../core/private/validation';
import { ValidationCode } from '../../core/validation-code';
import type { DaskScratch } from '../../dask/dask-scratch';
import { DASK_CONFIG_DIRECTORY } from '../../dask/private/job-template-additions';
import { PrefectConnection } from '../prefect-connection';
import { QueueDeployments, WorkPoolType } from '../work-pool';
import { PrefectWorkerPoolOptions } from '../worker-pool-options';
import { WorkerRuntime } from '../worker-runtime';
import { checkJobTemplate } from './job-templates';
import { checkPoolScaling } from './pool-scaling';
import { ResolvedPool, slug } from './resolved-pool';
import { RuntimeBehaviour } from './runtimes';
import { PACKAGES_DIRECTORY, POOL_CONFIG_DIRECTORY } from './worker-layout';

/** What the user gave a pool, as the checks report it. */
export interface GivenPoolProps extends PrefectWorkerPoolOptions {
  readonly dask?: DaskScratch;
}

/** Everything a check reads: the construct to report against, the props as given and as resolved. */
interface Checked {
  readonly scope: IConstruct;
  readonly props: GivenPoolProps;
  readonly pool: ResolvedPool;
  readonly runtime: RuntimeBehaviour;
}

const MAX_NAME_LENGTH = 40;

/** What the runtimes and the worker pods set, under every name, whether or not this pool emits it. */
const RESERVED_ENV = settingNames(SETTINGS.pod, SETTINGS.client, SETTINGS.worker, SETTINGS.kubernetes, SETTINGS.agent, SETTINGS.prefect1);

const PIP_REQUIREMENT = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*\])?((===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]+(,(===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]+)*)?$/;

/** Directories of the worker pod that configuration files may not be mounted into. */
/**
 * Where a config file may not go: the kernel's file systems, what the library mounts itself, and
 * where the kubelet mounts the ServiceAccount token of pods that get one.
 */
const RESERVED_DIRECTORIES = ['/proc', '/sys', '/dev', '/tmp', HOME, POOL_CONFIG_DIRECTORY, PACKAGES_DIRECTORY, DASK_CONFIG_DIRECTORY, '/var/run/secrets', '/run/secrets'];

/** The enum-like props, which a JavaScript or Python caller can set to any string. */
function checkChoices({ scope, props }: Checked): void {
  checkEnum(scope, 'type', props.type, WorkPoolType, 'WorkPoolType');
  checkEnum(scope, 'queueDeployments', props.queueDeployments, QueueDeployments, 'QueueDeployments');
  checkEnum(scope, 'logLevel', props.logLevel, PrefectLogLevel, 'PrefectLogLevel');
  checkEnum(scope, 'jobTemplate.imagePullPolicy', props.jobTemplate?.imagePullPolicy, ImagePullPolicy, 'ImagePullPolicy');
}

/** The items of an env list. */
const ENV_ITEM = { type: EnvironmentVariable, what: 'an EnvironmentVariable: EnvironmentVariable.fromValue() or fromSecret()' };

/**
 * Checks a pool's props, concern by concern, throwing the first problem. The order is part of the
 * behaviour: a name derived from a bad prop is reported against the prop, not the name.
 */
/**
 * What a JavaScript or Python caller can get wrong before the props are resolved: the connection
 * left out, a string where a list goes.
 */
export function checkShapes(scope: IConstruct, props: (GivenPoolProps & { readonly connection?: unknown }) | undefined): void {
  checkRequired(scope, 'connection', props?.connection, 'a PrefectConnection: inCluster(), fromUrl() or cloud()');
  checkInstance(scope, 'connection', props!.connection, PrefectConnection, 'a PrefectConnection: inCluster(), fromUrl() or cloud()');
  checkInstance(scope, 'runtime', props!.runtime, WorkerRuntime, 'a WorkerRuntime: worker(), prefect2Agent() or prefect1KubernetesAgent()');
  // Props of earlier releases, which a JavaScript or Python caller may still pass: ignored, the
  // pods would be scheduled anywhere.
  const moved = (['nodeSelector', 'tolerations', 'affinity'] as const).find(p => (props as Record<string, unknown>)[p] !== undefined);
  if (moved !== undefined) throw propError(scope, moved, 'set', `pod.${moved}: the pod options of the workers (jobTemplate.pod for flow runs)`, ValidationCode.RESERVED);
  checkInstance(scope, 'image', props!.image, PrefectImage, 'a PrefectImage: PrefectImage.official() or fromRegistry()');
  checkInstance(scope, 'jobTemplate.image', props!.jobTemplate?.image, PrefectImage, 'a PrefectImage: PrefectImage.official() or fromRegistry()');
  for (const prop of ['poolName', 'name', 'workerName', 'timeZone', 'clusterUid'] as const) {
    if (props![prop] !== undefined) checkString(scope, prop, props![prop]);
  }
  checkBooleans(scope, { managePool: props!.managePool });
  checkBranded(scope, 'dask', props!.dask, 'DaskScratch');
  checkLists(scope, {
    'pipPackages': props!.pipPackages, 'additionalJobNamespaces': props!.additionalJobNamespaces, 'imagePullSecrets': props!.imagePullSecrets,
    'jobTemplate.imagePullSecrets': props!.jobTemplate?.imagePullSecrets,
  }, 'string');
  checkLists(scope, { queues: props!.queues, configFiles: props!.configFiles }, 'options');
  checkLists(scope, { 'env': props!.env, 'jobTemplate.env': props!.jobTemplate?.env }, ENV_ITEM);
}

export function validatePool(scope: IConstruct, props: GivenPoolProps, pool: ResolvedPool, runtime: RuntimeBehaviour): void {
  const c: Checked = { scope, props, pool, runtime };
  checkChoices(c);
  checkNames(c);
  pool.connection._validate(scope, 'connection', pool.version);
  runtime.validateRelease(scope, pool);
  if (!runtime.hasWorkPools) checkNoPoolProps(c);
  runtime.validateOptions(scope);
  checkPoolName(c);
  if (pool.launchesJobs && !pool.namespace) {
    throw propError(scope, 'namespace', undefined,
      'a chart with a namespace for a kubernetes pool: its RBAC names the worker\'s ServiceAccount by namespace (new Chart(app, id, { namespace }))', ValidationCode.REQUIRED);
  }
  checkQueues(c);
  if (props.autoscaling === undefined) checkInteger(scope, 'replicas', pool.replicas, 1, 100);
  checkPoolScaling(scope, props);
  if (pool.limit !== undefined) checkInteger(scope, 'limit', pool.limit, 1, 10000);
  checkWorkerName(c);
  for (const [prop, value] of [['prefetch', pool.prefetch], ['queryInterval', pool.queryInterval]] as const) {
    if (value !== undefined) checkSeconds(scope, prop, value, 1, 3600);
  }
  checkWorkerPods(c);
  checkJobTemplateProp(c);
  checkJobNamespaces(c);
  checkClusterUid(c);
  for (const requirement of pool.pipPackages) {
    if (!PIP_REQUIREMENT.test(requirement)) {
      throw propError(scope, 'pipPackages', requirement, 'pip requirement specifiers such as "prefect-aws==0.5.10" or "s3fs>=2024.1,<2025"', ValidationCode.FORMAT);
    }
  }
  checkConfigFiles(c);
  checkDask(c);
}

function checkNames({ scope, props, pool }: Checked): void {
  // Before the name derived from it, which would be reported against a prop the user did not set.
  if (pool.poolName !== undefined && props.name === undefined) {
    const derived = slug(pool.poolName);
    if (derived === '') throw propError(scope, 'poolName', pool.poolName, 'a name with a letter or digit, or set name for the Kubernetes objects', ValidationCode.FORMAT);
    // The objects' name is the pool name's slug and a suffix: the limit is the slug's.
    const room = MAX_NAME_LENGTH - (pool.name.length - derived.length);
    if (problemsOf(() => checkDns1035Label(scope, 'name', pool.name, MAX_NAME_LENGTH)).length > 0) {
      throw propError(scope, 'poolName', pool.poolName,
        `a pool name whose slug (${JSON.stringify(derived)}, in the objects' name ${JSON.stringify(pool.name)}) starts with a letter and has at most ${room} characters, or set name for the Kubernetes objects`,
        derived.length > room ? ValidationCode.TOO_LONG : ValidationCode.FORMAT);
    }
  }
  checkDns1035Label(scope, 'name', pool.name, MAX_NAME_LENGTH);
}

/** The Prefect 1 agent has no work pools or queues, and none of their options. */
function checkNoPoolProps({ scope, props }: Checked): void {
  const given = {
    poolName: props.poolName, queues: props.queues, queueDeployments: props.queueDeployments, managePool: props.managePool,
    limit: props.limit, prefetch: props.prefetch, queryInterval: props.queryInterval, pipPackages: props.pipPackages,
  };
  for (const [prop, value] of Object.entries(given)) {
    if (value !== undefined) {
      const shown = Array.isArray(value) ? value.map(v => typeof v === 'string' ? v : v.name).join(',')
        : value instanceof Duration ? `${value.toMilliseconds() / 1000}s` : value;
      throw propError(scope, prop, shown,
        'unset for the Prefect 1 agent, which has no work pools or queues (it selects flows by labels: WorkerRuntime.prefect1KubernetesAgent({ labels }))', ValidationCode.CONFLICT);
    }
  }
}

/**
 * The set-up passes pool and queue names to the Prefect CLI as positional arguments
 * (`prefect work-pool create <name>`), where a leading '-' would make them an option.
 */
function checkNotOption(scope: IConstruct, prop: string, value: string): void {
  if (value.startsWith('-')) {
    throw propError(scope, prop, value, 'a name that does not start with "-": the set-up passes it to the Prefect CLI as an argument, which would read it as an option', ValidationCode.OPTION);
  }
}

function checkPoolName({ scope, pool }: Checked): void {
  const name = pool.poolName;
  if (name !== undefined) checkNotOption(scope, 'poolName', name);
  if (name !== undefined && (name.trim() === '' || name.length > 100 || /[\n\r'"\\/%&><]/.test(name))) {
    throw propError(scope, 'poolName', name, 'a work pool name of 1 to 100 characters without quotes, slashes, backslashes, %, &, < or >', ValidationCode.FORMAT);
  }
}

function checkQueues({ scope, pool }: Checked): void {
  const names = new Set<string>();
  const slugs = new Map<string, string>();
  pool.queues.forEach((queue, i) => {
    checkRequired(scope, `queues[${i}].name`, queue?.name, 'a queue name');
    checkString(scope, `queues[${i}].name`, queue.name);
  });
  for (const queue of pool.queues) {
    checkNotOption(scope, 'queues', queue.name);
    if (queue.name.trim() === '' || queue.name !== queue.name.trim() || /[\n\r'"\\/%&><]/.test(queue.name) || queue.name.length > 100) {
      throw propError(scope, 'queues', queue.name, 'queue names of 1 to 100 characters without surrounding spaces, quotes, slashes, backslashes, %, &, < or >', ValidationCode.FORMAT);
    }
    if (names.has(queue.name)) throw propError(scope, 'queues', queue.name, 'each queue name once', ValidationCode.DUPLICATE);
    names.add(queue.name);
    if (queue.priority !== undefined) checkInteger(scope, `queues[${queue.name}].priority`, queue.priority, 1, 1000000);
    if (queue.concurrencyLimit !== undefined) checkInteger(scope, `queues[${queue.name}].concurrencyLimit`, queue.concurrencyLimit, 0, 1000000);
    if (!pool.managePool && (queue.priority !== undefined || queue.concurrencyLimit !== undefined)) {
      throw propError(scope, `queues[${queue.name}]`, 'priority or concurrencyLimit', 'neither when managePool is false: queues are only created here when the pool is managed here', ValidationCode.CONFLICT);
    }
    if (pool.perQueue) {
      const s = slug(queue.name);
      const deploymentName = `${pool.name}-${s}`;
      if (s === '' || deploymentName.length > 63 || !/^[a-z]/.test(deploymentName)) {
        throw propError(scope, 'queues', queue.name,
          `with one Deployment per queue, a queue name that makes a valid Deployment name "<name>-<queue>" of at most 63 characters (${JSON.stringify(deploymentName)})`, ValidationCode.TOO_LONG);
      }
      const clash = slugs.get(s);
      if (clash !== undefined) {
        throw propError(scope, 'queues', queue.name, `with one Deployment per queue, names that differ in more than case and punctuation (${JSON.stringify(clash)} also makes ${deploymentName})`, ValidationCode.COLLISION);
      }
      slugs.set(s, queue.name);
    }
  }
  if (pool.perQueue && pool.queues.length === 0) {
    throw propError(scope, 'queues', '(none)', 'at least one queue with QueueDeployments.PER_QUEUE', ValidationCode.REQUIRED);
  }
}

function checkWorkerName({ scope, props, pool, runtime }: Checked): void {
  const name = pool.workerName;
  if (name === undefined) return;
  if (name.trim() === '' || /[\n\r'"\\/%&><$]/.test(name) || name.length > 100) {
    throw propError(scope, 'workerName', name, 'a name of 1 to 100 characters without quotes, slashes, $, %, &, < or >', ValidationCode.FORMAT);
  }
  const pods = (props.autoscaling?.maxReplicas ?? pool.replicas) * (pool.perQueue ? pool.queues.length : 1);
  if (pods > 1) {
    throw propError(scope, 'workerName', name, `unset when there are ${pods} worker pods: each worker needs its own name (the default is the pod's name)`, ValidationCode.CONFLICT);
  }
  if (runtime.noWorkerName) throw propError(scope, 'workerName', name, runtime.noWorkerName, ValidationCode.CONFLICT);
}

/** Pull secrets, time zone, pod options, resources and extra environment of the worker pods. */
function checkWorkerPods({ scope, props, pool }: Checked): void {
  for (const secret of pool.imagePullSecrets) checkDns1123Subdomain(scope, 'imagePullSecrets', secret);
  if (pool.timeZone !== undefined) checkTimeZone(scope, 'timeZone', pool.timeZone);
  checkPodOptions({ scope, prop: 'pod', options: props.pod });
  checkContainerResources(scope, 'resources', props.resources);
  checkExtraEnv(scope, 'env', pool.env, name => {
    if (!RESERVED_ENV.has(name)) return undefined;
    const instead = name === SETTINGS.pod.EXTRA_PIP_PACKAGES.name
      ? 'the pipPackages prop (the image\'s own installer cannot write to the read-only root filesystem)'
      : 'the props that set it (connection, logLevel, queryInterval, prefetch, timeZone, clusterUid, jobTemplate)';
    return `a variable the construct does not set itself; use ${instead}`;
  });
  // The worker hands its Prefect settings on to every flow run's Job as written: a reference there
  // would be expanded in the flow-run pod, which also holds the API key.
  for (const variable of pool.env) {
    if (/^PREFECT_/.test(variable.name) && variable.value?.includes('$(')) {
      throw propError(scope, `env[${variable.name}]`, variable.value,
        'a Prefect setting without "$(": the worker copies its settings into the flow runs\' pods, where the kubelet would expand it', ValidationCode.EXPANSION);
    }
  }
}

function checkJobTemplateProp({ scope, props, pool, runtime }: Checked): void {
  if (!props.jobTemplate) return;
  if (pool.type === WorkPoolType.PROCESS) {
    throw propError(scope, 'jobTemplate', 'set', 'unset for a process pool: its flow runs are processes in the worker pod, not Jobs', ValidationCode.CONFLICT);
  }
  if (runtime.noJobTemplate) throw propError(scope, 'jobTemplate', 'set', runtime.noJobTemplate, ValidationCode.CONFLICT);
  if (!pool.managePool) {
    throw propError(scope, 'jobTemplate', 'set', 'unset when managePool is false: the template is applied when the pool is managed here', ValidationCode.CONFLICT);
  }
  checkJobTemplate(scope, props.jobTemplate);
}

function checkJobNamespaces({ scope, props, pool }: Checked): void {
  const additional = props.additionalJobNamespaces;
  if (additional !== undefined && !pool.launchesJobs) {
    throw propError(scope, 'additionalJobNamespaces', additional.join(','), 'unset for a process pool, which launches no Jobs', ValidationCode.CONFLICT);
  }
  const seen = [pool.jobTemplate.namespace ?? pool.namespace];
  for (const ns of additional ?? []) {
    checkJobNamespace(scope, 'additionalJobNamespaces', ns);
    if (seen.includes(ns)) throw propError(scope, 'additionalJobNamespaces', ns, 'namespaces other than the job template\'s, each once', ValidationCode.DUPLICATE);
    seen.push(ns);
  }
}

function checkClusterUid({ scope, pool, runtime }: Checked): void {
  const uid = pool.clusterUid;
  if (uid === undefined) return;
  if (!pool.launchesJobs || !runtime.identifiesCluster) {
    throw propError(scope, 'clusterUid', uid, 'unset: only Kubernetes workers and Prefect 2 agents identify their cluster', ValidationCode.CONFLICT);
  }
  if (pool.version.isAtLeast(SINCE.KUBERNETES_OBSERVER)) {
    throw propError(scope, 'clusterUid', `${uid} with Prefect ${pool.version}`,
      `unset: Prefect ${SINCE.KUBERNETES_OBSERVER} and newer no longer identify the cluster`, ValidationCode.RELEASE);
  }
  if (!/^[A-Za-z0-9][-A-Za-z0-9_.]{0,252}$/.test(uid)) {
    throw propError(scope, 'clusterUid', uid, 'an identifier such as the kube-system namespace UID (letters, digits, \'-\', \'_\' and \'.\')', ValidationCode.FORMAT);
  }
}

function checkConfigFiles({ scope, pool }: Checked): void {
  const paths = new Set<string>();
  // A file mounted inside, or over, a directory mounted too would hide it or not mount at all.
  const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  pool.files.forEach((file, i) => {
    checkRequired(scope, `configFiles[${i}].path`, file?.path, 'an absolute path');
    checkRequired(scope, `configFiles[${i}].content`, file?.content, 'the file\'s content');
    checkString(scope, `configFiles[${i}].path`, file.path);
    checkString(scope, `configFiles[${i}].content`, file.content);
  });
  for (const file of pool.files) {
    if (!/^(\/[A-Za-z0-9._-]+)+$/.test(file.path) || file.path.split('/').some(p => p === '.' || p === '..')
      || RESERVED_DIRECTORIES.some(d => overlaps(file.path, d))) {
      throw propError(scope, 'configFiles', file.path,
        `absolute file paths of letters, digits, '.', '_' and '-', neither in nor above ${RESERVED_DIRECTORIES.join(', ')}`, ValidationCode.PATH);
    }
    if (paths.has(file.path)) throw propError(scope, 'configFiles', file.path, 'each path once', ValidationCode.DUPLICATE);
    const nested = [...paths].find(other => overlaps(file.path, other));
    if (nested) throw propError(scope, 'configFiles', file.path, `a path not in or above another file's (${nested}): each is mounted as a file`, ValidationCode.PATH);
    paths.add(file.path);
  }
}

function checkDask({ scope, props, pool }: Checked): void {
  const dask = props.dask;
  if (!dask) return;
  if (!pool.keepsBaseJobTemplate) {
    throw propError(scope, 'dask', dask.node.path,
      'a kubernetes pool of workers (WorkerRuntime.worker()) whose job template is managed here: the flow-run pods get their ServiceAccount and the cluster spec from it', ValidationCode.CONFLICT);
  }
  const template = props.jobTemplate;
  if (template?.serviceAccountName !== undefined) {
    throw propError(scope, 'jobTemplate.serviceAccountName', template.serviceAccountName,
      'unset with dask: the flow runs run under the ServiceAccount that may create Dask clusters', ValidationCode.CONFLICT);
  }
  if (template?.pod?.serviceAccount !== undefined) {
    throw propError(scope, 'jobTemplate.pod.serviceAccount', 'set',
      'unset with dask: the flow runs run under the ServiceAccount that may create Dask clusters (DaskScratch owns it)', ValidationCode.CONFLICT);
  }
  if (template?.env?.some(e => ['PYTHONPATH', 'USER', 'DASK_KUBERNETES__NAMESPACE'].includes(e.name))) {
    throw propError(scope, 'jobTemplate.env', 'PYTHONPATH, USER or DASK_KUBERNETES__NAMESPACE', 'none of these with dask, which sets them for the dask_scratch module', ValidationCode.RESERVED);
  }
}
