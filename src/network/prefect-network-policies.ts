import { Chart, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PrefectVersion } from '../core/prefect-version';
import { nameAfter } from '../core/private/collisions';
import { recommendedLabels, stableLabels } from '../core/private/labels';
import { register, registered, registeredOf } from '../core/private/registry';
import { checkCidr, checkInstance, checkInteger, checkLabels, checkLists, checkNamespaceName, propError } from '../core/private/validation';
import { warn } from '../core/private/warnings';
import { ValidationCode } from '../core/validation-code';
import { WarningCode } from '../core/warning-code';
import { DaskScratch } from '../dask/dask-scratch';
import { PrefectApi } from '../server/prefect-api';
import { PrefectConnection } from '../workers/prefect-connection';
import { PrefectWorkerPool } from '../workers/prefect-worker-pool';
import { NetworkDestination } from './network-destination';
import { PrefectNetworkPoliciesProps } from './network-policies-props';
import { ANY_IPV4, ANY_IPV6, namespacePeer, podPeer, tcp } from './private/peers';

const DEFAULT_DENY = 'prefect-default-deny';
/** The scheduler's Dask protocol and dashboard (HTTP API) ports. */
const DASK_SCHEDULER_PORTS = [8786, 8787];

/**
 * NetworkPolicies for a server and its worker pools: every pod this library creates in their
 * namespaces accepts and opens no connection but those it needs. The API accepts traffic only from
 * the ingress controller (when it has a `PrefectIngress`), from an external Service's clients (when
 * it has one), from the pools' workers and from their flow runs; workers and flow runs reach the
 * API, DNS and the Kubernetes API; the server reaches its database and Redis. On clusters whose
 * network plugin ignores NetworkPolicies nothing changes.
 */
export class PrefectNetworkPolicies extends Construct {
  private readonly props: PrefectNetworkPoliciesProps;
  private readonly namespace: string;
  private readonly pools: PrefectWorkerPool[] = [];
  private readonly deniedNamespaces = new Set<string>();
  /** Whether a policy lets pods reach the Kubernetes API anywhere, kubernetesApiServer being unset. */
  private reachesAnyApiServer = false;
  /** The namespaces whose Dask pods are covered, by DaskScratch. */
  private readonly daskCovered = new Map<DaskScratch, Set<string>>();

  public constructor(scope: Construct, id: string, props: PrefectNetworkPoliciesProps = {}) {
    super(scope, id);
    register(this);
    // null from JavaScript or Python stands for no props, as undefined does.
    props = props ?? {};
    checkPolicyShapes(this, props);
    this.props = props;
    const namespace = Chart.of(this).namespace;
    if (!namespace) {
      throw propError(this, 'namespace', undefined, 'a chart with a namespace (new Chart(app, id, { namespace })): the policies are namespaced', ValidationCode.REQUIRED);
    }
    this.namespace = namespace;
    this.validate();
    this.node.addValidation({ validate: () => this.uncovered() });
    // Given once the pools are known: only pods that call the Kubernetes API get the default.
    warn(this, WarningCode.EGRESS_ANYWHERE, () => (this.reachesAnyApiServer ? 'kubernetesApiServer is unset: the pods that call the Kubernetes API may connect to every address on ports 443 and 6443, the internet included, since its address is not known at synth; NetworkDestination.cidr() with the API server\'s addresses (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes) limits it' : undefined));

    const api = props.api;
    if (api) {
      if (Chart.of(api).namespace !== namespace) {
        throw propError(this, 'api', api.node.path, `a server in this chart's namespace (${namespace})`, ValidationCode.PLACEMENT);
      }
      this.denyAll(namespace, api.image.version);
      this.policy(api, 'Server', `${api.name}-egress`, namespace, {
        podSelector: api._podSelector(false),
        policyTypes: ['Egress'],
        egress: [
          this.dns(),
          ...(api._outboundPorts().length > 0 ? [NetworkDestination.anywhere(api._outboundPorts())._rule()] : []),
          ...(props.serverEgress ?? []).map(d => d._rule()),
        ],
      }, api.image.version);
      this.policy(api, 'Api', `${api.name}-ingress`, namespace, {
        podSelector: api._podSelector(true),
        policyTypes: ['Ingress'],
        // Resolved at synth: the ingress, the external Service and the pools may come later.
        // An empty `from` would admit everyone: without clients, the API admits no one.
        ingress: Lazy.any({
          produce: () => {
            const clients = this.apiClients(api);
            return clients.length > 0 ? [{ from: clients, ports: tcp([api.port]) }] : [];
          },
        }),
      }, api.image.version);
    }
    for (const pool of props.workerPools ?? []) this.addWorkerPool(pool);
  }

