/**
 * The input rules that the construct suites do not test one by one: each case breaks one rule
 * and asserts the message (construct path, prop, value, what is accepted).
 */
import { App, Chart, Duration, Size } from 'cdk8s';
import {
  AgentRbac, DaskScratch, EnvironmentVariable, ExternalServiceType, IngressAccessControl, IngressTls, NetworkDestination, PrefectApi,
  PrefectConnection, PrefectImage, PrefectImageFlavor, PrefectNetworkPolicies, PrefectVersion, PrefectWorkerPool, RunLauncher,
  SecretKeyReference, WorkerRuntime,
} from '../src';
import { synth } from './support/synth';

type Json = any;

const FLOWS = PrefectImage.fromRegistry('registry.example.com/flows:1.0.0', PrefectVersion.V3_8_3);
const secret = SecretKeyReference.fromSecret('s', 'k');

/** A worker pool of a server in the chart, with `props`. */
function pool(props: Json): (chart: Chart) => void {
  return chart => {
    const server = new PrefectApi(chart, 'Server');
    new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(server), poolName: 'etl', ...props });
  };
}

const CASES: Array<[string, (chart: Chart) => void, string]> = [
  ['AgentRbac: a name over 63 characters',
    chart => new AgentRbac(chart, 'Rbac', { launcher: RunLauncher.KUBERNETES_WORKER, name: `a${'b'.repeat(63)}`, jobNamespaces: ['prefect'] }),
    `AgentRbac 'test/Rbac': name "a${'b'.repeat(63)}" is not accepted: at most 63 characters`],
  ['DaskScratch: a name that is no DNS-1035 label of 30 characters',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, name: 'dask-scratch-for-the-data-team-x' }),
    'DaskScratch \'test/Dask\': name "dask-scratch-for-the-data-team-x" is not accepted: a DNS-1035 label of at most 30 characters'],
  ['DaskScratch: a spill limit under 1Mi',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, maxSpill: Size.kibibytes(512) }),
    'DaskScratch \'test/Dask\': maxSpill 512Ki is not accepted: a size of at least 1Mi'],
  ['DaskScratch: a cluster lifetime under 10 minutes',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, maxClusterLifetime: Duration.minutes(5) }),
    'DaskScratch \'test/Dask\': maxClusterLifetime "300s" is not accepted: a whole number of seconds from 600 to 2592000'],
  ['DaskScratch: a finished-Job age over 30 days',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, finishedJobAge: Duration.days(31) }),
    'DaskScratch \'test/Dask\': finishedJobAge "2678400s" is not accepted: a whole number of seconds from 60 to 2592000'],
  ['DaskScratch: a pod quota of one',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, namespace: 'dask', quota: { pods: 1 } }),
    'DaskScratch \'test/Dask\': quota.pods 1 is not accepted: a whole number from 2 to 100000'],
  ['DaskScratch: a memory quota under 1Mi',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, namespace: 'dask', quota: { memory: Size.kibibytes(100) } }),
    'DaskScratch \'test/Dask\': quota.memory 100Ki is not accepted: a size of at least 1Mi'],
  ['DaskScratch: an ephemeral-storage quota under 1Mi',
    chart => new DaskScratch(chart, 'Dask', { image: FLOWS, namespace: 'dask', quota: { ephemeralStorage: Size.kibibytes(100) } }),
    'DaskScratch \'test/Dask\': quota.ephemeralStorage 100Ki is not accepted: a size of at least 1Mi'],
  ['PrefectApi: an external Service port over 65535',
    chart => new PrefectApi(chart, 'Server').exposeViaService({ serviceType: ExternalServiceType.LOAD_BALANCER, address: 'http://prefect.example.com', port: 70000 }),
    'PrefectApi \'test/Server\': exposeViaService.port 70000 is not accepted: a whole number from 1 to 65535'],
  ['PrefectApi: an external Service annotation key that is none',
    chart => new PrefectApi(chart, 'Server').exposeViaService({ serviceType: ExternalServiceType.LOAD_BALANCER, address: 'http://prefect.example.com', annotations: { 'bad key!': 'x' } }),
    'PrefectApi \'test/Server\': exposeViaService.annotations "bad key!" is not accepted: a label or annotation key'],
  ['PrefectIngress: a cert-manager Issuer name that is none',
    chart => new PrefectApi(chart, 'Server').exposeViaIngress({ hosts: ['prefect.example.com'], tls: IngressTls.certManager({ issuer: 'Let Us Encrypt' }), accessControl: IngressAccessControl.none() }),
    'PrefectIngress \'test/Server/Ingress\': tls.issuer "Let Us Encrypt" is not accepted: a DNS-1123 subdomain'],
  ['PrefectIngress: a name over 249 characters',
    chart => new PrefectApi(chart, 'Server').exposeViaIngress({ name: 'a'.repeat(250), hosts: ['prefect.example.com'], tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none() }),
    `PrefectIngress 'test/Server/Ingress': name "${'a'.repeat(250)}" is not accepted: a name of at most 249 characters (the split adds "-api")`],
  ['NetworkDestination: an exception that is no CIDR',
    chart => new PrefectNetworkPolicies(chart, 'Policies', { api: new PrefectApi(chart, 'Server'), flowRunEgress: [NetworkDestination.cidr('10.0.0.0/8', [443], ['10.1.0.0'])] }),
    'PrefectNetworkPolicies \'test/Policies\': flowRunEgress[0].exceptCidrs "10.1.0.0" is not accepted: a CIDR'],
  ['NetworkDestination: pod labels that are none',
    chart => new PrefectNetworkPolicies(chart, 'Policies', { api: new PrefectApi(chart, 'Server'), serverEgress: [NetworkDestination.inNamespace('db', [5432], { app: 'post gres' })] }),
    'PrefectNetworkPolicies \'test/Policies\': serverEgress[0].podLabels[app] "post gres" is not accepted: a label value'],
  ['PrefectNetworkPolicies: the same pool twice',
    chart => {
      const server = new PrefectApi(chart, 'Server');
      const etl = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(server), poolName: 'etl' });
      new PrefectNetworkPolicies(chart, 'Policies', { api: server, workerPools: [etl, etl] });
    },
    'PrefectNetworkPolicies \'test/Policies\': workerPools "test/Pool" is not accepted: each pool once'],
  ['PrefectNetworkPolicies: a DNS namespace that is none',
    chart => new PrefectNetworkPolicies(chart, 'Policies', { api: new PrefectApi(chart, 'Server'), dnsNamespace: 'Kube System' }),
    'PrefectNetworkPolicies \'test/Policies\': dnsNamespace "Kube System" is not accepted: a namespace name'],
  ['PrefectNetworkPolicies: DNS pod labels that are none',
    chart => new PrefectNetworkPolicies(chart, 'Policies', { api: new PrefectApi(chart, 'Server'), dnsPodLabels: { 'k8s-app': 'kube dns' } }),
    'PrefectNetworkPolicies \'test/Policies\': dnsPodLabels[k8s-app] "kube dns" is not accepted: a label value'],
  ['PrefectNetworkPolicies: a Dask operator namespace that is none',
    chart => new PrefectNetworkPolicies(chart, 'Policies', { api: new PrefectApi(chart, 'Server'), daskOperatorNamespace: 'Dask_Operator' }),
    'PrefectNetworkPolicies \'test/Policies\': daskOperatorNamespace "Dask_Operator" is not accepted: a namespace name'],
  ['PrefectNetworkPolicies: Dask operator pod labels that are none',
    chart => new PrefectNetworkPolicies(chart, 'Policies', { api: new PrefectApi(chart, 'Server'), daskOperatorPodLabels: { 'bad key!': 'x' } }),
    'PrefectNetworkPolicies \'test/Policies\': daskOperatorPodLabels "bad key!" is not accepted: a label or annotation key'],
  ['PrefectNetworkPolicies: server egress without a server',
    chart => {
      new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.fromUrl('https://prefect.example.com/api'), poolName: 'etl' });
      new PrefectNetworkPolicies(chart, 'Policies', { serverEgress: [NetworkDestination.anywhere([5432])] });
    },
    'PrefectNetworkPolicies \'test/Policies\': serverEgress "1 destinations" is not accepted: unset without an api'],
  ['PrefectNetworkPolicies: a DaskScratch whose pods the default deny would cut off',
    chart => {
      const server = new PrefectApi(chart, 'Server');
      const dask = new DaskScratch(chart, 'Dask', { image: FLOWS });
      new PrefectWorkerPool(chart, 'Dasked', { connection: PrefectConnection.inCluster(server), poolName: 'dask', dask });
      // Only the server is covered: the DaskScratch's cleanup and clusters live in its namespace.
      new PrefectNetworkPolicies(chart, 'Policies', { api: server });
    },
    'a pool that uses test/Dask, whose pods in namespace prefect would be denied all traffic'],
  ['PrefectWorkerPool: a pool name with no letter or digit',
    pool({ poolName: '---' }),
    'PrefectWorkerPool \'test/Pool\': poolName "---" is not accepted: a name with a letter or digit, or set name for the Kubernetes objects'],
  ['PrefectWorkerPool: a worker name with a dollar sign',
    pool({ workerName: 'worker-$1' }),
    'PrefectWorkerPool \'test/Pool\': workerName "worker-$1" is not accepted: a name of 1 to 100 characters without quotes, slashes, $, %, &, < or >'],
  ['PrefectWorkerPool: a worker name for a Prefect 2 agent',
    chart => {
      const server = new PrefectApi(chart, 'Server', { image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) });
      new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(server), poolName: 'etl', runtime: WorkerRuntime.prefect2Agent(), workerName: 'agent-1' });
    },
    'PrefectWorkerPool \'test/Pool\': workerName "agent-1" is not accepted: unset for Prefect 2 agents, which have no name option'],
  ['PrefectWorkerPool: a pull Secret name that is none',
    pool({ imagePullSecrets: ['Reg Cred'] }),
    'PrefectWorkerPool \'test/Pool\': imagePullSecrets "Reg Cred" is not accepted: a DNS-1123 subdomain'],
  ['PrefectWorkerPool: a node selector key that is none',
    pool({ pod: { nodeSelector: { 'bad key!': 'x' } } }),
    'PrefectWorkerPool \'test/Pool\': pod.nodeSelector "bad key!" is not accepted: a label or annotation key'],
  ['PrefectWorkerPool: a node selector value that is none',
    pool({ pod: { nodeSelector: { pool: 'big nodes' } } }),
    'PrefectWorkerPool \'test/Pool\': pod.nodeSelector[pool] "big nodes" is not accepted: a label value'],
  ['PrefectWorkerPool: a cluster id with a space',
    chart => {
      const server = new PrefectApi(chart, 'Server', { image: PrefectImage.official({ version: PrefectVersion.of('3.4.0') }) });
      new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(server), poolName: 'etl', clusterUid: 'my cluster' });
    },
    'PrefectWorkerPool \'test/Pool\': clusterUid "my cluster" is not accepted: an identifier such as the kube-system namespace UID'],
  ['PrefectWorkerPool: a variable Dask sets in the flow runs\' env',
    chart => {
      const server = new PrefectApi(chart, 'Server');
      const dask = new DaskScratch(chart, 'Dask', { image: FLOWS });
      new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(server), poolName: 'etl', dask, jobTemplate: { env: [EnvironmentVariable.fromValue('PYTHONPATH', '/app')] } });
    },
    'PrefectWorkerPool \'test/Pool\': jobTemplate.env "PYTHONPATH, USER or DASK_KUBERNETES__NAMESPACE" is not accepted: none of these with dask'],
  ['PrefectWorkerPool: a queue whose Deployment name would be too long',
    pool({ queues: [{ name: 'q'.repeat(60) }], queueDeployments: 'PER_QUEUE' }),
    `PrefectWorkerPool 'test/Pool': queues "${'q'.repeat(60)}" is not accepted: with one Deployment per queue, a queue name that makes a valid Deployment name`],
  ['job template: a ServiceAccount name that is none',
    pool({ jobTemplate: { serviceAccountName: 'Flow Runner' } }),
    'PrefectWorkerPool \'test/Pool\': jobTemplate.serviceAccountName "Flow Runner" is not accepted: a DNS-1123 subdomain'],
  ['job template: a pull Secret name that is none',
    pool({ jobTemplate: { imagePullSecrets: ['Reg Cred'] } }),
    'PrefectWorkerPool \'test/Pool\': jobTemplate.imagePullSecrets "Reg Cred" is not accepted: a DNS-1123 subdomain'],
  ['job template: a label value that is none',
    pool({ jobTemplate: { labels: { team: 'data team' } } }),
    'PrefectWorkerPool \'test/Pool\': jobTemplate.labels[team] "data team" is not accepted: a label value'],
  ['job template: an annotation key that is none',
    pool({ jobTemplate: { annotations: { 'bad key!': 'x' } } }),
    'PrefectWorkerPool \'test/Pool\': jobTemplate.annotations "bad key!" is not accepted: a label or annotation key'],
  ['job template: a finished-Job TTL that is not whole seconds',
    pool({ jobTemplate: { finishedJobTtl: Duration.millis(1500) } }),
    'PrefectWorkerPool \'test/Pool\': jobTemplate.finishedJobTtl'],
  ['job template: a pod watch timeout under 10 seconds',
    pool({ jobTemplate: { podWatchTimeout: Duration.seconds(5) } }),
    'PrefectWorkerPool \'test/Pool\': jobTemplate.podWatchTimeout "5s" is not accepted: a whole number of seconds from 10 to 86400'],
  ['PrefectConnection: basic auth for the Prefect 1 agent',
    chart => new PrefectWorkerPool(chart, 'Agent', {
      connection: PrefectConnection.fromUrl('http://apollo:4200/graphql', { authString: secret }),
      runtime: WorkerRuntime.prefect1KubernetesAgent(),
      image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    }),
    'PrefectWorkerPool \'test/Agent\': connection.authString "s" is not accepted: none for the Prefect 1 agent, which has no basic auth (use apiKey)'],
  ['resources: a memory request under 64Mi',
    pool({ resources: { memory: { request: Size.mebibytes(32), limit: Size.gibibytes(1) } } }),
    'PrefectWorkerPool \'test/Pool\': resources.memory.request 32Mi is not accepted: a size of at least 64Mi'],
];

