import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu, ImagePullPolicy, k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { PrefectPodOptions } from '../../core/pod-options';
import { PrefectImage } from '../../core/prefect-image';
import { toEnvVars } from '../../core/private/env';
import { IDENTIFYING_LABEL } from '../../core/private/labels';
import { podBasics, templateContainer } from '../../core/private/pod';
import { addPodOptions, checkAppArmorAnnotations, checkPodOptions, plainPodOptions } from '../../core/private/pod-options';
import { SETTINGS } from '../../core/private/prefect-settings';
import { checkContainerResources, mergeResources } from '../../core/private/resources';
import { HOME } from '../../core/private/security';
import {
  checkDns1123Subdomain, checkExtraEnv, checkInteger, checkLabelKey, checkLabelValue, checkJobNamespace, checkMap, checkSeconds, checkString, isOptions, propError,
} from '../../core/private/validation';
import { ValidationCode } from '../../core/validation-code';
import { KubernetesJobTemplateOptions } from '../kubernetes-job-template';
import { PREFECT_PLACEHOLDER, stringsOf } from './placeholders';
import { applyPatches, checkPatchList } from './template-patches';

/**
 * Rendering of the job templates: the base job template of a Prefect 2.10+ or 3 kubernetes work
 * pool, and the job template file of the Prefect 1 agent.
 */

/** What the pool contributes to its job template beyond the user's options. */
export interface JobTemplateContext {
  /** The pool, which errors about the pod options name. */
  readonly scope: IConstruct;
  readonly namespace: string;
  readonly image: PrefectImage;
  readonly imagePullSecrets: string[];
  readonly podLabels: Record<string, string>;
  readonly env: k8s.EnvVar[];
  readonly volumes: k8s.Volume[];
  readonly volumeMounts: k8s.VolumeMount[];
  /** Whether the flow runs' ServiceAccount is the pool's own, made for its annotations: no token by default. */
  readonly ownFlowRunAccount?: boolean;
}

const DEFAULT_RUN_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(500) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(2) },
};
const SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict';

/** What the worker (the API connection) and the template (the home directory) set in a flow run. */
const TEMPLATE_OWN_ENV = new Set([SETTINGS.client.API_URL, SETTINGS.client.API_KEY, SETTINGS.client.API_AUTH_STRING, SETTINGS.pod.HOME].map(s => s.name));

/** Checks the options, reporting errors against the pool that holds them. */
export function checkJobTemplate(scope: IConstruct, options: KubernetesJobTemplateOptions): void {
  const prop = 'jobTemplate';
  if (options.namespace !== undefined) checkJobNamespace(scope, `${prop}.namespace`, options.namespace);
  if (options.serviceAccountName !== undefined) checkDns1123Subdomain(scope, `${prop}.serviceAccountName`, options.serviceAccountName);
  for (const secret of options.imagePullSecrets ?? []) checkDns1123Subdomain(scope, `${prop}.imagePullSecrets`, secret);
  checkContainerResources(scope, `${prop}.resources`, options.resources);
  checkExtraEnv(scope, `${prop}.env`, options.env ?? [], name => TEMPLATE_OWN_ENV.has(name)
    ? 'a variable the worker or the template does not set itself (the API connection comes from the pool\'s connection)'
    : undefined);
  // The worker fills in every placeholder of the template, `{{ $VAR }}` from its own environment
  // (its API key included) and `{{ prefect.blocks.secret.x }}` from a Secret block.
  const values: Array<[string, string | undefined]> = [
    ...(options.env ?? []).map((v): [string, string | undefined] => [`${prop}.env[${v.name}]`, v.value]),
    ...Object.entries(options.annotations ?? {}).map(([key, value]): [string, string] => [`${prop}.annotations[${key}]`, value]),
  ];
  for (const [where, value] of values) {
    if (typeof value === 'string' && PREFECT_PLACEHOLDER.test(value)) {
      throw propError(scope, where, value,
        'a value without a Prefect placeholder such as "{{ $VAR }}" or "{{ prefect.blocks.secret.x }}": the worker would fill it in from its own environment or a block', ValidationCode.PLACEHOLDER);
    }
  }
  checkMap(scope, `${prop}.labels`, options.labels);
  checkMap(scope, `${prop}.annotations`, options.annotations);
  for (const [key, value] of Object.entries(options.annotations ?? {})) checkString(scope, `${prop}.annotations[${key}]`, value);
  for (const [key, value] of Object.entries(options.labels ?? {})) {
    checkLabelKey(scope, `${prop}.labels`, key);
    // The worker copies the Job's labels onto the pod over the template's own: these would take
    // the flow-run pods out of their network policies and selectors.
    if (IDENTIFYING_LABEL.test(key)) {
      throw propError(scope, `${prop}.labels`, key,
        'labels other than app.kubernetes.io/{name,instance,component,part-of,managed-by}, which identify the flow-run pods', ValidationCode.RESERVED);
    }
    checkLabelValue(scope, `${prop}.labels[${key}]`, value);
  }
  for (const key of Object.keys(options.annotations ?? {})) checkLabelKey(scope, `${prop}.annotations`, key);
  checkAppArmorAnnotations(scope, `${prop}.annotations`, options.annotations);
  checkFlowRunPods(scope, options);
  checkExtendedResources(scope, options.extendedResources);
  checkPatchList(scope, options.patches);
  if (options.finishedJobTtl !== undefined) checkSeconds(scope, `${prop}.finishedJobTtl`, options.finishedJobTtl, 0, 365 * 86400);
  if (options.backoffLimit !== undefined) checkInteger(scope, `${prop}.backoffLimit`, options.backoffLimit, 0, 100);
  if (options.podWatchTimeout !== undefined) checkSeconds(scope, `${prop}.podWatchTimeout`, options.podWatchTimeout, 10, 86400);
}

