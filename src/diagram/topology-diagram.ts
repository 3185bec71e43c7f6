import { Chart } from 'cdk8s';
import { settingAliases, SETTINGS } from '../core/private/prefect-settings';
import { factoryError, isLoopbackHost, requireArgument } from '../core/private/validation';
import { ValidationCode } from '../core/validation-code';

type Manifest = { [key: string]: any };

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
/** Environment variables whose values are URLs or hosts a Prefect container connects to. */
const PEER_VARIABLES: Record<string, string> = Object.fromEntries(([
  [SETTINGS.client.API_URL, 'Prefect API'],
  [SETTINGS.prefect1.API, 'Prefect 1 API'],
  [SETTINGS.server.DATABASE_HOST, 'PostgreSQL'],
  [SETTINGS.server.DATABASE_CONNECTION_URL, 'database'],
  [SETTINGS.server.REDIS_HOST, 'Redis'],
] as const).flatMap(([setting, peer]) => settingAliases(setting.name).map(name => [name, peer])));

interface Edge {
  readonly from: string;
  readonly arrow: string;
  readonly label?: string;
  readonly to: string;
}

interface Node {
  readonly id: string;
  readonly namespace?: string;
  readonly text: string;
  readonly shape: [string, string];
}

/**
 * A diagram of what a chart deploys: workloads, Services, Ingresses, ServiceAccounts and Roles, by
 * namespace, and who talks to whom (ingress to Service to pods, clients to the Services and outside
 * endpoints their environment names, workers to the flow-run Jobs they launch). It is read from the
 * synthesized manifests, so it shows what `kubectl apply` would create.
 */
export class TopologyDiagram {
  /** The diagram of a chart, from its synthesized manifests. */
  public static ofChart(chart: Chart): TopologyDiagram {
    requireArgument('TopologyDiagram.ofChart', 'chart', chart, 'the Chart to draw');
    if (!Chart.isChart(chart)) throw factoryError('TopologyDiagram.ofChart', 'chart', chart, 'a cdk8s Chart', ValidationCode.FORMAT);
    return new TopologyDiagram(chart.toJson());
  }

  /**
   * The diagram of Kubernetes manifests (parsed YAML or JSON objects). Empty items, such as the
   * empty documents of a YAML stream, are skipped.
   */
  public static ofManifests(manifests: any[]): TopologyDiagram {
    requireArgument('TopologyDiagram.ofManifests', 'manifests', manifests, 'a list of Kubernetes objects');
    checkManifests(manifests);
    return new TopologyDiagram(list(manifests));
  }

  private readonly nodes = new Map<string, Node>();
  private readonly edges = new Map<string, Edge>();

  private constructor(private readonly manifests: Manifest[]) {
    this.build();
  }