describe('input rules', () => {
  test.each(CASES)('%s', (_, build, message) => {
    expect(() => synth(build)).toThrow(message);
  });

  test('DaskScratch: no dedicated namespace in a chart without one', () => {
    expect(() => synth(chart => new DaskScratch(chart, 'Dask', { image: FLOWS }), null))
      .toThrow('DaskScratch \'test/Dask\': namespace (unset) is not accepted: a dedicated namespace, or a chart with a namespace (for the cleanup CronJob)');
  });

  test('PrefectNetworkPolicies: a pool whose server is in a chart without a namespace', () => {
    const app = new App();
    const elsewhere = new Chart(app, 'elsewhere');
    const server = new PrefectApi(elsewhere, 'Server');
    const chart = new Chart(app, 'test', { namespace: 'prefect' });
    const etl = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(server), poolName: 'etl' });
    expect(() => new PrefectNetworkPolicies(chart, 'Policies', { workerPools: [etl] }))
      .toThrow('PrefectNetworkPolicies \'test/Policies\': workerPools "elsewhere/Server" is not accepted: pools whose server is in a chart with a namespace');
  });

  test('PrefectImage.official: Prefect 1 in another flavor than the standard one', () => {
    expect(() => PrefectImage.official({ version: PrefectVersion.V1_4_1, flavor: PrefectImageFlavor.KUBERNETES }))
      .toThrow('[RELEASE] PrefectImage.official: flavor "KUBERNETES with Prefect 1.4.1" is not accepted: Prefect 1 images come in the standard flavor only');
  });
});
