import { App, Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import {
  DaskScratch, ExternalServiceType, IngressAccessControl, IngressTls, NetworkDestination, PrefectApi, PrefectConnection, PrefectImage,
  PrefectNetworkPolicies, PrefectVersion, PrefectWorkerPool, SecretKeyReference, WorkerRuntime, WorkPoolType,
} from '../src';
import { buildVariants } from '../src/examples/variants';
import { problems } from './support/checks';
import { connectivity, Endpoint, flowRunPodsOf, Port, podsOf } from './support/network-policies';
import { only, synth } from './support/synth';

type Json = any;

// What the chart does not create but talks to, or must keep out.
const ingressController: Endpoint = { id: 'ingress-controller', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
const dns: Endpoint = { id: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const kubernetesApi: Endpoint = { id: 'kubernetes-api', ip: '10.0.0.10' };
const internet: Endpoint = { id: 'internet', ip: '203.0.113.10' };
const bystander = (namespace: string): Endpoint => ({ id: `bystander in ${namespace}`, namespace, labels: { app: 'unrelated' } });
const PORTS: Port[] = [
  { port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }, { port: 5353, protocol: 'UDP' }, { port: 5353, protocol: 'TCP' },
  ...[80, 443, 4200, 5432, 6379, 6432, 6443, 8080].map(port => ({ port, protocol: 'TCP' as const })),
];

/** Allowed connections in which a pod of the chart takes part. */
function paths(objects: Json[], others: Endpoint[]): string[] {
  const own = [...podsOf(objects), ...flowRunPodsOf(objects)];
  const ids = new Set(own.map(e => e.id));
  return connectivity(objects, [...own, ...others], PORTS)
    .filter(line => { const [from, to] = line.split(' -> '); return ids.has(from) || ids.has(to.replace(/:[^:]*$/, '')); });
}

/** The connections `sources` may open to each of `destinations`. */
function expand(sources: string[], destinations: string[]): string[] {
  return sources.flatMap(s => destinations.map(d => `${s} -> ${d}`));
}

/** Each NetworkPolicy selects at least one pod of the chart (flow-run pods included). */
function policiesSelectingNothing(objects: Json[], otherPods: Endpoint[] = []): string[] {
  const pods = [...podsOf(objects), ...flowRunPodsOf(objects), ...otherPods];
  const matches = (selector: Json, labels: Record<string, string>) =>
    Object.entries<string>(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
    && (selector.matchExpressions ?? []).every((e: Json) => e.operator === 'In' ? e.values.includes(labels[e.key])
      : e.operator === 'NotIn' ? !e.values.includes(labels[e.key]) : e.operator === 'Exists' ? e.key in labels : !(e.key in labels));
  return objects.filter(o => o.kind === 'NetworkPolicy')
    .filter(p => !pods.some(pod => pod.namespace === p.metadata.namespace && matches(p.spec.podSelector, pod.labels ?? {})))
    .map(p => `${p.metadata.namespace}/${p.metadata.name}`);
}

describe('the production variant', () => {
  const app = Testing.app();
  const chart = buildVariants(app).find(c => c.node.id === 'production')!;
  const objects = Testing.synth(chart);
  const postgres: Endpoint = { id: 'postgres', namespace: 'prefect', labels: { 'cnpg.io/cluster': 'prefect-postgres' }, ports: [{ containerPort: 5432 }] };
  const redis: Endpoint = { id: 'redis', namespace: 'prefect', labels: { 'app.kubernetes.io/name': 'redis' }, ports: [{ containerPort: 6379 }] };
  const migration = objects.find(o => o.kind === 'Job').metadata.name;

  test('every policy selects pods the chart creates', () => {
    expect(policiesSelectingNothing(objects)).toEqual([]);
    expect(problems(objects)).toEqual([]);
  });

  test('who may talk to whom, on which port: exactly the paths of the design', () => {
    const server = ['Deployment/prefect-server', 'Deployment/prefect-server-services', `Job/${migration}`];
    const workers = ['Deployment/etl-worker-prod-main', 'Deployment/etl-worker-prod-secondary', 'Deployment/reports-worker'];
    const flowRuns = ['flow-run of etl-worker', 'flow-run of reports-worker'];
    const dnsPorts = ['kube-dns:53/TCP', 'kube-dns:53/UDP'];
    const expected = [
      // The API accepts the ingress controller, the workers and the flow runs.
      ...expand(['ingress-controller', ...workers, ...flowRuns], ['Deployment/prefect-server:4200/TCP']),
      // The server's pods reach DNS, the database and Redis: in the namespace by label, and, since
      // their addresses are not known, any address on those ports.
      ...expand(server, [...dnsPorts, 'postgres:5432/TCP', 'redis:6379/TCP',
        'internet:5432/TCP', 'internet:6379/TCP', 'kubernetes-api:5432/TCP', 'kubernetes-api:6379/TCP']),
      // Workers reach DNS and the Kubernetes API (the API server is listed above).
      ...expand(workers, [...dnsPorts, 'kubernetes-api:443/TCP', 'kubernetes-api:6443/TCP']),
      // Flow runs too, and HTTPS anywhere, as the variant allows.
      ...expand(flowRuns, [...dnsPorts, 'kubernetes-api:443/TCP', 'kubernetes-api:6443/TCP', 'internet:443/TCP']),
    ];
    const others = [ingressController, dns, kubernetesApi, internet, postgres, redis, bystander('prefect'), bystander('prefect-runs'), bystander('default')];
    expect(paths(objects, others)).toEqual(expected.sort());
  });
});

describe('the enterprise variant', () => {
  const app = Testing.app();
  const chart = buildVariants(app).find(c => c.node.id === 'enterprise')!;
  const objects = Testing.synth(chart);
  const vpc: Endpoint = { id: 'rds-and-elasticache', ip: '10.20.1.5' };
  const migration = objects.find(o => o.kind === 'Job').metadata.name;

  test('the database is behind the sidecar on the pod\'s loopback: egress to the VPC only, on the ports given', () => {
    const server = ['Deployment/prefect-server', 'Deployment/prefect-server-services', `Job/${migration}`];
    const dnsPorts = ['kube-dns:53/TCP', 'kube-dns:53/UDP'];
    const expected = [
      ...expand(['ingress-controller', 'Deployment/gpu-worker', 'flow-run of gpu-worker'], ['Deployment/prefect-server:4200/TCP']),
      // No port 6432 anywhere: PgBouncer listens on the pods' loopback, where policies do not apply.
      // Redis's address is not known to the library: any address on its port.
      ...expand(server, [...dnsPorts, 'rds-and-elasticache:5432/TCP', 'rds-and-elasticache:6379/TCP', 'internet:6379/TCP', 'kubernetes-api:6379/TCP']),
      ...expand(['Deployment/gpu-worker'], [...dnsPorts, 'kubernetes-api:443/TCP']),
      ...expand(['flow-run of gpu-worker'], [...dnsPorts, 'kubernetes-api:443/TCP', 'internet:443/TCP', 'rds-and-elasticache:443/TCP']),
    ];
    expect(paths(objects, [ingressController, dns, kubernetesApi, internet, vpc, bystander('prefect'), bystander('prefect-gpu')])).toEqual(expected.sort());
    expect(policiesSelectingNothing(objects)).toEqual([]);
  });
});

describe('PrefectNetworkPolicies', () => {
  const others = [ingressController, dns, kubernetesApi, internet, bystander('prefect')];

  test('a minimal server and pool: the workers and flow runs reach the API; no ingress, no one else', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      const pool = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s' });
      new PrefectNetworkPolicies(chart, 'Policies', { api, workerPools: [pool] });
    });
    expect(problems(objects)).toEqual([]);
    expect(policiesSelectingNothing(objects)).toEqual([]);
    expect(paths(objects, others)).toEqual([
      ...expand(['Deployment/k8s-worker', 'flow-run of k8s-worker'], ['StatefulSet/prefect-server:4200/TCP']),
      ...expand(['Deployment/k8s-worker', 'flow-run of k8s-worker'], ['kube-dns:53/TCP', 'kube-dns:53/UDP',
        'internet:443/TCP', 'internet:6443/TCP', 'kubernetes-api:443/TCP', 'kubernetes-api:6443/TCP']),
      ...expand(['StatefulSet/prefect-server'], ['kube-dns:53/TCP', 'kube-dns:53/UDP']),
    ].sort());
  });

  test('a server without clients admits no one (an empty rule would admit everyone)', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectNetworkPolicies(chart, 'Policies', { api });
    });
    expect(only(objects, 'NetworkPolicy', 'prefect-server-ingress').spec.ingress).toEqual([]);
    expect(paths(objects, [bystander('prefect'), internet, ingressController]).filter(l => l.includes('-> StatefulSet'))).toEqual([]);
  });

  test('NodeLocal DNSCache and DNS pods on another port', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectNetworkPolicies(chart, 'Policies', { api, dnsPort: 5353, dnsCidrs: ['169.254.20.10/32'], dnsNamespace: 'openshift-dns', dnsPodLabels: { 'dns.operator.openshift.io/daemonset-dns': 'default' } });
    });
    const openshiftDns: Endpoint = { id: 'dns', namespace: 'openshift-dns', labels: { 'dns.operator.openshift.io/daemonset-dns': 'default' } };
    const nodeLocal: Endpoint = { id: 'node-local-dns', ip: '169.254.20.10' };
    expect(paths(objects, [openshiftDns, nodeLocal, dns])).toEqual([
      'StatefulSet/prefect-server -> dns:5353/TCP', 'StatefulSet/prefect-server -> dns:5353/UDP',
      'StatefulSet/prefect-server -> node-local-dns:5353/TCP', 'StatefulSet/prefect-server -> node-local-dns:5353/UDP',
    ]);
  });

  test('pools and an ingress added after the policies are covered, whatever the order', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      const policies = new PrefectNetworkPolicies(chart, 'Policies', { api, kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [6443]) });
      policies.addWorkerPool(new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s' }));
      api.exposeViaIngress({ hosts: ['prefect.example.com'], ingressClassName: 'nginx', tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none() });
    });
    const found = paths(objects, others);
    expect(found).toContain('ingress-controller -> StatefulSet/prefect-server:4200/TCP');
    expect(found).toContain('Deployment/k8s-worker -> StatefulSet/prefect-server:4200/TCP');
    expect(found).toContain('flow-run of k8s-worker -> kubernetes-api:6443/TCP');
    expect(found).not.toContain('flow-run of k8s-worker -> kubernetes-api:443/TCP');
    expect(found.filter(l => l.startsWith('bystander'))).toEqual([]);
  });

  test('the ingress controller is found by namespace and, if given, labels', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      api.exposeViaIngress({ hosts: ['prefect.example.com'], tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none() });
      new PrefectNetworkPolicies(chart, 'Policies', { api, ingressControllerNamespace: 'ingress', ingressControllerPodLabels: { 'app.kubernetes.io/component': 'controller' } });
    });
    const controller: Endpoint = { id: 'controller', namespace: 'ingress', labels: { 'app.kubernetes.io/component': 'controller' } };
    const webhook: Endpoint = { id: 'webhook', namespace: 'ingress', labels: { 'app.kubernetes.io/component': 'admission-webhook' } };
    const found = paths(objects, [controller, webhook, ingressController]);
    expect(found.filter(l => l.endsWith('prefect-server:4200/TCP'))).toEqual(['controller -> StatefulSet/prefect-server:4200/TCP']);
  });

  test('an external Service opens the API to any address', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      api.exposeViaService({ serviceType: ExternalServiceType.NODE_PORT, address: 'http://prefect.example.com:30420' });
      new PrefectNetworkPolicies(chart, 'Policies', { api });
    });
    expect(paths(objects, [internet, bystander('prefect')]).filter(l => l.endsWith('4200/TCP'))).toEqual(['internet -> StatefulSet/prefect-server:4200/TCP']);
  });

  test('workers in another namespace are admitted by namespace, and reach the server there', () => {
    const app = new App();
    const serverChart = new Chart(app, 'server', { namespace: 'prefect' });
    const workersChart = new Chart(app, 'workers', { namespace: 'team-a' });
    const api = new PrefectApi(serverChart, 'Server');
    new PrefectNetworkPolicies(serverChart, 'Policies', { api });
    const pool = new PrefectWorkerPool(workersChart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'team-a' });
    new PrefectNetworkPolicies(workersChart, 'Policies', { workerPools: [pool] });
    const objects = [...Testing.synth(serverChart), ...Testing.synth(workersChart)];
    const found = paths(objects, [dns, bystander('team-a')]);
    expect(found.filter(l => l.includes('prefect-server:4200'))).toEqual([
      'Deployment/team-a-worker -> StatefulSet/prefect-server:4200/TCP',
      'flow-run of team-a-worker -> StatefulSet/prefect-server:4200/TCP',
    ]);
  });

  test('Prefect 2 agents: their flow-run pods, labelled by the Job controller only, may call the API', () => {
    const agents = synth(chart => {
      const image = PrefectImage.official({ version: PrefectVersion.V2_20_25 });
      const api = new PrefectApi(chart, 'Server', { image });
      const pool = new PrefectWorkerPool(chart, 'Agents', { connection: PrefectConnection.inCluster(api), runtime: WorkerRuntime.prefect2Agent(), image, poolName: 'p2' });
      new PrefectNetworkPolicies(chart, 'Policies', { api, workerPools: [pool] });
    });
    const jobPod: Endpoint = { id: 'agent flow run', namespace: 'prefect', labels: { 'job-name': 'crimson-fox-x7k2p' } };
    const found = paths(agents, [jobPod, bystander('prefect')]);
    expect(found).toEqual(['Deployment/p2-agent -> StatefulSet/prefect-server:4200/TCP', 'agent flow run -> StatefulSet/prefect-server:4200/TCP']);
    // No policy selects those pods: they are not this library's.
    expect(agents.filter(o => o.kind === 'NetworkPolicy').map(o => o.metadata.name).sort())
      .toEqual(['p2-agent-egress', 'prefect-default-deny', 'prefect-server-egress', 'prefect-server-ingress']);
  });

  test('Prefect Cloud workers reach the API over HTTPS anywhere; process pools run flows with the flow-run egress', () => {
    const objects = synth(chart => {
      const cloud = PrefectConnection.cloud({
        accountId: '9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f', workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
        apiKey: SecretKeyReference.fromSecret('cloud', 'key'),
      });
      const pool = new PrefectWorkerPool(chart, 'Process', { connection: cloud, type: WorkPoolType.PROCESS, poolName: 'proc' });
      new PrefectNetworkPolicies(chart, 'Policies', { workerPools: [pool], flowRunEgress: [NetworkDestination.cidr('198.51.100.0/24', [5432])] });
    });
    const warehouse: Endpoint = { id: 'warehouse', ip: '198.51.100.7' };
    expect(paths(objects, [dns, internet, warehouse])).toEqual([
      'Deployment/proc-worker -> internet:443/TCP', 'Deployment/proc-worker -> kube-dns:53/TCP', 'Deployment/proc-worker -> kube-dns:53/UDP',
      'Deployment/proc-worker -> warehouse:443/TCP', 'Deployment/proc-worker -> warehouse:5432/TCP',
    ]);
  });

  test('the Prefect 1 agent and its flow runs reach their backend at its port', () => {
    const objects = synth(chart => {
      const pool = new PrefectWorkerPool(chart, 'Agent', {
        connection: PrefectConnection.fromUrl('http://apollo.example.com:4200/graphql'),
        runtime: WorkerRuntime.prefect1KubernetesAgent(),
        image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
      });
      new PrefectNetworkPolicies(chart, 'Policies', { workerPools: [pool], kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [6443]) });
    });
    expect(policiesSelectingNothing(objects)).toEqual([]);
    const apollo: Endpoint = { id: 'apollo', ip: '198.51.100.20' };
    // The backend's address is not known: any address on its port.
    expect(paths(objects, [dns, kubernetesApi, apollo])).toEqual(expand(['Deployment/prefect-agent', 'flow-run of prefect-agent'],
      ['apollo:4200/TCP', 'kube-dns:53/TCP', 'kube-dns:53/UDP', 'kubernetes-api:4200/TCP', 'kubernetes-api:6443/TCP']));
  });

  test('flow runs in additional job namespaces are covered there too', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      const pool = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s', additionalJobNamespaces: ['team-b'] });
      new PrefectNetworkPolicies(chart, 'Policies', { api, workerPools: [pool], kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [6443]) });
    });
    expect(objects.filter(o => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'team-b').map(o => o.metadata.name).sort())
      .toEqual(['k8s-worker-flow-runs', 'prefect-default-deny']);
    // A run launched in team-b carries the template's labels.
    const [run] = flowRunPodsOf(objects);
    const moved: Endpoint = { ...run, id: 'flow-run in team-b', namespace: 'team-b' };
    const found = connectivity(objects, [...podsOf(objects), moved, dns, bystander('team-b')], PORTS);
    expect(found.filter(l => l.startsWith('flow-run in team-b'))).toEqual([
      'flow-run in team-b -> StatefulSet/prefect-server:4200/TCP', 'flow-run in team-b -> kube-dns:53/TCP', 'flow-run in team-b -> kube-dns:53/UDP',
    ]);
    expect(found.filter(l => l.startsWith('bystander in team-b -> StatefulSet'))).toEqual([]);
  });

  test('workers that install packages reach HTTPS anywhere', () => {
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      const pool = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s', pipPackages: ['prefect-aws==0.5.10'] });
      new PrefectNetworkPolicies(chart, 'Policies', { api, workerPools: [pool], kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [6443]) });
    });
    const found = paths(objects, [internet]);
    expect(found).toContain('Deployment/k8s-worker -> internet:443/TCP');
    expect(found).not.toContain('flow-run of k8s-worker -> internet:443/TCP');
  });
});