  /** Covers a worker pool of this chart: its workers and its flow runs. */
  public addWorkerPool(pool: PrefectWorkerPool): void {
    checkInstance(this, 'addWorkerPool', pool ?? 0, PrefectWorkerPool, 'a PrefectWorkerPool');
    if (this.pools.includes(pool)) throw propError(this, 'workerPools', pool.node.path, 'each pool once', ValidationCode.DUPLICATE);
    const profile = pool._networkProfile();
    if (profile.namespace !== this.namespace) {
      throw propError(this, 'workerPools', pool.node.path, `pools in this chart's namespace (${this.namespace})`, ValidationCode.PLACEMENT);
    }
    this.pools.push(pool);
    const props = this.props;
    const kubernetes = profile.callsKubernetesApi ? [this.kubernetesApiServer()._rule()] : [];
    const flowRunExtra = (props.flowRunEgress ?? []).map(d => d._rule());
    const version = pool.image.version;
    this.denyAll(this.namespace, version);
    this.policy(pool, `Workers-${pool.name}`, `${pool.name}-egress`, this.namespace, {
      podSelector: profile.workerSelector,
      policyTypes: ['Egress'],
      egress: [
        this.dns(), ...this.connectionRules(pool.connection, this.namespace), ...kubernetes,
        ...(profile.installsPackages ? [NetworkDestination.anywhere([443])._rule()] : []),
        ...(props.workerEgress ?? []).map(d => d._rule()),
        // A process pool runs its flows in the worker pods.
        ...(profile.flowRuns ? [] : flowRunExtra),
      ],
    }, version);
    // Only pods with this library's labels are "Prefect pods" to deny by default; Jobs from
    // templates kept elsewhere stay as their owners made them.
    const dask = profile.dask;
    if (profile.flowRuns?.labelled) {
      for (const ns of profile.flowRuns.namespaces) {
        this.denyAll(ns, version);
        // Flow runs with Dask talk to their clusters' schedulers.
        const schedulers: k8s.NetworkPolicyEgressRule[] = dask
          // Without a dedicated namespace, a flow run's clusters are in its own.
          ? [{ to: (dask.namespace ? [dask.namespace] : [ns]).map(c => podPeer(ns, c, dask._podSelector('scheduler'))), ports: tcp(DASK_SCHEDULER_PORTS) }]
          : [];
        // The default deny selects this library's pods by `managed-by`, which Prefect rewrites on
        // flow-run pods: this policy isolates them in both directions itself (nothing connects to a flow run).
        this.policy(pool, `FlowRuns-${pool.name}-${ns}`, `${pool.name}-flow-runs`, ns, {
          podSelector: profile.flowRuns.selector,
          policyTypes: ['Ingress', 'Egress'],
          egress: [this.dns(), ...this.connectionRules(pool.connection, ns), this.kubernetesApiServer()._rule(), ...schedulers, ...flowRunExtra],
        }, version);
      }
    }
    if (dask) this.coverDask(dask, version);
  }

