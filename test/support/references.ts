/**
 * Cross-reference checks over a set of synthesized objects: what one object names must exist
 * among the others (or in the pod itself), so nothing applies and then dangles.
 */
import { podTemplates } from './pod-security';

type Json = any;

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function podTemplatesWithLabels(objects: Json[]): Array<{ owner: Json; labels: Record<string, string>; spec: Json }> {
  return objects.flatMap(o => podTemplates(o).map(t => ({
    owner: o,
    spec: t.spec,
    labels: (o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.metadata?.labels : o.spec.template?.metadata?.labels) ?? {},
  })));
}

export function danglingReferences(objects: Json[]): string[] {
  const problems: string[] = [];
  const pods = podTemplatesWithLabels(objects);
  const ns = (o: Json) => o.metadata.namespace ?? '';
  const id = (o: Json) => `${o.kind}/${o.metadata.name}`;

  for (const o of objects) {
    // Workload selectors select their own pod template.
    const selector = o.spec?.selector?.matchLabels;
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(o.kind)) {
      if (!selector || Object.keys(selector).length === 0) problems.push(`${id(o)}: empty selector`);
      else if (!matches(selector, o.spec.template.metadata?.labels)) problems.push(`${id(o)}: selector does not match its pod template`);
    }
    if (o.kind === 'StatefulSet') {
      if (!objects.some(s => s.kind === 'Service' && s.metadata.name === o.spec.serviceName && ns(s) === ns(o))) {
        problems.push(`${id(o)}: serviceName ${o.spec.serviceName} is not a Service here`);
      }
    }
    if (o.kind === 'PodDisruptionBudget') {
      const selected = pods.filter(p => ns(p.owner) === ns(o) && matches(o.spec.selector.matchLabels, p.labels));
      if (selected.length === 0) problems.push(`${id(o)}: selects no pods`);
    }
    if (o.kind === 'Service' && o.spec.selector) {
      const selected = pods.filter(p => ns(p.owner) === ns(o) && matches(o.spec.selector, p.labels));
      if (selected.length === 0) problems.push(`${id(o)}: selects no pods`);
      for (const port of o.spec.ports ?? []) {
        const target = port.targetPort ?? port.port;
        for (const p of selected) {
          const declared = p.spec.containers.flatMap((c: Json) => c.ports ?? []);
          if (!declared.some((d: Json) => d.containerPort === target || d.name === target)) {
            problems.push(`${id(o)}: port ${port.name ?? port.port} targets ${target}, which ${id(p.owner)} does not declare`);
          }
        }
      }
    }
  }

  for (const { owner, spec } of pods) {
    const volumes = new Set<string>((spec.volumes ?? []).map((v: Json) => v.name));
    for (const claim of owner.spec?.volumeClaimTemplates ?? []) volumes.add(claim.metadata.name);
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const mount of c.volumeMounts ?? []) {
        if (!volumes.has(mount.name)) problems.push(`${id(owner)}: container ${c.name} mounts unknown volume ${mount.name}`);
      }
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
        const port = probe?.httpGet?.port;
        if (port !== undefined && !(c.ports ?? []).some((d: Json) => d.containerPort === port || d.name === port)) {
          problems.push(`${id(owner)}: container ${c.name} probes undeclared port ${port}`);
        }
      }
    }
    const account = spec.serviceAccountName;
    if (account && !objects.some(o => o.kind === 'ServiceAccount' && o.metadata.name === account && ns(o) === ns(owner))) {
      problems.push(`${id(owner)}: runs as missing ServiceAccount ${account}`);
    }
    for (const v of spec.volumes ?? []) {
      const cm = v.configMap?.name;
      if (cm && !objects.some(o => o.kind === 'ConfigMap' && o.metadata.name === cm && ns(o) === ns(owner))) {
        problems.push(`${id(owner)}: volume ${v.name} names missing ConfigMap ${cm}`);
      }
      const claim = v.persistentVolumeClaim?.claimName;
      if (claim && !objects.some(o => o.kind === 'PersistentVolumeClaim' && o.metadata.name === claim && ns(o) === ns(owner))) {
        problems.push(`${id(owner)}: volume ${v.name} names missing claim ${claim}`);
      }
    }
  }
  for (const o of objects.filter(x => x.kind === 'Ingress')) {
    const backends = [o.spec.defaultBackend, ...(o.spec.rules ?? []).flatMap((r: Json) => (r.http?.paths ?? []).map((p: Json) => p.backend))]
      .filter((b: Json) => b !== undefined);
    if (backends.length === 0) problems.push(`${id(o)}: routes nowhere`);
    for (const backend of backends) {
      const { name, port } = backend.service;
      const service = objects.find(s => s.kind === 'Service' && s.metadata.name === name && ns(s) === ns(o));
      if (!service) {
        problems.push(`${id(o)}: backend names missing Service ${name}`);
      } else if (!service.spec.ports.some((p: Json) => (port.number !== undefined && p.port === port.number) || (port.name !== undefined && p.name === port.name))) {
        problems.push(`${id(o)}: backend port ${port.number ?? port.name} is not a port of Service ${name}`);
      }
    }
  }
  for (const o of objects.filter(x => x.kind === 'RoleBinding' || x.kind === 'ClusterRoleBinding')) {
    const roleKind = o.roleRef.kind;
    const role = objects.find(r => r.kind === roleKind && r.metadata.name === o.roleRef.name && (roleKind === 'ClusterRole' || ns(r) === ns(o)));
    if (!role) problems.push(`${id(o)}: binds missing ${roleKind} ${o.roleRef.name}`);
    for (const subject of o.subjects ?? []) {
      if (subject.kind !== 'ServiceAccount') continue;
      if (!objects.some(a => a.kind === 'ServiceAccount' && a.metadata.name === subject.name && ns(a) === subject.namespace)) {
        problems.push(`${id(o)}: binds missing ServiceAccount ${subject.namespace}/${subject.name}`);
      }
      if (!pods.some(p => p.spec.serviceAccountName === subject.name && ns(p.owner) === subject.namespace)) {
        problems.push(`${id(o)}: binds ServiceAccount ${subject.name}, which no pod here runs as`);
      }
    }
  }
  return problems;
}

/** RBAC rules that grant more than named verbs on named resources. */
export function rbacWildcards(objects: Json[]): string[] {
  return objects
    .filter(o => o.kind === 'Role' || o.kind === 'ClusterRole')
    .flatMap(o => (o.rules ?? []).flatMap((rule: Json, i: number) =>
      [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...(rule.verbs ?? [])]
        .filter((v: string) => v.includes('*'))
        .map((v: string) => `${o.kind}/${o.metadata.name}: rule ${i} has wildcard ${v}`)));
}