describe('Dask clusters of flow runs', () => {
  const flows = PrefectImage.fromRegistry('registry.example.com/flows-dask:1', PrefectVersion.V3_8_3);
  const objects = synth(chart => {
    const api = new PrefectApi(chart, 'Server');
    const dask = new DaskScratch(chart, 'Dask', { image: flows, namespace: 'dask-scratch' });
    const pool = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s', dask });
    new PrefectNetworkPolicies(chart, 'Policies', { api, workerPools: [pool], kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [6443]) });
  });
  // The pods the operator makes from the spec: the cluster's labels, overlaid by the role's.
  const cluster = yaml.parse(objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'dask-cluster').data['daskcluster.yaml']);
  const daskPod = (role: 'scheduler' | 'worker', id: string): Endpoint => ({
    id, namespace: 'dask-scratch',
    labels: { ...cluster.metadata.labels, ...cluster.spec[role].metadata.labels, 'dask.org/component': role },
    ports: cluster.spec[role].spec.containers[0].ports,
  });
  const scheduler = daskPod('scheduler', 'scheduler');
  const workers = [daskPod('worker', 'worker-1'), daskPod('worker', 'worker-2')];
  const operator: Endpoint = { id: 'dask-operator', namespace: 'dask-operator', labels: { 'app.kubernetes.io/name': 'dask-kubernetes-operator' } };

  test('every policy selects pods that exist (the Dask pods as the operator makes them)', () => {
    expect(problems(objects.filter(o => o.kind === 'NetworkPolicy'))).toEqual([]);
    expect(policiesSelectingNothing(objects, [scheduler, ...workers])).toEqual([]);
    expect(objects.filter(o => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'dask-scratch').map(o => o.metadata.name).sort())
      .toEqual(['dask-cleanup', 'dask-schedulers', 'dask-workers', 'prefect-default-deny']);
  });

  test('flow runs reach their schedulers; schedulers and workers talk among themselves; the operator reaches schedulers; workers run tasks against the API', () => {
    const endpoints = [...podsOf(objects), ...flowRunPodsOf(objects), scheduler, ...workers, operator, dns, kubernetesApi, internet, bystander('dask-scratch')];
    // Connections in which a Dask pod or the cleanup takes part.
    const dask = new Set(['scheduler', 'worker-1', 'worker-2', 'CronJob/dask-cleanup']);
    const found = connectivity(objects, endpoints, PORTS).filter(line => {
      const [from, to] = line.split(' -> ');
      return dask.has(from) || dask.has(to.replace(/:[^:]*$/, ''));
    });
    const dnsPorts = ['kube-dns:53/TCP', 'kube-dns:53/UDP'];
    // Among a cluster's pods every port and protocol is open: each port tried, the declared ones and PORTS.
    const every = (id: string, declared: number[]) => [
      ...PORTS.map(p => `${id}:${p.port}/${p.protocol}`), ...declared.map(p => `${id}:${p}/TCP`),
    ];
    const expected = [
      ...expand(['flow-run of k8s-worker', 'dask-operator'], ['scheduler:8786/TCP', 'scheduler:8787/TCP']),
      ...expand(['scheduler'], [...dnsPorts, ...every('worker-1', [8788]), ...every('worker-2', [8788])]),
      ...expand(['worker-1'], [...dnsPorts, ...every('scheduler', [8786, 8787]), ...every('worker-2', [8788]), 'StatefulSet/prefect-server:4200/TCP']),
      ...expand(['worker-2'], [...dnsPorts, ...every('scheduler', [8786, 8787]), ...every('worker-1', [8788]), 'StatefulSet/prefect-server:4200/TCP']),
      'CronJob/dask-cleanup -> kubernetes-api:6443/TCP',
    ];
    expect(found).toEqual(expected.sort());
  });
});

