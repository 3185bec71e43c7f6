/**
 * Evaluates Kubernetes NetworkPolicies the way the API documents them, to answer "may this pod
 * open a connection to that pod (or address) on that port?" for the pods a chart creates.
 *
 * A connection is allowed when the source's egress allows it and the destination's ingress allows
 * it. A side is isolated for a direction when some policy of its namespace selects it and lists
 * that direction in policyTypes; an isolated side allows what any selecting policy's rules allow
 * (rules add up). Traffic from the node (kubelet probes) is not modelled. `ipBlock` is taken to
 * match only addresses outside the cluster's pods, as the API documents for pod addresses being
 * implementation-defined.
 */
import { jobAsApplied, renderWithDefaults } from './job-template';
import { podTemplates } from './pod-security';

type Json = any;

export interface Endpoint {
  /** A readable name, e.g. `Deployment/etl-worker` or `internet`. */
  readonly id: string;
  /** Pods: their namespace and labels. */
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  /** Pods: the container ports they declare. */
  readonly ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  /** Addresses outside the cluster's pods: an IPv4 address. */
  readonly ip?: string;
}

export interface Port {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

/** The pods of the workloads among `objects` (a Job's pods get the Job controller's `job-name` label). */
export function podsOf(objects: Json[]): Endpoint[] {
  return objects.flatMap(o => podTemplates(o).map(t => {
    const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template;
    return {
      id: `${o.kind}/${o.metadata.name}`,
      namespace: o.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...(o.kind === 'Job' ? { 'job-name': o.metadata.name } : {}) },
      ports: t.spec.containers.flatMap((c: Json) => c.ports ?? []),
    };
  }));
}

/**
 * The flow-run pods of the work pools whose job templates are among `objects` (their ConfigMaps):
 * a worker's base job template, or the Prefect 1 agent's template, which the agent fills in and
 * launches in the namespace of its `NAMESPACE` variable.
 */
export function flowRunPodsOf(objects: Json[]): Endpoint[] {
  return objects.filter(o => o.kind === 'ConfigMap').flatMap(o => {
    const id = `flow-run of ${o.metadata.name.replace(/-pool$/, '')}`;
    if (o.data?.['base-job-template.json']) {
      const job = jobAsApplied(renderWithDefaults(JSON.parse(o.data['base-job-template.json'])));
      return [{ id, namespace: job.metadata.namespace, labels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name }, ports: [] }];
    }
    if (o.data?.['job-template.yaml']) {
      const job = JSON.parse(o.data['job-template.yaml']);
      const agent = objects.find(d => d.kind === 'Deployment' && d.spec.template.spec.volumes?.some((v: Json) => v.configMap?.name === o.metadata.name));
      const namespace = agent.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'NAMESPACE').value;
      return [{ id, namespace, labels: { ...job.spec.template.metadata.labels, 'job-name': 'prefect-job-1a2b3c4d' }, ports: [] }];
    }
    return [];
  });
}

export function matchesSelector(selector: Json | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries<string>(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    switch (e.operator) {
      case 'In': if (!has || !e.values.includes(labels[e.key])) return false; break;
      case 'NotIn': if (has && e.values.includes(labels[e.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: throw new Error(`unknown selector operator ${e.operator}`);
    }
  }
  return true;
}

function ipv4(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (base.includes(':')) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
}

function peerMatches(peer: Json, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    return other.ip !== undefined && inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c: string) => inCidr(other.ip!, c));
  }
  if (other.ip !== undefined) return false;
  const namespaceOk = peer.namespaceSelector
    ? matchesSelector(peer.namespaceSelector, { 'kubernetes.io/metadata.name': other.namespace! })
    : other.namespace === policyNamespace;
  return namespaceOk && matchesSelector(peer.podSelector, other.labels ?? {});
}

function portMatches(rulePorts: Json[] | undefined, destination: Endpoint, port: Port): boolean {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some(p => {
    if ((p.protocol ?? 'TCP') !== port.protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') {
      return (destination.ports ?? []).some(d => d.name === p.port && d.containerPort === port.port && (d.protocol ?? 'TCP') === port.protocol);
    }
    return p.endPort !== undefined ? port.port >= p.port && port.port <= p.endPort : port.port === p.port;
  });
}

function sideAllows(policies: Json[], self: Endpoint, other: Endpoint, destination: Endpoint, port: Port, direction: 'Ingress' | 'Egress'): boolean {
  if (self.ip !== undefined) return true;
  const selecting = policies.filter(p => p.metadata.namespace === self.namespace
    && matchesSelector(p.spec.podSelector, self.labels ?? {})
    // Without policyTypes, Kubernetes sets Ingress, and Egress when the policy has egress rules.
    && (p.spec.policyTypes ?? ['Ingress', ...(p.spec.egress ? ['Egress'] : [])]).includes(direction));
  if (selecting.length === 0) return true;
  const key = direction === 'Ingress' ? 'from' : 'to';
  return selecting.some(p => (p.spec[direction.toLowerCase()] ?? []).some((rule: Json) =>
    (rule[key] === undefined || rule[key].length === 0 || rule[key].some((peer: Json) => peerMatches(peer, p.metadata.namespace, other)))
    && portMatches(rule.ports, destination, port)));
}

/** Whether `source` may open a connection to `destination` on `port` under `policies`. */
export function allowed(policies: Json[], source: Endpoint, destination: Endpoint, port: Port): boolean {
  return sideAllows(policies, source, destination, destination, port, 'Egress')
    && sideAllows(policies, destination, source, destination, port, 'Ingress');
}

/**
 * Every allowed connection among `endpoints`, as `source -> destination:port/protocol`, trying the
 * destination's declared ports and `extraPorts`.
 */
export function connectivity(objects: Json[], endpoints: Endpoint[], extraPorts: Port[]): string[] {
  const policies = objects.filter(o => o.kind === 'NetworkPolicy');
  const found: string[] = [];
  for (const source of endpoints) {
    for (const destination of endpoints) {
      if (source === destination) continue;
      const ports = [
        ...(destination.ports ?? []).map(p => ({ port: p.containerPort, protocol: (p.protocol ?? 'TCP') as Port['protocol'] })),
        ...extraPorts,
      ].filter((p, i, all) => all.findIndex(q => q.port === p.port && q.protocol === p.protocol) === i);
      for (const port of ports) {
        if (allowed(policies, source, destination, port)) found.push(`${source.id} -> ${destination.id}:${port.port}/${port.protocol}`);
      }
    }
  }
  return found.sort();
}