/** The flow-run pod options: as for every workload, and no placeholder anywhere, which the worker would fill in. */
function checkFlowRunPods(scope: IConstruct, options: KubernetesJobTemplateOptions): void {
  const prop = 'jobTemplate.pod';
  checkPodOptions({ scope, prop, options: options.pod });
  const placeholder = stringsOf(options.pod, prop).find(([, value]) => PREFECT_PLACEHOLDER.test(value));
  if (placeholder) {
    throw propError(scope, placeholder[0], placeholder[1],
      'a value without a Prefect placeholder such as "{{ $VAR }}": the worker fills in every placeholder of the job template', ValidationCode.PLACEHOLDER);
  }
  if (options.pod?.serviceAccount !== undefined && options.serviceAccountName !== undefined) {
    throw propError(scope, `${prop}.serviceAccount`, 'set',
      'unset with jobTemplate.serviceAccountName: annotate that existing account yourself, or let the pool create one (leave serviceAccountName unset)', ValidationCode.CONFLICT);
  }
}

function quantity(resources: ContainerResources) {
  return {
    cpuRequest: resources.cpu?.request?.amount,
    cpuLimit: resources.cpu?.limit?.amount,
    memoryRequest: resources.memory?.request?.asString(),
    memoryLimit: resources.memory?.limit?.asString(),
    storageRequest: resources.ephemeralStorage?.request?.asString(),
    storageLimit: resources.ephemeralStorage?.limit?.asString(),
  };
}

/** The ephemeral-storage part of requests or limits (not a job variable: fixed by the pool). */
function storage(value: string | undefined): Record<string, string> {
  return value ? { 'ephemeral-storage': value } : {};
}

/** Extended resources (GPUs), requested and limited alike. */
function extended(options: KubernetesJobTemplateOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(options.extendedResources ?? {}).map(([name, count]) => [name, String(count)]));
}

/** An extended resource: a name with a domain prefix (not the kubernetes.io one), a whole count. */
function checkExtendedResources(scope: IConstruct, resources: { [resource: string]: number } | undefined): void {
  if (resources !== undefined && resources !== null && !isOptions(resources)) {
    throw propError(scope, 'jobTemplate.extendedResources', resources, 'a map of resource names to counts', ValidationCode.FORMAT);
  }
  for (const [name, count] of Object.entries(resources ?? {})) {
    checkLabelKey(scope, 'jobTemplate.extendedResources', name);
    if (!name.includes('/') || /(^|\.)kubernetes\.io\//.test(name)) {
      throw propError(scope, 'jobTemplate.extendedResources', name,
        'an extended resource name with a domain prefix other than kubernetes.io, such as "nvidia.com/gpu" (cpu, memory and ephemeral storage are in resources)', ValidationCode.FORMAT);
    }
    checkInteger(scope, `jobTemplate.extendedResources[${name}]`, count, 1, 1000);
  }
}