test('Dask clusters in the flow runs\' namespaces: each pool\'s namespace gets the Dask policies', () => {
  const flows = PrefectImage.fromRegistry('registry.example.com/flows-dask:1', PrefectVersion.V3_8_3);
  const objects = synth(chart => {
    const api = new PrefectApi(chart, 'Server');
    const dask = new DaskScratch(chart, 'Dask', { image: flows });
    const policies = new PrefectNetworkPolicies(chart, 'Policies', { api });
    for (const [name, ns] of [['a', 'runs-a'], ['b', 'runs-b']]) {
      policies.addWorkerPool(new PrefectWorkerPool(chart, name, { connection: PrefectConnection.inCluster(api), poolName: name, jobTemplate: { namespace: ns }, dask }));
    }
  });
  const names = (ns: string) => objects.filter(o => o.kind === 'NetworkPolicy' && o.metadata.namespace === ns).map(o => o.metadata.name).sort();
  expect(names('runs-a')).toEqual(['a-worker-flow-runs', 'dask-schedulers', 'dask-workers', 'prefect-default-deny']);
  expect(names('runs-b')).toEqual(['b-worker-flow-runs', 'dask-schedulers', 'dask-workers', 'prefect-default-deny']);
  expect(names('prefect')).toContain('dask-cleanup');
  expect(problems(objects.filter(o => o.kind === 'NetworkPolicy'))).toEqual([]);
});

