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
/** The sysctls Pod Security "baseline" allows. */
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports']);

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

/** A list of strings, or unset; anything else (`drop: 'ALL'` from JavaScript) is no list. */
const stringList = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every(v => typeof v === 'string') ? value : undefined);

/**
 * What in a container's (or a pod's) security settings, as they end up, breaks "restricted";
 * undefined if nothing. Fields newer than the 1.27 types (`appArmorProfile`) are read too.
 */
function restrictedViolation(sc: k8s.SecurityContext & { appArmorProfile?: { type?: string } }): string | undefined {
  if (sc.privileged === true) return 'privileged: true';
  if (sc.allowPrivilegeEscalation !== false) return 'allowPrivilegeEscalation other than false';
  if (sc.runAsNonRoot === false) return 'runAsNonRoot: false';
  if (sc.runAsUser === 0) return 'runAsUser: 0 (root)';
  const add = sc.capabilities?.add === undefined ? [] : stringList(sc.capabilities.add);
  const drop = stringList(sc.capabilities?.drop);
  if (add === undefined || drop === undefined) return 'capabilities whose add and drop are not lists of names';
  const added = add.find(c => !ADDABLE_CAPABILITIES.has(c));
  if (added !== undefined) return `capability ${added} added (only NET_BIND_SERVICE may be)`;
  if (!drop.includes('ALL')) return 'capabilities that do not drop ALL';
  return profileViolation(sc);
}

/** The seccomp, AppArmor, SELinux, procMount and host-process parts, shared by pods and containers. */
function profileViolation(sc: { seccompProfile?: { type?: string }; appArmorProfile?: { type?: string }; procMount?: string;
  windowsOptions?: { hostProcess?: boolean }; seLinuxOptions?: { type?: string; user?: string; role?: string } }): string | undefined {
  const seccomp = sc.seccompProfile?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') return `seccomp profile ${seccomp ?? '(unset)'} (RuntimeDefault or Localhost)`;
  const appArmor = sc.appArmorProfile?.type;
  if (appArmor !== undefined && appArmor !== 'RuntimeDefault' && appArmor !== 'Localhost') return `AppArmor profile ${appArmor} (RuntimeDefault or Localhost)`;
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
    throw propError(scope, `${where}.securityContext`, '(not shown)', 'a SecurityContext options object', ValidationCode.FORMAT);
  }
  checkLists(scope, { [`${where}.args`]: container.args, [`${where}.command`]: container.command }, 'string');
  checkLists(scope, { [`${where}.env`]: container.env, [`${where}.envFrom`]: container.envFrom, [`${where}.ports`]: container.ports, [`${where}.volumeMounts`]: container.volumeMounts }, 'options');
  checkQuantities(scope, `${where}.resources`, container.resources);
  if (!(container.resources?.limits?.memory instanceof k8s.Quantity)) {
    throw propError(scope, `${where}.resources`, '(no memory limit)', 'resources with a memory limit (limits.memory), as every container of the platform has', ValidationCode.REQUIRED);
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
    // The probe is not shown: its headers may carry a credential.
    throw propError(scope, `${where}.${probe}`, 'set', 'no probe on an init container, which runs to completion (a sidecar may have probes)', ValidationCode.CONFLICT);
  }
}

/** Requests and limits of `k8s.Quantity`s: a string from JavaScript or Python would be dropped from the output. */
function checkQuantities(scope: IConstruct, prop: string, resources: k8s.ResourceRequirements | undefined): void {
  if (resources === undefined) return;
  if (!isOptions(resources)) throw propError(scope, prop, '(not shown)', 'a ResourceRequirements options object', ValidationCode.FORMAT);
  for (const kind of ['requests', 'limits'] as const) {
    const values = resources[kind];
    if (values === undefined) continue;
    if (!isOptions(values)) throw propError(scope, `${prop}.${kind}`, '(not shown)', 'a map of resource names to k8s.Quantity values', ValidationCode.FORMAT);
    for (const [name, value] of Object.entries(values)) {
      if (!(value instanceof k8s.Quantity)) {
        throw propError(scope, `${prop}.${kind}.${name}`, value, 'a k8s.Quantity, such as k8s.Quantity.fromString("256Mi")', ValidationCode.FORMAT);
      }
    }
  }
}

/**
 * The CPU or memory request of every sidecar, when an autoscaler targets that resource: the
 * autoscaler computes utilization over the requests of the pod's containers, native sidecars
 * included, and does not scale a pod with a container that lacks one.
 */
export function checkSidecarRequests(scope: IConstruct, prop: string, sidecars: k8s.Container[] | undefined, resources: string[]): void {
  (sidecars ?? []).forEach((sidecar, i) => {
    const missing = resources.find(r => !(sidecar.resources?.requests?.[r] instanceof k8s.Quantity));
    if (missing !== undefined) {
      throw propError(scope, `${prop}[${i}].resources`, `(no ${missing} request)`,
        `a ${missing} request: the autoscaler targets ${missing} use, in percent of every container's request`, ValidationCode.REQUIRED);
    }
  });
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
  const podProfile = profileViolation(pod);
  if (podProfile !== undefined) refuse(`pod securityContext: ${podProfile}`);
  const sysctl = (Array.isArray(pod.sysctls) ? pod.sysctls : pod.sysctls === undefined ? [] : [{ name: '(not a list)' }]).find((s: { name?: string }) => !SAFE_SYSCTLS.has(s?.name ?? ''));
  if (sysctl !== undefined) refuse(`sysctl ${sysctl?.name}`);
  for (const list of ['volumes', 'containers', 'initContainers', 'ephemeralContainers']) {
    if (spec[list] !== undefined && !Array.isArray(spec[list])) refuse(`${list} that are not a list`);
  }
  if (spec.ephemeralContainers !== undefined) refuse('ephemeral containers');
  for (const volume of spec.volumes ?? []) {
    const sources = Object.keys(volume ?? {}).filter(k => k !== 'name');
    if (sources.length !== 1 || !RESTRICTED_VOLUMES.has(sources[0])) refuse(`volume ${volume?.name}: ${sources.join(', ') || 'no source'}`);
  }
  for (const container of [...spec.initContainers ?? [], ...spec.containers ?? []]) {
    const violation = restrictedViolation({ ...container?.securityContext, runAsNonRoot: container?.securityContext?.runAsNonRoot ?? pod.runAsNonRoot,
      seccompProfile: container?.securityContext?.seccompProfile ?? pod.seccompProfile });
    if (violation !== undefined) refuse(`container ${container?.name}: ${violation}`);
    const ports = container?.ports ?? [];
    if (!Array.isArray(ports) || ports.some((p: { hostPort?: number }) => p?.hostPort !== undefined)) refuse(`container ${container?.name}: a hostPort, or ports that are not a list`);
  }
}