function runResources(options: KubernetesJobTemplateOptions): ContainerResources {
  return mergeResources(DEFAULT_RUN_RESOURCES, options.resources);
}

function annotations(options: KubernetesJobTemplateOptions): Record<string, string> {
  return { [SAFE_TO_EVICT]: 'false', ...options.pod?.annotations, ...options.annotations };
}

function podSpec(options: KubernetesJobTemplateOptions, context: JobTemplateContext, container: Record<string, unknown>,
  serviceAccount: { name: string | undefined; automount: boolean | string }, variables: boolean): Record<string, unknown> {
  const pullSecrets = options.imagePullSecrets ?? context.imagePullSecrets;
  const spec = {
    restartPolicy: 'Never',
    ...(serviceAccount.name !== undefined ? { serviceAccountName: serviceAccount.name } : {}),
    ...podBasics(serviceAccount.automount),
    ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map(name => ({ name })) } : {}),
    containers: [container],
    volumes: [
      { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'home', emptyDir: { sizeLimit: '1Gi' } },
      ...context.volumes,
    ],
  };
  const withOptions = addPodOptions({ scope: context.scope, prop: 'jobTemplate.pod', options: options.pod },
    spec as unknown as { containers: Array<Record<string, unknown> & { name: string }> }, !variables);
  if (!variables) return withOptions;
  // In a base job template, the scheduling options the pool sets are variables a deployment may
  // override (see podVariables); the pool opts in by setting them.
  const placeholders = Object.fromEntries(setScheduling(options.pod).map(s => [s.field, `{{ ${s.variable} }}`]));
  return { ...withOptions, ...placeholders };
}

/** A pod option that becomes a job variable: its pod spec field, its variable, and the variable's schema. */
interface SchedulingVariable {
  readonly option: 'nodeSelector' | 'tolerations' | 'affinity' | 'topologySpreadConstraints' | 'priorityClassName' | 'terminationGracePeriod';
  readonly field: string;
  readonly variable: string;
  readonly title: string;
  readonly description: string;
  readonly schema: Record<string, unknown>;
}

const OBJECTS = { type: 'array', items: { type: 'object' } };
const SCHEDULING: SchedulingVariable[] = [
  { option: 'nodeSelector', field: 'nodeSelector', variable: 'node_selector', title: 'Node Selector', description: 'Node labels the flow-run pods must run on.',
    schema: { type: 'object', additionalProperties: { type: 'string' } } },
  { option: 'tolerations', field: 'tolerations', variable: 'tolerations', title: 'Tolerations', description: 'Tolerations of the flow-run pods (Kubernetes Toleration objects).', schema: OBJECTS },
  { option: 'affinity', field: 'affinity', variable: 'affinity', title: 'Affinity', description: 'Node and pod affinity of the flow-run pods (a Kubernetes Affinity object).',
    schema: { type: 'object' } },
  { option: 'topologySpreadConstraints', field: 'topologySpreadConstraints', variable: 'topology_spread_constraints', title: 'Topology Spread Constraints',
    description: 'Topology spread constraints of the flow-run pods.', schema: OBJECTS },
  { option: 'priorityClassName', field: 'priorityClassName', variable: 'priority_class_name', title: 'Priority Class Name', description: 'PriorityClass of the flow-run pods.',
    schema: { type: 'string' } },
  { option: 'terminationGracePeriod', field: 'terminationGracePeriodSeconds', variable: 'termination_grace_period_seconds', title: 'Termination Grace Period',
    description: 'Seconds a flow-run pod has to stop after SIGTERM.', schema: { type: 'integer', minimum: 0 } },
];

/** The scheduling options the pool sets. */
function setScheduling(pod: PrefectPodOptions | undefined): SchedulingVariable[] {
  return SCHEDULING.filter(s => pod?.[s.option] !== undefined);
}

/** The flow-run pods' labels: the user's, then the ones that identify them. */
function podLabels(options: KubernetesJobTemplateOptions, context: JobTemplateContext): Record<string, string> {
  return { ...options.pod?.labels, ...context.podLabels };
}

function runEnv(options: KubernetesJobTemplateOptions, context: JobTemplateContext): k8s.EnvVar[] {
  return [{ name: SETTINGS.pod.HOME.name, value: HOME }, ...context.env, ...toEnvVars(options.env ?? [])];
}

