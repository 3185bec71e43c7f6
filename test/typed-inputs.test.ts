/**
 * Values of another type than a prop's, nested in options, lists and maps, from JavaScript and
 * Python callers: each is rejected naming the prop (and the item), never a TypeError, never taken
 * for the default, and a credential in it is never shown.
 */
import { Chart, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import {
  AgentRbac, DaskScratch, EnvironmentVariable, ExternalServiceType, IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PlatformServer, PrefectApi,
  PrefectConnection, PrefectDatabase, PrefectImage, PrefectPlatform, PrefectVersion, PrefectWorkerPool, SecretKeyReference, WorkerRuntime,
} from '../src';
import { inputErrorOf, synthError } from './support/synth';

type Json = any;

const url = PrefectConnection.fromUrl('https://prefect.example.com/api');
const pool = (props: Json) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', ...props });
const platform = (props: Json) => () => new PrefectPlatform(Testing.app(), 'p', props);
const policies = (options: Json) => platform({ workerPools: [{ poolName: 'etl' }], networkPolicies: NetworkIsolation.defaultDeny(options) });
const prefect2 = PrefectImage.official({ version: PrefectVersion.V2_20_25 });
const messageOf = (build: () => unknown) => {
  try {
    build();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
};

const CASES: Array<[string, (chart: Chart) => unknown]> = [
  ['workerPools[0].poolName', platform({ workerPools: [{ poolName: 5 }] })],
  ['workerPools[0].name', platform({ workerPools: [{ poolName: 'etl', name: '' }] })],
  ['workerPools[0]', platform({ workerPools: ['etl'] })],
  ['addIngress', chart => new PrefectPlatform(chart, 'p2', { server: PlatformServer.external(url) }).addIngress(null as Json)],
  ['pod', pool({ pod: 'gpu' })],
  ['pod.tolerations', pool({ pod: { tolerations: 'gpu' } })],
  ['pod.tolerations', pool({ pod: { tolerations: {} } })],
  ['pod.tolerations[0]', pool({ pod: { tolerations: [Size.gibibytes(1)] } })],
  ['pod.nodeSelector', pool({ pod: { nodeSelector: Cpu.millis(1) } })],
  ['pod.affinity', pool({ pod: { affinity: Size.gibibytes(1) } })],
  ['pod.volumes', pool({ pod: { volumes: 'data' } })],
  ['pod.sidecars', pool({ pod: { sidecars: { name: 'proxy' } } })],
  ['pod.sidecars[0]', pool({ pod: { sidecars: ['proxy'] } })],
  ['pod.serviceAccount', pool({ pod: { serviceAccount: 'irsa' } })],
  ['pod.envFrom[0]', pool({ pod: { envFrom: [Size.gibibytes(1)] } })],
  ['jobTemplate.pod.tolerations', pool({ jobTemplate: { pod: { tolerations: 'gpu' } } })],
  ['pod.nodeSelector', chart => new PrefectApi(chart, 'api', { pod: { nodeSelector: 'linux' as Json } })],
  ['env[0]', pool({ env: [null] })],
  ['env[1]', pool({ env: [EnvironmentVariable.fromValue('A', 'b'), 'B=c'] })],
  ['jobTemplate.env[0]', pool({ jobTemplate: { env: ['A=b'] } })],
  ['env[0]', chart => new PrefectApi(chart, 'api', { env: [null as Json] })],
  ['pipPackages[0]', pool({ pipPackages: [null] })],
  ['pipPackages[0]', pool({ pipPackages: [1] })],
  ['dask', pool({ dask: {} })],
  ['jobTemplate.labels', pool({ jobTemplate: { labels: Cpu.millis(5) } })],
  ['jobTemplate.labels[team]', pool({ jobTemplate: { labels: { team: 5 } } })],
  ['labels', platform({ labels: Cpu.millis(5) })],
  ['resources.cpu', pool({ resources: { cpu: Cpu.millis(300), memory: { limit: Size.gibibytes(1) } } })],
  ['resources', pool({ resources: 'small' })],
  ['resources.cpus', pool({ resources: { cpus: { request: Cpu.millis(300) } } })],
  ['resources.memory.limit', chart => new PrefectApi(chart, 'api', { resources: { memory: { limit: 0 as Json } } })],
  ['workerResources.memory', chart => new DaskScratch(chart, 'dask', { image: PrefectImage.official(), workerResources: { memory: 0 as Json } })],
  ['database.size', chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.sqlite({ size: 0 as Json }) })],
  ['runtime.deleteFinishedJobs', chart => new PrefectWorkerPool(chart, 'agent', { image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    connection: PrefectConnection.fromUrl('https://prefect1.example.com/graphql'), runtime: WorkerRuntime.prefect1KubernetesAgent({ deleteFinishedJobs: 'false' as Json }) })],
  ['version', chart => new AgentRbac(chart, 'rbac', { version: '3.8.3' as Json })],
  ['accessControl.realm', chart => new PrefectApi(chart, 'api', { image: prefect2 }).exposeViaIngress({ hosts: ['prefect.example.com'], tls: IngressTls.fromSecret('tls'),
    ingressClassName: 'nginx', accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'h', realm: 42 as Json }) })],
  ['exposeViaService.loadBalancerSourceRanges', chart => new PrefectApi(chart, 'api').exposeViaService({ serviceType: ExternalServiceType.LOAD_BALANCER, loadBalancerSourceRanges: '10.0.0.0/8' as Json })],
  ['flowRunEgress[0].exceptCidrs', policies({ flowRunEgress: [NetworkDestination.cidr('10.0.0.0/8', [443], '10.1.0.0/16' as Json)] })],
  ['flowRunEgress[0].podLabels', policies({ flowRunEgress: [NetworkDestination.inNamespace('db', [5432], Cpu.millis(1) as Json)] })],
];