  private validate(): void {
    const props = this.props;
    if (props.ingressControllerNamespace !== undefined) checkNamespaceName(this, 'ingressControllerNamespace', props.ingressControllerNamespace);
    checkLabels(this, 'ingressControllerPodLabels', props.ingressControllerPodLabels);
    if (props.dnsNamespace !== undefined) checkNamespaceName(this, 'dnsNamespace', props.dnsNamespace);
    checkLabels(this, 'dnsPodLabels', props.dnsPodLabels);
    if (props.dnsPort !== undefined) checkInteger(this, 'dnsPort', props.dnsPort, 1, 65535);
    for (const cidr of props.dnsCidrs ?? []) {
      checkCidr(this, 'dnsCidrs', cidr);
      if (cidr.endsWith('/0')) warn(this, WarningCode.EGRESS_ANYWHERE, () => `dnsCidrs has "${cidr}": the pods may send DNS traffic (port ${props.dnsPort ?? 53}) to every address, which lets data out through any resolver; the addresses of the cluster's DNS service suffice`);
    }
    if (props.daskOperatorNamespace !== undefined) checkNamespaceName(this, 'daskOperatorNamespace', props.daskOperatorNamespace);
    checkLabels(this, 'daskOperatorPodLabels', props.daskOperatorPodLabels);
    if (props.dnsPodLabels !== undefined && props.dnsPodLabels !== null && Object.keys(props.dnsPodLabels).length === 0) {
      throw propError(this, 'dnsPodLabels', '{}', 'at least one label of the DNS pods, such as { "k8s-app": "kube-dns" }', ValidationCode.REQUIRED);
    }
    props.kubernetesApiServer?._validate(this, 'kubernetesApiServer');
    for (const [prop, list] of [['serverEgress', props.serverEgress], ['workerEgress', props.workerEgress], ['flowRunEgress', props.flowRunEgress]] as const) {
      (list ?? []).forEach((d, i) => d._validate(this, `${prop}[${i}]`));
    }
    if (props.serverEgress !== undefined && !props.api) {
      throw propError(this, 'serverEgress', `${props.serverEgress.length} destinations`, 'unset without an api', ValidationCode.CONFLICT);
    }
  }