function runMounts(context: JobTemplateContext): k8s.VolumeMount[] {
  return [{ name: 'tmp', mountPath: '/tmp' }, { name: 'home', mountPath: HOME }, ...context.volumeMounts];
}

/**
 * The base job template of a Prefect 2.10+ or 3 `kubernetes` work pool: the job configuration with
 * its Job manifest, and the variables deployments may override, whose defaults are the options.
 */
export function baseJobTemplate(given: KubernetesJobTemplateOptions, context: JobTemplateContext): Record<string, unknown> {
  const options = { ...given, pod: plainPodOptions(given.pod) };
  const resources = quantity(runResources(options));
  const image = options.image ?? context.image;
  const container = templateContainer({
    name: 'prefect-job',
    image: '{{ image }}',
    imagePullPolicy: '{{ image_pull_policy }}',
    args: '{{ command }}',
    // A literal list keeps Secret references; the worker puts its own variables (API URL, run ids,
    // the `env` job variable) in front and drops entries they replace.
    env: runEnv(options, context),
    resources: {
      requests: { cpu: '{{ cpu_request }}', memory: '{{ memory_request }}', ...storage(resources.storageRequest), ...extended(options) },
      limits: { cpu: '{{ cpu_limit }}', memory: '{{ memory_limit }}', ...storage(resources.storageLimit), ...extended(options) },
    },
    volumeMounts: runMounts(context),
    // The image's working directory, /opt/prefect, is read-only, and Prefect 2 runs pull steps
    // such as `git_clone` there (3.8.3's `prefect flow-run execute` uses a temporary directory):
    // the home directory (an emptyDir) takes its place.
    workingDir: HOME,
  });
  const spec = podSpec(options, context, container,
    { name: '{{ service_account_name }}', automount: '{{ automount_service_account_token }}' }, true);
  const jobManifest = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      generateName: '{{ name }}-',
      namespace: '{{ namespace }}',
      labels: '{{ labels }}',
      annotations: '{{ annotations }}',
    },
    spec: {
      backoffLimit: '{{ backoff_limit }}',
      ttlSecondsAfterFinished: '{{ finished_job_ttl }}',
      template: {
        metadata: { labels: podLabels(options, context), annotations: '{{ annotations }}' },
        // The worker refuses a manifest whose pod spec lacks `parallelism: 1` and `completions: 1`
        // (fields of the Job spec, which the API server ignores here, as in Prefect's own default).
        spec: { parallelism: 1, completions: 1, ...spec },
      },
    },
  };
  const variables = templateVariables(options, context, resources, image);
  const patched = applyPatches(context.scope, jobManifest, options.patches, 'prefect-job');
  return {
    job_configuration: {
      command: '{{ command }}',
      env: '{{ env }}',
      labels: '{{ labels }}',
      name: '{{ name }}',
      namespace: '{{ namespace }}',
      job_manifest: patched,
      pod_watch_timeout_seconds: '{{ pod_watch_timeout_seconds }}',
      stream_output: '{{ stream_output }}',
    },
    variables,
  };
}