  /** The diagram as a Mermaid flowchart (for a ```mermaid block in Markdown). */
  public toMermaid(): string {
    const lines = ['flowchart LR'];
    const byNamespace = new Map<string, Node[]>();
    for (const node of this.nodes.values()) {
      const key = node.namespace ?? '';
      byNamespace.set(key, [...(byNamespace.get(key) ?? []), node]);
    }
    const nodeLine = (n: Node, indent: string) => `${indent}${n.id}${n.shape[0]}"${escape(n.text)}"${n.shape[1]}`;
    for (const namespace of [...byNamespace.keys()].sort()) {
      const nodes = byNamespace.get(namespace)!;
      if (namespace === '') {
        lines.push(...nodes.map(n => nodeLine(n, '  ')));
        continue;
      }
      lines.push(`  subgraph ${mermaidId('namespace', namespace)}["${escape(this.namespaceTitle(namespace))}"]`);
      // A subgraph without edges leaving it would otherwise be laid out top to bottom.
      lines.push('    direction LR');
      lines.push(...nodes.map(n => nodeLine(n, '    ')));
      lines.push('  end');
    }
    // Only between nodes of the diagram: a role of a flow run's account without runs shows no runs.
    for (const e of this.edges.values()) {
      if (this.nodes.has(e.from) && this.nodes.has(e.to)) lines.push(`  ${e.from} ${e.arrow}${e.label ? `|${escape(e.label)}|` : ''} ${e.to}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** The namespace, its Pod Security level when the chart creates it, and its NetworkPolicies. */
  private namespaceTitle(namespace: string): string {
    const created = this.manifests.find(o => o.kind === 'Namespace' && o.metadata?.name === namespace);
    const enforce = created?.metadata?.labels?.['pod-security.kubernetes.io/enforce'];
    const policies = this.manifests.filter(o => o.kind === 'NetworkPolicy' && o.metadata?.namespace === namespace).length;
    const notes = [
      ...(enforce ? [`Pod Security ${enforce}`] : []),
      ...(policies > 0 ? [`${policies} NetworkPolicies`] : []),
    ];
    // One line: Mermaid leaves no room for a second line of a subgraph's title.
    return [`namespace ${namespace}`, ...notes].join(' · ');
  }

  private build(): void {
    const objects = [...this.manifests].sort((a, b) => key(a).localeCompare(key(b)));
    const workloads = objects.filter(o => WORKLOAD_KINDS.includes(o.kind));
    const services = objects.filter(o => o.kind === 'Service');
    for (const o of objects.filter(x => x.kind === 'Ingress')) this.ingress(o, services);
    for (const s of services) {
      const ports = list(s.spec?.ports).map((p: Manifest) => p.port).join(', ');
      const type = s.spec?.type && s.spec.type !== 'ClusterIP' ? ` ${s.spec.type}` : '';
      this.node(s, `Service${type} ${s.metadata.name}<br/>:${ports}`, ['([', '])']);
      for (const w of workloads.filter(x => podNamespace(x) === s.metadata.namespace && selects(s.spec?.selector, podLabels(x)))) {
        this.edge(s, w, '-->');
      }
    }
    for (const w of workloads) this.workload(w, services);
    for (const binding of objects.filter(o => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) this.binding(binding, objects, workloads, services);
  }

  private ingress(ingress: Manifest, services: Manifest[]): void {
    const rules: Manifest[] = list(ingress.spec?.rules);
    const routes = rules.flatMap(r => list(r.http?.paths).map((p: Manifest) => ({ host: r.host ?? '*', path: p.path ?? '/', backend: p.backend?.service })));
    const tls = list(ingress.spec?.tls).length > 0 ? 'https' : 'http';
    this.node(ingress, `Ingress ${ingress.metadata.name}<br/>${[...new Set(routes.map(r => `${tls}://${r.host}${r.path}`))].join('<br/>')}`, ['{{', '}}']);
    for (const route of routes) {
      const service = services.find(s => s.metadata.namespace === ingress.metadata.namespace && s.metadata.name === route.backend?.name);
      if (service) this.edge(ingress, service, '-->', route.path);
    }
  }

  private workload(w: Manifest, services: Manifest[]): void {
    const pod = podSpec(w);
    const schedule = w.kind === 'CronJob' ? `<br/>${w.spec?.schedule}` : '';
    const sidecars = list(pod?.initContainers).filter((c: Manifest) => c?.restartPolicy === 'Always').map((c: Manifest) => c.name);
    const withSidecars = sidecars.length > 0 ? `<br/>sidecar ${sidecars.join(', ')}` : '';
    this.node(w, `${w.kind} ${w.metadata.name}${this.replicas(w)}${schedule}${withSidecars}`, ['[', ']']);
    for (const claim of list(w.spec?.volumeClaimTemplates)) {
      const storage = claim.spec?.resources?.requests?.storage;
      const id = this.add({ id: mermaidId('claim', podNamespace(w), w.metadata.name, claim.metadata?.name),
        namespace: podNamespace(w), text: `claim ${claim.metadata?.name}-${w.metadata.name}-0${storage ? `<br/>${storage}` : ''}`, shape: ['[(', ')]'] });
      this.link(nodeId(w), '---', id);
    }
    for (const [target, label] of this.peers(pod, podNamespace(w), services)) this.link(nodeId(w), '-->', target, label);
  }

  /** The pods of a workload: its fixed count, or its autoscaler's range. */
  private replicas(w: Manifest): string {
    const autoscaler = this.manifests.find(o => o.kind === 'HorizontalPodAutoscaler' && o.metadata?.namespace === w.metadata.namespace
      && o.spec?.scaleTargetRef?.kind === w.kind && o.spec?.scaleTargetRef?.name === w.metadata.name);
    if (autoscaler) return `<br/>autoscaled, ${autoscaler.spec.minReplicas ?? 1} to ${autoscaler.spec.maxReplicas} replicas`;
    return w.spec?.replicas !== undefined && w.spec.replicas !== 1 ? `<br/>${w.spec.replicas} replicas` : '';
  }

  /** Where a pod's containers connect to, by the URLs and hosts in their environment. */
  private peers(pod: Manifest | undefined, namespace: string | undefined, services: Manifest[]): Array<[string, string]> {
    const found: Array<[string, string]> = [];
    for (const container of [...list(pod?.initContainers), ...list(pod?.containers)]) {
      for (const variable of list(container.env)) {
        const what = Object.prototype.hasOwnProperty.call(PEER_VARIABLES, variable.name) ? PEER_VARIABLES[variable.name] : undefined;
        if (!what) continue;
        const secret = variable.valueFrom?.secretKeyRef;
        if (secret) {
          found.push([this.add({ id: mermaidId('external', what, secret.name), text: `${what}<br/>from Secret ${secret.name}`, shape: ['[/', '/]'] }), what]);
          continue;
        }
        // A SQLite URL names a file (on the workload's claim), not a host.
        const target = typeof variable.value === 'string' ? endpoint(variable.value) : undefined;
        if (!target) continue;
        const service = services.find(s => serviceMatches(s, target, namespace));
        if (service) {
          found.push([nodeId(service), what]);
        } else {
          const address = `${target.host}${target.port !== undefined ? `:${target.port}` : ''}`;
          // On the pod's loopback, the peer is a proxy in the pod (a sidecar) in front of it.
          const shown = isLoopbackHost(target.host) ? `${address}, a proxy in the pod` : address;
          found.push([this.add({ id: mermaidId('external', what, address), text: `${what}<br/>${shown}`, shape: ['[/', '/]'] }), what]);
        }
      }
    }
    return found;
  }

  /**
   * A binding: its ServiceAccounts and their Role, the pods that run as them, and what the Role lets
   * them create: Jobs become flow runs, DaskClusters the clusters flow runs start.
   */
  private binding(binding: Manifest, objects: Manifest[], workloads: Manifest[], services: Manifest[]): void {
    const ref = binding.roleRef ?? {};
    const role = objects.find(o => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace));
    if (!role) return;
    // A RoleBinding grants even a ClusterRole's rules in its own namespace only.
    const cluster = binding.kind === 'ClusterRoleBinding';
    const resources = [...new Set(list(role.rules).flatMap((r: Manifest) => list(r.resources)))].filter((r): r is string => typeof r === 'string' && !r.includes('/'));
    const roleId = this.add({
      id: mermaidId(ref.kind, cluster ? '' : binding.metadata.namespace, ref.name), namespace: cluster ? undefined : binding.metadata.namespace,
      text: `${ref.kind} ${ref.name}<br/>${resources.join(', ')}`, shape: ['>', ']'],
    });
    const creates = (resource: string) => list(role.rules).some((r: Manifest) => list(r.resources).includes(resource) && list(r.verbs).includes('create'));
    for (const subject of list(binding.subjects).filter((s: Manifest) => s.kind === 'ServiceAccount')) {
      const account = this.add({ id: mermaidId('ServiceAccount', subject.namespace, subject.name), namespace: subject.namespace, text: `ServiceAccount ${subject.name}`, shape: ['(', ')'] });
      this.link(account, '-.->', roleId, binding.kind);
      const users = workloads.filter(w => podNamespace(w) === subject.namespace && (podSpec(w)?.serviceAccountName ?? 'default') === subject.name);
      for (const user of users) this.link(nodeId(user), '-.-', account, 'runs as');
      const runsUnder = this.flowRunTemplates(objects).filter(t => t.serviceAccount === subject.name && t.namespace === subject.namespace);
      for (const template of runsUnder) this.link(template.node, '-.-', account, 'runs as');
      const namespace = cluster ? undefined : binding.metadata.namespace;
      if (creates('jobs')) {
        for (const user of users) {
          // One node for the runs of all workloads of one account, such as a pool's per-queue workers.
          const runs = this.add({ id: mermaidId('flowruns', namespace, subject.name), namespace, text: `flow-run Jobs<br/>of ${subject.name}`, shape: ['[[', ']]'] });
          this.link(nodeId(user), '==>', runs, 'launches');
          // A worker passes its API URL on to the runs it launches.
          for (const [target, label] of this.peers(podSpec(user), podNamespace(user), services)) {
            if (label.includes('Prefect')) this.link(runs, '-->', target, label);
          }
        }
      }
      if (creates('daskclusters')) {
        const clusters = this.add({ id: mermaidId('daskclusters', namespace), namespace, text: 'DaskClusters<br/>(scheduler + workers)', shape: ['[[', ']]'] });
        for (const template of runsUnder) this.link(template.node, '==>', clusters, 'starts');
      }
    }
  }

  /** The flow-run Jobs of work pools whose base job template is in a ConfigMap, with their ServiceAccount. */
  private flowRunTemplates(objects: Manifest[]): Array<{ node: string; serviceAccount?: string; namespace: string }> {
    const found = [];
    for (const map of objects.filter(o => o.kind === 'ConfigMap' && o.data?.['base-job-template.json'])) {
      const variables = parsedTemplate(map.data['base-job-template.json'])?.variables?.properties ?? {};
      const namespace = variables.namespace?.default ?? map.metadata.namespace;
      const launcher = objects.find(w => WORKLOAD_KINDS.includes(w.kind) && list(podSpec(w)?.volumes).some((v: Manifest) => v.configMap?.name === map.metadata.name));
      if (!launcher) continue;
      found.push({
        node: mermaidId('flowruns', namespace, podSpec(launcher)?.serviceAccountName ?? 'default'),
        serviceAccount: variables.service_account_name?.default,
        namespace,
      });
    }
    return found;
  }

  private node(o: Manifest, text: string, shape: [string, string]): string {
    return this.add({ id: nodeId(o), namespace: o.metadata.namespace, text, shape });
  }

  private add(node: Node): string {
    if (!this.nodes.has(node.id)) this.nodes.set(node.id, node);
    return node.id;
  }

  private edge(from: Manifest, to: Manifest, arrow: string, label?: string): void {
    this.link(nodeId(from), arrow, nodeId(to), label);
  }

  private link(from: string, arrow: string, to: string, label?: string): void {
    const edge = { from, arrow, label, to };
    this.edges.set(JSON.stringify(edge), edge);
  }
}

/**
 * A list the manifests should hold there, without empty items; anything else (a hand-written
 * mistake that kubectl would refuse) counts as none.
 */
function list(value: unknown): any[] {
  return Array.isArray(value) ? value.filter(x => x !== null && x !== undefined) : [];
}

/** A base job template's JSON, or undefined where it is none. */
function parsedTemplate(text: unknown): Manifest | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Each item is a Kubernetes object with a kind and a name, the least the diagram reads. */
function checkManifests(manifests: unknown): void {
  const factory = 'TopologyDiagram.ofManifests';
  if (!Array.isArray(manifests)) throw factoryError(factory, 'manifests', manifests, 'a list of Kubernetes objects', ValidationCode.FORMAT);
  manifests.forEach((m, i) => {
    if (m === null || m === undefined) return;
    const named = typeof m === 'object' && typeof m.kind === 'string' && typeof m.metadata?.name === 'string'
      && ['string', 'undefined'].includes(typeof m.metadata.namespace);
    if (!named) {
      throw factoryError(factory, `manifests[${i}]`, typeof m === 'object' ? `${m.kind ?? '(no kind)'} ${m.metadata?.name ?? '(no name)'}` : m,
        'a Kubernetes object with a kind, a metadata.name and, if any, a metadata.namespace, all strings', ValidationCode.FORMAT);
    }
  });
}

function key(o: Manifest): string {
  return `${o.metadata?.namespace ?? ''}/${o.kind}/${o.metadata?.name}`;
}

function nodeId(o: Manifest): string {
  return mermaidId(o.kind, o.metadata.namespace, o.metadata.name);
}

function mermaidId(...parts: Array<string | undefined>): string {
  return parts.map(p => String(p ?? '').replace(/[^A-Za-z0-9]/g, '_')).join('__');
}

function escape(text: string): string {
  return text.replace(/"/g, '#quot;');
}

function podSpec(w: Manifest): Manifest | undefined {
  return w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template?.spec : w.spec?.template?.spec;
}

function podLabels(w: Manifest): Record<string, string> {
  const template = w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template;
  return template?.metadata?.labels ?? {};
}

function podNamespace(w: Manifest): string | undefined {
  return w.metadata.namespace;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The host and port a URL or `host[:port]` value names; credentials in a URL are left out. */
function endpoint(value: string): { host: string; port?: number } | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return undefined;
    }
    return url.hostname ? { host: url.hostname, port: url.port ? Number(url.port) : undefined } : undefined;
  }
  const match = /^([a-z0-9.-]+)(?::(\d+))?$/i.exec(value);
  return match ? { host: match[1].toLowerCase(), port: match[2] ? Number(match[2]) : undefined } : undefined;
}

/** Whether a host (and port) is a Service's in-cluster name: `<name>[.<namespace>[.svc[.cluster.local]]]`. */
function serviceMatches(service: Manifest, target: { host: string; port?: number }, clientNamespace: string | undefined): boolean {
  const [name, namespace, ...rest] = target.host.split('.');
  if (!['', 'svc', 'svc.cluster.local'].includes(rest.join('.'))) return false;
  if (service.metadata.name !== name || service.metadata.namespace !== (namespace ?? clientNamespace)) return false;
  return target.port === undefined || list(service.spec?.ports).some((p: Manifest) => p.port === target.port);
}