  /**
   * The pods of a DaskScratch's clusters: schedulers admit the flow runs that use them and the Dask
   * operator, on the scheduler's ports; schedulers and workers talk among themselves on any port
   * (workers listen on random ones); workers run the tasks, so they reach the Prefect API and what
   * flow runs may reach. The cleanup reaches the Kubernetes API only.
   */
  private coverDask(dask: DaskScratch, version: PrefectVersion): void {
    const props = this.props;
    const scheduler = dask._podSelector('scheduler');
    const worker = dask._podSelector('worker');
    const users = () => this.pools.filter(p => p._networkProfile().dask === dask);
    const covered = this.daskCovered.get(dask) ?? new Set<string>();
    const first = !this.daskCovered.has(dask);
    this.daskCovered.set(dask, covered);
    // Without a dedicated namespace, each pool may bring namespaces of its own.
    for (const ns of dask._clusterNamespaces.filter(n => !covered.has(n))) {
      covered.add(ns);
      this.denyAll(ns, version);
      const cluster: k8s.NetworkPolicyPeer[] = [{ podSelector: scheduler }, { podSelector: worker }];
      this.policy(dask, `DaskSchedulers-${dask.name}-${ns}`, `${dask.name}-schedulers`, ns, {
        podSelector: scheduler,
        policyTypes: ['Ingress', 'Egress'],
        ingress: Lazy.any({
          produce: () => [
            { from: [{ podSelector: worker }] },
            {
              from: [
                namespacePeer(props.daskOperatorNamespace ?? 'dask-operator', props.daskOperatorPodLabels ?? { 'app.kubernetes.io/name': 'dask-kubernetes-operator' }),
                ...users().flatMap(p => {
                  const runs = p._networkProfile().flowRuns!;
                  // Without a dedicated namespace, flow runs start clusters in their own.
                  return runs.namespaces.filter(runNs => dask.namespace !== undefined || runNs === ns).map(runNs => podPeer(ns, runNs, runs.selector));
                }),
              ],
              ports: tcp(DASK_SCHEDULER_PORTS),
            },
          ],
        }),
        egress: [this.dns(), { to: [{ podSelector: worker }] }],
      }, version);
      this.policy(dask, `DaskWorkers-${dask.name}-${ns}`, `${dask.name}-workers`, ns, {
        podSelector: worker,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: cluster }],
        egress: Lazy.any({
          produce: () => [
            this.dns(),
            { to: cluster },
            ...users().flatMap(p => this.connectionRules(p.connection, ns)),
            ...(props.flowRunEgress ?? []).map(d => d._rule()),
          ],
        }),
      }, version);
    }
    if (!first) return;
    this.denyAll(dask._home, version);
    this.policy(dask, `DaskCleanup-${dask.name}`, `${dask.name}-cleanup`, dask._home, {
      podSelector: dask._podSelector('cleanup'),
      policyTypes: ['Egress'],
      // The script calls the API server by the address Kubernetes gives every pod: no DNS.
      egress: [this.kubernetesApiServer()._rule()],
    }, version);
  }

  /**
   * The default deny covers every pod of this library in the namespaces it is emitted in, whichever
   * chart made them: each server and pool of this chart, or connected to what is covered here, with
   * pods there must be covered by a PrefectNetworkPolicies. (Other charts of the app may be
   * alternatives, such as environments, and are left alone.)
   */
  private uncovered(): string[] {
    const problems: string[] = [];
    const fail = (code: ValidationCode, prop: string, value: unknown, accepted: string) => problems.push(propError(this, prop, value, accepted, code).message);
    if (!this.props.api && this.pools.length === 0) {
      fail(ValidationCode.REQUIRED, 'api', undefined, 'a server or at least one worker pool (workerPools, addWorkerPool) to protect');
    }
    // The default namespace is ingress-nginx's: another controller would be shut out of the API.
    const ingress = this.props.api?.ingress;
    if (ingress && this.props.ingressControllerNamespace === undefined && ingress.ingressClassName !== 'nginx') {
      fail(ValidationCode.REQUIRED, 'ingressControllerNamespace', undefined,
        `the namespace of the controller of ${ingress.node.path} (ingress class ${ingress.ingressClassName ?? 'the cluster default'}), whose pods the API is to admit; "ingress-nginx" is assumed only for the class nginx`);
    }
    const all = registeredOf(this, [PrefectApi, PrefectWorkerPool, DaskScratch, PrefectNetworkPolicies]);
    const policies = all.filter((c): c is PrefectNetworkPolicies => c instanceof PrefectNetworkPolicies);
    const coveredApis = new Set(policies.map(p => p.props.api));
    const coveredPools = new Set(policies.flatMap(p => p.pools));
    const denied = (namespaces: Array<string | undefined>) => namespaces.find(ns => ns !== undefined && this.deniedNamespaces.has(ns));
    const chart = Chart.of(this);
    const servers = new Set<PrefectApi | undefined>([this.props.api, ...this.pools.map(p => p.connection.api)]);
    servers.delete(undefined);
    const related = (c: PrefectApi | PrefectWorkerPool) => Chart.of(c) === chart
      || (c instanceof PrefectApi ? servers.has(c) : servers.has(c.connection.api));
    for (const c of all) {
      if ((c instanceof PrefectApi || c instanceof PrefectWorkerPool) && !related(c)) continue;
      if (c instanceof PrefectApi && !coveredApis.has(c)) {
        const ns = denied([Chart.of(c).namespace]);
        if (ns) fail(ValidationCode.PLACEMENT, 'api', this.props.api?.node.path, `a cover for every server with pods in namespace ${ns}, where all their traffic is denied: ${c.node.path} is not covered (give it as api here, or to the PrefectNetworkPolicies of its chart)`);
      }
      if (c instanceof PrefectWorkerPool) {
        const profile = c._networkProfile();
        const ns = denied([profile.namespace, ...(profile.flowRuns?.labelled ? profile.flowRuns.namespaces : [])]);
        if (ns && !coveredPools.has(c)) {
          fail(ValidationCode.PLACEMENT, 'workerPools', this.pools.map(p => p.node.path).join(',') || undefined,
            `a cover for every pool with pods in namespace ${ns}, where all their traffic is denied: ${c.node.path} is not covered (addWorkerPool here, or to the PrefectNetworkPolicies of its chart)`);
        }
        if (this.props.api && c.connection.api === this.props.api && !profile.namespace) {
          fail(ValidationCode.REQUIRED, 'api', this.props.api.node.path, `clients in charts with a namespace: ${c.node.path} has none, so the server cannot admit its pods`);
        }
      }
      if (c instanceof DaskScratch && this.daskCovered.has(c)) {
        const other = policies.find(p => p !== this && p.daskCovered.has(c));
        if (other) {
          fail(ValidationCode.DUPLICATE, 'workerPools', this.pools.map(p => p.node.path).join(','),
            `pools of ${c.node.path} in one PrefectNetworkPolicies (${other.node.path} covers it too, and each would admit only its own flow runs to the schedulers)`);
        }
      }
      if (c instanceof DaskScratch && Chart.of(c) === chart && !policies.some(p => p.daskCovered.has(c))) {
        const ns = denied([c._home, ...c._clusterNamespaces]);
        if (ns) fail(ValidationCode.PLACEMENT, 'workerPools', this.pools.map(p => p.node.path).join(',') || undefined, `a pool that uses ${c.node.path}, whose pods in namespace ${ns} would be denied all traffic`);
      }
      if (c instanceof PrefectNetworkPolicies && c !== this && Chart.of(c) === Chart.of(this)) {
        fail(ValidationCode.DUPLICATE, 'chart', Chart.of(this).node.path, `one PrefectNetworkPolicies per chart (${c.node.path} is another)`);
      }
    }
    return problems;
  }

  /** Who may call the API: the ingress controller, an external Service's clients, workers and flow runs. */
  private apiClients(api: PrefectApi): k8s.NetworkPolicyPeer[] {
    const props = this.props;
    const peers: k8s.NetworkPolicyPeer[] = [];
    if (api.ingress) {
      peers.push(namespacePeer(props.ingressControllerNamespace ?? 'ingress-nginx', props.ingressControllerPodLabels));
    }
    if (api.externalService) {
      // Node ports and load balancers forward clients from anywhere (often from a node's address).
      peers.push({ ipBlock: { cidr: ANY_IPV4 } }, { ipBlock: { cidr: ANY_IPV6 } });
    }
    // Every pool of the app that connects to this server, in whatever namespace.
    const pools = registered(this, PrefectWorkerPool).filter(c => c.connection.api === api);
    for (const pool of pools) {
      const profile = pool._networkProfile();
      // A pool without namespace fails validation (uncovered).
      if (!profile.namespace) continue;
      peers.push(podPeer(this.namespace, profile.namespace, profile.workerSelector));
      for (const ns of profile.flowRuns?.namespaces ?? []) peers.push(podPeer(this.namespace, ns, profile.flowRuns!.selector));
      // Dask workers run the flow runs' tasks, which report to the API.
      const dask = profile.dask;
      for (const ns of dask?._clusterNamespaces ?? []) peers.push(podPeer(this.namespace, ns, dask!._podSelector('worker')));
    }
    return peers;
  }

  /**
   * The API a worker or flow run (of a policy in `policyNamespace`) talks to: the server's pods, or
   * any address at the URL's port.
   */
  private connectionRules(connection: PrefectConnection, policyNamespace: string): k8s.NetworkPolicyEgressRule[] {
    const api = connection.api;
    if (api) {
      const namespace = Chart.of(api).namespace;
      if (!namespace) {
        throw propError(this, 'workerPools', api.node.path,
          'pools whose server is in a chart with a namespace: a policy cannot name the server\'s pods otherwise', ValidationCode.REQUIRED);
      }
      const peer = podPeer(policyNamespace, namespace, api._podSelector(true));
      return [{ to: [peer], ports: tcp([api.port]) }];
    }
    const url = new URL(connection.url);
    return [NetworkDestination.anywhere([Number(url.port || (url.protocol === 'https:' ? 443 : 80))])._rule()];
  }

  private dns(): k8s.NetworkPolicyEgressRule {
    const props = this.props;
    const port = k8s.IntOrString.fromNumber(props.dnsPort ?? 53);
    return {
      to: [
        namespacePeer(props.dnsNamespace ?? 'kube-system', props.dnsPodLabels ?? { 'k8s-app': 'kube-dns' }),
        ...(props.dnsCidrs ?? []).map(cidr => ({ ipBlock: { cidr } })),
      ],
      ports: [{ port, protocol: 'UDP' }, { port, protocol: 'TCP' }],
    };
  }

  private kubernetesApiServer(): NetworkDestination {
    if (this.props.kubernetesApiServer) return this.props.kubernetesApiServer;
    this.reachesAnyApiServer = true;
    return NetworkDestination.anywhere([443, 6443]);
  }

  private denyAll(namespace: string, version: PrefectVersion): void {
    if (this.deniedNamespaces.has(namespace)) return;
    this.deniedNamespaces.add(namespace);
    const labels = stableLabels(DEFAULT_DENY, 'network-policy');
    this.policy(undefined, namespace === this.namespace ? 'Resource' : `Resource-${namespace}`, DEFAULT_DENY, namespace, {
      podSelector: {
        matchLabels: {
          'app.kubernetes.io/part-of': labels['app.kubernetes.io/part-of'],
          'app.kubernetes.io/managed-by': labels['app.kubernetes.io/managed-by'],
        },
      },
      policyTypes: ['Ingress', 'Egress'],
    }, version);
  }

  /** A policy, named after the construct whose pods it is for (a clash is reported against that one). */
  private policy(namedAfter: IConstruct | undefined, id: string, name: string, namespace: string, spec: k8s.NetworkPolicySpec, version: PrefectVersion): void {
    const policy = new k8s.KubeNetworkPolicy(this, id, {
      metadata: {
        name,
        ...(namespace === this.namespace ? {} : { namespace }),
        labels: recommendedLabels(name, 'network-policy', version),
      },
      spec,
    });
    if (namedAfter) nameAfter(policy, namedAfter);
  }
}

/** What a JavaScript or Python caller can pass of another type: a list, a destination, a construct. */
function checkPolicyShapes(scope: PrefectNetworkPolicies, props: PrefectNetworkPoliciesProps): void {
  const destination = 'a NetworkDestination: anywhere(), cidr() or inNamespace()';
  checkLists(scope, { workerPools: props.workerPools, serverEgress: props.serverEgress, workerEgress: props.workerEgress, flowRunEgress: props.flowRunEgress });
  checkLists(scope, { dnsCidrs: props.dnsCidrs }, 'string');
  checkInstance(scope, 'api', props.api, PrefectApi, 'a PrefectApi');
  checkInstance(scope, 'kubernetesApiServer', props.kubernetesApiServer, NetworkDestination, destination);
  (props.workerPools ?? []).forEach((pool, i) => checkInstance(scope, `workerPools[${i}]`, pool ?? 0, PrefectWorkerPool, 'a PrefectWorkerPool'));
  for (const prop of ['serverEgress', 'workerEgress', 'flowRunEgress'] as const) {
    (props[prop] ?? []).forEach((d, i) => checkInstance(scope, `${prop}[${i}]`, d ?? 0, NetworkDestination, destination));
  }
}
