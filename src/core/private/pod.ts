import { k8s } from 'cdk8s-plus-27';
import { ContainerArg, ContainerEnvVar, renderArgs, renderEnv } from './kubelet';
import { addPodOptions, PodOptionsUse } from './pod-options';
import { restrictedContainer, restrictedPod } from './security';

/**
 * The one builder of the library's pods and containers: every workload (server, background
 * services, migration, workers, Dask, cleanup) gets its Pod Security "restricted" settings, its
 * token and service links policy and its pull secrets here, so a pod option added here reaches
 * them all. The fields come in a fixed order, which hashes of a pod template (the migration Job's
 * name) depend on.
 */

/** What differs between the library's containers. */
export interface ContainerParts {
  readonly name: string;
  readonly image: string;
  /**
   * The image's entrypoint (tini, then Prefect's entrypoint script) stays: only arguments are given.
   * @default none
   */
  readonly args?: ContainerArg[];
  /** Rendered escaped for the kubelet, as the arguments are. */
  readonly env?: ContainerEnvVar[];
  readonly resources: k8s.ResourceRequirements;
  readonly volumeMounts: k8s.VolumeMount[];
  /** @default the image's */
  readonly workingDir?: string;
}

/**
 * What differs in a flow-run container of a job template, whose fields may be placeholders the
 * worker fills in (`{{ image }}`).
 */
export interface TemplateContainerParts {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy: string;
  /** @default none */
  readonly args?: string;
  readonly env: ContainerEnvVar[];
  readonly resources: { requests: Record<string, string>; limits: Record<string, string> };
  readonly volumeMounts: k8s.VolumeMount[];
  readonly workingDir: string;
}

/**
 * The fields of every container of the library, in the one order they come in. Arguments and
 * variables are rendered for the kubelet here, for every container: escaped, except for the
 * references the library composes.
 */
function containerFields(parts: Omit<ContainerParts, 'args' | 'resources'> & { imagePullPolicy: string; args?: ContainerArg[] | string; resources: unknown }) {
  return {
    name: parts.name,
    image: parts.image,
    imagePullPolicy: parts.imagePullPolicy,
    // A job template's arguments are one placeholder the worker fills in.
    ...(parts.args ? { args: typeof parts.args === 'string' ? parts.args : renderArgs(parts.args) } : {}),
    ...(parts.env ? { env: renderEnv(parts.env) } : {}),
    resources: parts.resources,
    securityContext: restrictedContainer(),
    volumeMounts: parts.volumeMounts,
    ...(parts.workingDir ? { workingDir: parts.workingDir } : {}),
  };
}

/** A container with a read-only root filesystem, no privileges and no capabilities. */
export function restrictedContainerSpec(parts: ContainerParts): k8s.Container {
  return containerFields({ ...parts, imagePullPolicy: 'IfNotPresent' }) as k8s.Container;
}

/** The restricted container of a job template, as {@link restrictedContainerSpec} makes one. */
export function templateContainer(parts: TemplateContainerParts): Record<string, unknown> {
  return containerFields(parts);
}

/** What differs between the library's pods. */
export interface PodParts {
  readonly containers: k8s.Container[];
  readonly volumes: k8s.Volume[];
  /** Whether the pod calls the Kubernetes API, and so gets a token. */
  readonly callsKubernetesApi: boolean;
  /** @default the namespace's default ServiceAccount */
  readonly serviceAccountName?: string;
  /** Names of Secrets to pull the images with. */
  readonly imagePullSecrets?: string[];
  readonly initContainers?: k8s.Container[];
  /** The library's own, before the user's. */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];
  /** What the user sets on the pods. */
  readonly options?: PodOptionsUse;
  /** @default the workload's (Always) */
  readonly restartPolicy?: string;
}

/**
 * The settings every pod of the library has, also those whose spec has another type (a
 * DaskCluster's, a job template's): a token only for pods that call the Kubernetes API (in a job
 * template, a placeholder a deployment may set), no service links, and the pod's part of Pod
 * Security "restricted".
 */
export function podBasics<Token extends boolean | string>(callsKubernetesApi: Token) {
  return {
    automountServiceAccountToken: callsKubernetesApi,
    // Service links would inject PREFECT_SERVER_PORT-style variables from Services named prefect-*.
    enableServiceLinks: false,
    securityContext: restrictedPod(),
  };
}

/** A pod spec that passes Pod Security "restricted", with a token only for pods that use it. */
export function restrictedPodSpec(parts: PodParts): k8s.PodSpec {
  const pullSecrets = parts.imagePullSecrets ?? [];
  const initContainers = parts.initContainers ?? [];
  const spec: k8s.PodSpec = {
    ...(parts.serviceAccountName ? { serviceAccountName: parts.serviceAccountName } : {}),
    ...podBasics(parts.callsKubernetesApi),
    containers: parts.containers,
    volumes: parts.volumes,
    ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map(name => ({ name })) } : {}),
    ...(parts.topologySpreadConstraints ? { topologySpreadConstraints: parts.topologySpreadConstraints } : {}),
    ...(initContainers.length > 0 ? { initContainers } : {}),
    ...(parts.restartPolicy ? { restartPolicy: parts.restartPolicy } : {}),
  };
  return parts.options ? addPodOptions(parts.options, spec) : spec;
}