describe('PrefectNetworkPolicies errors', () => {
  test('a pool or server of the chart left uncovered', () => {
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s' });
      new PrefectNetworkPolicies(chart, 'Policies', { api });
    })).toThrow(/PrefectNetworkPolicies 'test\/Policies': workerPools \(unset\) is not accepted: a cover for every pool with pods in namespace prefect, where all their traffic is denied: test\/Pool is not covered/);
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      const pool = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s' });
      new PrefectNetworkPolicies(chart, 'Policies', { workerPools: [pool] });
    })).toThrow(/api \(unset\) is not accepted: a cover for every server with pods in namespace prefect, where all their traffic is denied: test\/Server is not covered/);
  });

  test('pods of another chart in a denied namespace, when connected to what is covered', () => {
    const app = new App();
    const a = new Chart(app, 'a', { namespace: 'prefect' });
    const b = new Chart(app, 'b', { namespace: 'prefect' });
    const api = new PrefectApi(a, 'Server');
    new PrefectNetworkPolicies(a, 'Policies', { api });
    const pool = new PrefectWorkerPool(b, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'k8s' });
    expect(() => Testing.synth(a)).toThrow(/workerPools \(unset\) is not accepted: a cover for every pool with pods in namespace prefect, where all their traffic is denied: b\/Pool is not covered/);
    new PrefectNetworkPolicies(b, 'Policies', { workerPools: [pool] });
    expect(() => Testing.synth(a)).not.toThrow();
  });

  test('a client pool without namespace cannot be admitted', () => {
    const app = new App();
    const a = new Chart(app, 'a', { namespace: 'prefect' });
    const api = new PrefectApi(a, 'Server');
    new PrefectNetworkPolicies(a, 'Policies', { api });
    new PrefectWorkerPool(new Chart(app, 'b'), 'Pool', { connection: PrefectConnection.inCluster(api), type: WorkPoolType.PROCESS, poolName: 'p' });
    expect(() => Testing.synth(a)).toThrow(/api "a\/Server" is not accepted: clients in charts with a namespace: b\/Pool has none/);
  });

  test('the pools of one DaskScratch in two PrefectNetworkPolicies', () => {
    const app = new App();
    const a = new Chart(app, 'a', { namespace: 'prefect' });
    const b = new Chart(app, 'b', { namespace: 'team-b' });
    const api = new PrefectApi(a, 'Server');
    const dask = new DaskScratch(a, 'Dask', { image: PrefectImage.official(), namespace: 'dask-scratch' });
    const poolA = new PrefectWorkerPool(a, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'a', dask });
    const poolB = new PrefectWorkerPool(b, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'b', dask });
    new PrefectNetworkPolicies(a, 'Policies', { api, workerPools: [poolA] });
    new PrefectNetworkPolicies(b, 'Policies', { workerPools: [poolB] });
    expect(() => Testing.synth(a)).toThrow(/workerPools "a\/Pool" is not accepted: pools of a\/Dask in one PrefectNetworkPolicies \(b\/Policies covers it too/);
  });

  test('nothing to protect, no namespace, two per chart', () => {
    expect(() => synth(chart => { new PrefectNetworkPolicies(chart, 'Policies'); }))
      .toThrow(/api \(unset\) is not accepted: a server or at least one worker pool/);
    expect(() => synth(chart => { new PrefectNetworkPolicies(chart, 'Policies'); }, null))
      .toThrow(/namespace \(unset\) is not accepted: a chart with a namespace/);
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectNetworkPolicies(chart, 'A', { api });
      new PrefectNetworkPolicies(chart, 'B', { api });
    })).toThrow(/one PrefectNetworkPolicies per chart/);
  });

  test('an ingress of another class than nginx needs the namespace of its controller', () => {
    const build = (ingressClassName: string | undefined, ingressControllerNamespace?: string) => () => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      api.exposeViaIngress({ hosts: ['prefect.example.com'], ingressClassName, tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none() });
      new PrefectNetworkPolicies(chart, 'Policies', { api, ingressControllerNamespace });
    });
    expect(build('traefik')).toThrow(/PrefectNetworkPolicies 'test\/Policies': ingressControllerNamespace \(unset\) is not accepted: the namespace of the controller of test\/Server\/Ingress \(ingress class traefik\), whose pods the API is to admit; "ingress-nginx" is assumed only for the class nginx/);
    expect(build(undefined)).toThrow(/ingressControllerNamespace \(unset\) is not accepted: the namespace of the controller of test\/Server\/Ingress \(ingress class the cluster default\)/);
    expect(build('traefik', 'traefik')).not.toThrow();
    expect(build('nginx')).not.toThrow();
  });

  test('bad destinations and labels', () => {
    const build = (props: any) => () => synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      new PrefectNetworkPolicies(chart, 'Policies', { api, ...props });
    });
    expect(build({ flowRunEgress: [NetworkDestination.cidr('10.0.0.0/33', [443])] }))
      .toThrow(/flowRunEgress\[0\]\.cidr "10\.0\.0\.0\/33" is not accepted: a CIDR/);
    expect(build({ workerEgress: [NetworkDestination.anywhere([])] })).toThrow(/workerEgress\[0\]\.ports "\(none\)" is not accepted: at least one TCP port/);
    expect(build({ serverEgress: [NetworkDestination.anywhere([70000])] })).toThrow(/serverEgress\[0\]\.ports 70000 is not accepted: a whole number from 1 to 65535/);
    expect(build({ serverEgress: [NetworkDestination.inNamespace('Bad_NS', [5432])] })).toThrow(/serverEgress\[0\]\.namespaceName "Bad_NS" is not accepted/);
    expect(build({ flowRunEgress: [NetworkDestination.cidr('10.0.0.0/16', [443], ['10.1.0.0/24'])] }))
      .toThrow(/flowRunEgress\[0\]\.exceptCidrs "10\.1\.0\.0\/24" is not accepted: ranges within 10\.0\.0\.0\/16/);
    expect(build({ flowRunEgress: [NetworkDestination.cidr('10.0.0.0/16', [443], ['2001:db8::/32'])] })).toThrow(/exceptCidrs "2001:db8::\/32" is not accepted/);
    expect(build({ dnsPort: 0 })).toThrow(/dnsPort 0 is not accepted: a whole number from 1 to 65535/);
    expect(build({ dnsCidrs: ['169.254.20.10'] })).toThrow(/dnsCidrs "169\.254\.20\.10" is not accepted: a CIDR/);
    expect(build({ ingressControllerNamespace: 'Ingress' })).toThrow(/ingressControllerNamespace "Ingress" is not accepted: a namespace name/);
    expect(build({ dnsPodLabels: {} })).toThrow(/dnsPodLabels "\{\}" is not accepted: at least one label/);
    expect(build({ ingressControllerPodLabels: { 'bad key!': 'x' } })).toThrow(/ingressControllerPodLabels "bad key!" is not accepted: a label or annotation key/);
  });

  test('pools and servers of another namespace', () => {
    const app = new App();
    const a = new Chart(app, 'a', { namespace: 'a' });
    const b = new Chart(app, 'b', { namespace: 'b' });
    const api = new PrefectApi(a, 'Server');
    expect(() => new PrefectNetworkPolicies(b, 'Policies', { api })).toThrow(/api "a\/Server" is not accepted: a server in this chart's namespace \(b\)/);
    const pool = new PrefectWorkerPool(a, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'x' });
    expect(() => new PrefectNetworkPolicies(b, 'Policies2', { workerPools: [pool] })).toThrow(/workerPools "a\/Pool" is not accepted: pools in this chart's namespace \(b\)/);
  });
});