describe('a value of another type, anywhere in the props, is named', () => {
  test.each(CASES)('%s', (prop, build) => {
    const message = synthError(build);
    expect(inputErrorOf(message)?.prop ?? message).toBe(prop);
  });

  test('null DNS pod labels are the default ones', () => {
    expect(messageOf(() => Testing.synth(policies({ dnsPodLabels: null })()))).toBeUndefined();
  });
});

describe('a secret given as a value, where a SecretKeyReference goes, is never shown', () => {
  test.each<[string, () => unknown, string]>([
    ['IngressAccessControl.prefectBasicAuth', () => IngressAccessControl.prefectBasicAuth('admin:hunter2' as Json), 'authString'],
    ['EnvironmentVariable.fromSecret', () => EnvironmentVariable.fromSecret('TOKEN', 'hunter2' as Json), 'secret'],
    ['PrefectDatabase.postgresUrl', () => PrefectDatabase.postgresUrl('admin:hunter2' as Json), 'connectionUrl'],
  ])('%s', (factory, build, argument) => {
    expect(messageOf(build)).toBe(`[FORMAT] ${factory}: ${argument} "(a string, not shown)" is not accepted: a SecretKeyReference: SecretKeyReference.fromSecret(name, key), never the value itself`);
  });

  test('credentials in a list or object given where a string goes are redacted', () => {
    const inList = messageOf(() => PrefectConnection.fromUrl(['postgresql://u:hunter2@h/db'] as Json));
    expect(inList).toMatch(/^\[FORMAT\] PrefectConnection\.fromUrl: url \["postgresql:\/\/\*\*\*@h\/db"\] /);
    const host = synthError(chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({
      host: { url: 'u:hunter2@pg' } as Json, user: 'prefect', databaseName: 'prefect', password: SecretKeyReference.fromSecret('s', 'k') }) }));
    expect(inputErrorOf(host)?.prop).toBe('database.host');
    expect(host).not.toContain('hunter2');
    expect(messageOf(() => new PrefectPlatform(Testing.app(), 'p', { workerPools: [{ poolName: 'etl', replicas: Object.create(null) }] }))).toMatch(/\[\w+\] .*replicas \{\}/);
  });
});

describe('a clash is reported against the prop that named both objects', () => {
  test.each<[string, Json]>([
    ['a server and a pool of one name', { server: PlatformServer.deploy({ name: 'etl' }), workerPools: [{ poolName: 'etl', name: 'etl' }] }],
    ['the default server\'s name for a pool', { workerPools: [{ poolName: 'etl', name: 'prefect-server' }] }],
  ])('%s', (_what, props) => {
    const app = Testing.app();
    new PrefectPlatform(app, 'p', props);
    const message = messageOf(() => app.synth());
    expect(inputErrorOf(message)).toEqual({ code: 'COLLISION', prop: 'workerPools' });
    expect(message).toMatch(/\[COLLISION\] PrefectPlatform 'p': workerPools "p\/WorkerPools\/\S+" is not accepted: .* is made by both p\/Server and p\/WorkerPools\//);
  });
});
