/**
 * Pod Security Standards, "restricted" profile (which includes "baseline"), as the Kubernetes 1.27
 * Pod Security admission enforces it at version "latest". Returns every violation of a pod spec.
 */
type Json = any;

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD',
  'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const SAFE_SYSCTLS = new Set(['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports']);
const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

export function restrictedViolations(podSpec: Json, podAnnotations: Record<string, string> = {}): string[] {
  const v: string[] = [];
  const pod = podSpec.securityContext ?? {};
  const containers: Json[] = [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? []), ...(podSpec.ephemeralContainers ?? [])];

  // baseline
  if (podSpec.hostNetwork || podSpec.hostPID || podSpec.hostIPC) v.push('host namespaces');
  if (pod.windowsOptions?.hostProcess) v.push('pod: hostProcess');
  for (const volume of podSpec.volumes ?? []) {
    if (volume.hostPath) v.push(`volume ${volume.name}: hostPath`);
    const type = Object.keys(volume).find(k => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.has(type)) v.push(`volume ${volume.name}: type ${type} is not allowed`);
  }
  for (const sysctl of pod.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(sysctl.name)) v.push(`sysctl ${sysctl.name}`);
  }
  checkSeLinux(pod.seLinuxOptions, 'pod', v);
  if (pod.seccompProfile?.type === 'Unconfined') v.push('pod: seccomp Unconfined');
  if (pod.runAsUser === 0) v.push('pod: runAsUser 0');
  if (pod.runAsNonRoot === false) v.push('pod: runAsNonRoot false');
  for (const [key, value] of Object.entries(podAnnotations)) {
    if (key.startsWith('container.apparmor.security.beta.kubernetes.io/') && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      v.push(`AppArmor ${key}=${value}`);
    }
  }

  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) v.push(`${where}: privileged`);
    if (sc.windowsOptions?.hostProcess) v.push(`${where}: hostProcess`);
    for (const cap of sc.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) v.push(`${where}: adds capability ${cap} (baseline)`);
      if (cap !== 'NET_BIND_SERVICE') v.push(`${where}: adds capability ${cap}`);
    }
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) v.push(`${where}: does not drop ALL capabilities`);
    for (const port of c.ports ?? []) {
      if (port.hostPort) v.push(`${where}: hostPort ${port.hostPort}`);
    }
    checkSeLinux(sc.seLinuxOptions, where, v);
    if (sc.procMount && sc.procMount !== 'Default') v.push(`${where}: procMount ${sc.procMount}`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${where}: allowPrivilegeEscalation is not false`);
    if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && pod.runAsNonRoot !== true)) v.push(`${where}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) v.push(`${where}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') v.push(`${where}: seccomp profile ${seccomp ?? 'unset'}`);
  }
  return v;
}

function checkSeLinux(options: Json, where: string, v: string[]): void {
  if (!options) return;
  if (!SELINUX_TYPES.has(options.type ?? '')) v.push(`${where}: SELinux type ${options.type}`);
  if (options.user || options.role) v.push(`${where}: SELinux user/role`);
}

/** The pod templates of a workload object (with their annotations), or the pod itself. */
export function podTemplates(object: Json): Array<{ spec: Json; annotations: Record<string, string> }> {
  switch (object.kind) {
    case 'Pod':
      return [{ spec: object.spec, annotations: object.metadata?.annotations ?? {} }];
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job': case 'ReplicationController':
      return [{ spec: object.spec.template.spec, annotations: object.spec.template.metadata?.annotations ?? {} }];
    case 'CronJob':
      return [{ spec: object.spec.jobTemplate.spec.template.spec, annotations: object.spec.jobTemplate.spec.template.metadata?.annotations ?? {} }];
    default:
      return [];
  }
}
