import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { ValidationCode } from '../validation-code';
import { isPinned, parseImageReference, PINNED_IMAGE } from './image-reference';
import { restrictedContainer } from './security';
import { checkDns1035Label, checkLists, isOptions, propError } from './validation';

/**
 * The init containers and sidecars a user adds to a workload's pods. They get the library's
 * security settings where they set none, and are checked against Pod Security "restricted" at
 * synth: the API server would refuse the whole workload, with an error that names no prop.
 */

/** The capabilities "restricted" lets a container add. */
const ADDABLE_CAPABILITIES = new Set(['NET_BIND_SERVICE']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const RESTRICTED = 'Pod Security "restricted"';

/**
 * A user's container with the library's security settings under its own; a sidecar with
 * `restartPolicy: Always`, a field the Kubernetes 1.27 types lack (see `nativeSidecarPatches`).
 */
export function withRestrictedDefaults(container: k8s.Container, sidecar: boolean): k8s.Container {
  const result: k8s.Container & { restartPolicy?: string } = {
    ...container,
    securityContext: { ...restrictedContainer(), ...container.securityContext },
  };
  if (sidecar) result.restartPolicy = 'Always';
  return result;
}

/** What in a container's security settings, as they end up, breaks "restricted"; undefined if nothing. */
function restrictedViolation(sc: k8s.SecurityContext): string | undefined {
  if (sc.privileged === true) return 'privileged: true';
  if (sc.allowPrivilegeEscalation !== false) return 'allowPrivilegeEscalation other than false';
  if (sc.runAsNonRoot === false) return 'runAsNonRoot: false';
  if (sc.runAsUser === 0) return 'runAsUser: 0 (root)';
  const added = (sc.capabilities?.add ?? []).find(c => !ADDABLE_CAPABILITIES.has(c));
  if (added !== undefined) return `capability ${added} added (only NET_BIND_SERVICE may be)`;
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) return 'capabilities that do not drop ALL';
  const seccomp = sc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') return `seccomp profile ${seccomp ?? '(unset)'} (RuntimeDefault or Localhost)`;
  if (sc.procMount !== undefined && sc.procMount !== 'Default') return `procMount ${sc.procMount}`;
  if (sc.windowsOptions?.hostProcess === true) return 'windowsOptions.hostProcess: true';
  const se = sc.seLinuxOptions;
  if (se && (!SELINUX_TYPES.has(se.type ?? '') || se.user !== undefined || se.role !== undefined)) return 'SELinux user, role or type other than container_t';
  return undefined;
}

/**
 * Checks a user's containers (`prop` names the list, e.g. `pod.sidecars`): shape, name, a pinned
 * image, a memory limit, no host ports, no probes on a plain init container, and "restricted".
 */
export function checkUserContainers(scope: IConstruct, prop: string, containers: k8s.Container[] | undefined, sidecar: boolean): void {
  checkLists(scope, { [prop]: containers }, 'options');
  const names = new Set<string>();
  (containers ?? []).forEach((container, i) => {
    const where = `${prop}[${i}]`;
    checkDns1035Label(scope, `${where}.name`, container.name);
    if (names.has(container.name)) throw propError(scope, `${where}.name`, container.name, 'each container name once', ValidationCode.DUPLICATE);
    names.add(container.name);
    const image = parseImageReference(container.image as string);
    if (!image || !isPinned(image)) throw propError(scope, `${where}.image`, container.image, `an image reference, ${PINNED_IMAGE}`, ValidationCode.IMAGE);
    checkContainerFields(scope, where, container, sidecar);
    const violation = restrictedViolation(withRestrictedDefaults(container, sidecar).securityContext!);
    if (violation !== undefined) {
      throw propError(scope, `${where}.securityContext`, container.securityContext,
        `settings that pass ${RESTRICTED}; this has ${violation} (leave a field unset for the library's: uid 1001, no privileges, drop ALL, RuntimeDefault seccomp)`, ValidationCode.POD_SECURITY);
    }
  });
}

function checkContainerFields(scope: IConstruct, where: string, container: k8s.Container, sidecar: boolean): void {
  if (container.securityContext !== undefined && !isOptions(container.securityContext)) {
    throw propError(scope, `${where}.securityContext`, container.securityContext, 'a SecurityContext options object', ValidationCode.FORMAT);
  }
  const memoryLimit = (container.resources?.limits as Record<string, unknown> | undefined)?.memory;
  if (memoryLimit === undefined) {
    throw propError(scope, `${where}.resources`, container.resources, 'resources with a memory limit (limits.memory), as every container of the platform has', ValidationCode.REQUIRED);
  }
  const hostPort = (container.ports ?? []).find(p => p.hostPort !== undefined);
  if (hostPort) throw propError(scope, `${where}.ports`, hostPort.hostPort, `ports without hostPort, which ${RESTRICTED} refuses`, ValidationCode.POD_SECURITY);
  const restartPolicy = (container as { restartPolicy?: unknown }).restartPolicy;
  if (restartPolicy !== undefined) {
    throw propError(scope, `${where}.restartPolicy`, restartPolicy,
      'no restartPolicy: sidecars get Always from the library, init containers none', ValidationCode.RESERVED);
  }
  const probe = (['livenessProbe', 'readinessProbe', 'startupProbe'] as const).find(p => container[p] !== undefined);
  if (!sidecar && probe) {
    throw propError(scope, `${where}.${probe}`, container[probe], 'no probe on an init container, which runs to completion (a sidecar may have probes)', ValidationCode.CONFLICT);
  }
}

/** Volume types Pod Security "restricted" allows. */
export const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/**
 * A whole pod spec that the user's patches changed: host namespaces, volume types, the pod's
 * security settings, and every container's, against "restricted".
 */
export function checkPodSpecRestricted(scope: IConstruct, prop: string, spec: Record<string, any>): void {
  const refuse = (what: string) => {
    throw propError(scope, prop, what, 'patches that keep the pod within Pod Security "restricted"', ValidationCode.POD_SECURITY);
  };
  if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) refuse('host namespaces');
  const pod = spec.securityContext ?? {};
  if (pod.runAsNonRoot !== true) refuse('pod securityContext.runAsNonRoot other than true');
  if (pod.runAsUser === 0) refuse('pod securityContext.runAsUser 0');
  if (pod.seccompProfile?.type !== 'RuntimeDefault' && pod.seccompProfile?.type !== 'Localhost') refuse('a pod seccomp profile other than RuntimeDefault or Localhost');
  for (const volume of spec.volumes ?? []) {
    const sources = Object.keys(volume ?? {}).filter(k => k !== 'name');
    if (sources.length !== 1 || !RESTRICTED_VOLUMES.has(sources[0])) refuse(`volume ${volume?.name}: ${sources.join(', ') || 'no source'}`);
  }
  for (const container of [...spec.initContainers ?? [], ...spec.containers ?? []]) {
    const violation = restrictedViolation({ ...container?.securityContext, runAsNonRoot: container?.securityContext?.runAsNonRoot ?? pod.runAsNonRoot,
      seccompProfile: container?.securityContext?.seccompProfile ?? pod.seccompProfile });
    if (violation !== undefined) refuse(`container ${container?.name}: ${violation}`);
    if ((container?.ports ?? []).some((p: { hostPort?: number }) => p?.hostPort !== undefined)) refuse(`container ${container?.name}: a hostPort`);
  }
}