/** The variables of a base job template: what deployments may override, the options as defaults. */
function templateVariables(options: KubernetesJobTemplateOptions, context: JobTemplateContext,
  resources: ReturnType<typeof quantity>, image: PrefectImage): Record<string, unknown> {
  const string = (title: string, description: string, value?: string) => ({
    title, description, type: 'string', ...(value !== undefined ? { default: value } : {}),
  });
  const integer = (title: string, description: string, value: number) => ({ title, description, type: 'integer', minimum: 0, default: value });
  const stringMap = (title: string, description: string, value: Record<string, string>) => ({
    title, description, type: 'object', additionalProperties: { type: 'string' }, default: value,
  });
  return {
    type: 'object',
    properties: {
      name: string('Name', 'Name prefix of the flow-run Jobs.'),
      namespace: string('Namespace', 'Namespace of the flow-run Jobs. The worker may only create Jobs in the namespaces it was given.', options.namespace ?? context.namespace),
      image: string('Image', 'Image of the flow-run container.', image.reference),
      image_pull_policy: { ...string('Image Pull Policy', 'When the kubelet pulls the image.', options.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT), enum: ['IfNotPresent', 'Always', 'Never'] },
      service_account_name: string('Service Account Name', 'ServiceAccount of the flow-run pods.', options.serviceAccountName),
      automount_service_account_token: {
        title: 'Mount Service Account Token',
        description: 'Whether the flow-run pods get a Kubernetes API token (only when the flow calls the Kubernetes API).',
        type: 'boolean',
        default: options.serviceAccountName !== undefined && !context.ownFlowRunAccount,
      },
      command: string('Command', 'Command of the flow-run container (the worker\'s default runs the flow).'),
      env: { title: 'Environment Variables', description: 'Extra environment variables of the flow-run container.', type: 'object', additionalProperties: { type: 'string' } },
      labels: stringMap('Labels', 'Labels of the flow-run Jobs.', options.labels ?? {}),
      annotations: stringMap('Annotations', 'Annotations of the flow-run Jobs and pods.', annotations(options)),
      backoff_limit: integer('Backoff Limit', 'How many times Kubernetes retries a failed flow-run pod.', options.backoffLimit ?? 0),
      finished_job_ttl: integer('Finished Job TTL', 'Seconds a finished Job is kept before Kubernetes deletes it.', (options.finishedJobTtl ?? Duration.days(1)).toSeconds()),
      pod_watch_timeout_seconds: integer('Pod Watch Timeout', 'Seconds the worker waits for the flow-run pod to start.', (options.podWatchTimeout ?? Duration.minutes(5)).toSeconds()),
      stream_output: { title: 'Stream Output', description: 'Whether the worker streams the flow-run pod\'s output to its own log.', type: 'boolean', default: true },
      cpu_request: string('CPU Request', 'CPU request of the flow-run container.', resources.cpuRequest),
      cpu_limit: string('CPU Limit', 'CPU limit of the flow-run container.', resources.cpuLimit),
      memory_request: string('Memory Request', 'Memory request of the flow-run container.', resources.memoryRequest),
      memory_limit: string('Memory Limit', 'Memory limit of the flow-run container.', resources.memoryLimit),
      ...podVariables(options.pod ?? {}),
    },
  };
}

/**
 * The job variables of the scheduling options the pool sets, with its values as defaults. Only
 * those: a variable lets every deployment of the pool choose the value, and without one they
 * cannot move their runs onto other nodes or priorities. `envFrom` is never one: a deployment
 * could name any Secret of the job namespace.
 */
function podVariables(pod: PrefectPodOptions): Record<string, unknown> {
  return Object.fromEntries(setScheduling(pod).map(s => {
    const value = s.option === 'terminationGracePeriod' ? pod.terminationGracePeriod!.toSeconds() : pod[s.option];
    return [s.variable, { title: s.title, description: s.description, ...s.schema, default: value }];
  }));
}

/**
 * The job template file of the Prefect 1 Kubernetes agent (`--job-template`): the agent fills in
 * the image, command, run environment and labels.
 */
export function prefect1JobTemplate(given: KubernetesJobTemplateOptions, context: JobTemplateContext): Record<string, unknown> {
  const options = { ...given, pod: plainPodOptions(given.pod) };
  const resources = quantity(runResources(options));
  const container = templateContainer({
    name: 'flow',
    image: (options.image ?? context.image).reference,
    imagePullPolicy: options.imagePullPolicy ?? ImagePullPolicy.IF_NOT_PRESENT,
    env: runEnv(options, context),
    resources: {
      requests: {
        ...(resources.cpuRequest ? { cpu: resources.cpuRequest } : {}),
        ...(resources.memoryRequest ? { memory: resources.memoryRequest } : {}),
        ...storage(resources.storageRequest),
        ...extended(options),
      },
      limits: {
        ...(resources.cpuLimit ? { cpu: resources.cpuLimit } : {}),
        ...(resources.memoryLimit ? { memory: resources.memoryLimit } : {}),
        ...storage(resources.storageLimit),
        ...extended(options),
      },
    },
    volumeMounts: runMounts(context),
    workingDir: HOME,
  });
  return applyPatches(context.scope, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'prefect-job',
      labels: options.labels ?? {},
      annotations: annotations(options),
    },
    spec: {
      backoffLimit: options.backoffLimit ?? 0,
      ttlSecondsAfterFinished: (options.finishedJobTtl ?? Duration.days(1)).toSeconds(),
      template: {
        metadata: { labels: { ...options.labels, ...podLabels(options, context) }, annotations: annotations(options) },
        spec: podSpec(options, context, container,
          { name: options.serviceAccountName, automount: options.serviceAccountName !== undefined && !context.ownFlowRunAccount }, false),
      },
    },
  }, options.patches, 'flow');
}
