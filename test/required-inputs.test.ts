/**
 * JavaScript and Python callers can leave out a prop the types require, or pass null: each such
 * prop is rejected with the REQUIRED code and its name, never with a TypeError from inside.
 */
import { Chart, Testing } from 'cdk8s';
import {
  AgentRbac, DaskScratch, EnvironmentVariable, ExternalServiceType, IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PrefectApi,
  PrefectConnection, PrefectDatabase, PrefectImage, PrefectIngress, PrefectNetworkPolicies, PrefectPlatform, PrefectWarnings, PrefectWorkerPool, SecretKeyReference,
  WarningCode, WorkerRuntime,
} from '../src';
import { inputErrorOf, synthError } from './support/synth';

type Json = any;

const secret = SecretKeyReference.fromSecret('s', 'k');
const url = PrefectConnection.fromUrl('https://prefect.example.com/api');
const postgres = { host: 'pg', user: 'prefect', databaseName: 'prefect', password: secret };
const cloud = { accountId: '0ff44498-d380-4d7b-bd68-9b52da03823f', workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8', apiKey: secret };
const ingress = { hosts: ['prefect.example.com'], tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none() };

/** A required prop, how to build with it set to `value`, and the prop the error names. */
const CASES: Array<[string, (value: Json) => (chart: Chart) => unknown]> = [
  ['connection', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: v, poolName: 'etl' })],
  ['queues[0].name', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', queues: [{ name: v }] })],
  ['configFiles[0].path', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', configFiles: [{ path: v, content: 'x' }] })],
  ['configFiles[0].content', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', configFiles: [{ path: '/etc/x', content: v }] })],
  ['image', v => chart => new DaskScratch(chart, 'dask', { image: v })],
  ['hosts', v => chart => new PrefectApi(chart, 'api').exposeViaIngress({ ...ingress, hosts: v })],
  ['tls', v => chart => new PrefectApi(chart, 'api').exposeViaIngress({ ...ingress, tls: v })],
  ['accessControl', v => chart => new PrefectApi(chart, 'api').exposeViaIngress({ ...ingress, accessControl: v })],
  ['exposeViaService.serviceType', v => chart => new PrefectApi(chart, 'api').exposeViaService({ serviceType: v, address: 'http://prefect.example.com:30420' })],
  ['database.host', v => chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ ...postgres, host: v }) })],
  ['database.user', v => chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ ...postgres, user: v }) })],
  ['database.databaseName', v => chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ ...postgres, databaseName: v }) })],
  ['database.password', v => chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ ...postgres, password: v }) })],
  ['redis.host', v => chart => new PrefectApi(chart, 'api', { replicas: 2, database: PrefectDatabase.postgresUrl(secret), redis: { host: v } })],
  ['connection.accountId', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.cloud({ ...cloud, accountId: v }), poolName: 'etl' })],
  ['connection.workspaceId', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.cloud({ ...cloud, workspaceId: v }), poolName: 'etl' })],
  ['connection.apiKey', v => chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.cloud({ ...cloud, apiKey: v }), poolName: 'etl' })],
];

describe.each(CASES)('%s', (prop, build) => {
  test.each([undefined, null])('%s is rejected with REQUIRED, naming the prop', value => {
    const message = synthError(build(value));
    expect(inputErrorOf(message) ?? message).toEqual({ code: 'REQUIRED', prop });
  });
});

test('the cases are set up right: each builds with a value', () => {
  const values: Json = {
    'connection': url, 'queues[0].name': 'q', 'configFiles[0].path': '/etc/x', 'configFiles[0].content': 'x', 'image': PrefectImage.official(),
    'hosts': ['prefect.example.com'], 'tls': IngressTls.fromSecret('tls'), 'accessControl': IngressAccessControl.none(), 'exposeViaService.serviceType': ExternalServiceType.NODE_PORT,
    'database.host': 'pg', 'database.user': 'u', 'database.databaseName': 'd', 'database.password': secret, 'redis.host': 'redis',
    'connection.accountId': cloud.accountId, 'connection.workspaceId': cloud.workspaceId, 'connection.apiKey': secret,
  };
  for (const [prop, build] of CASES) expect({ prop, error: synthError(build(values[prop])) }).toEqual({ prop, error: undefined });
});

/** Static factories and methods: the argument left out, and the REQUIRED error naming it. */
const FACTORIES: Array<[string, string, () => unknown]> = [
  ['PrefectConnection.fromUrl', 'url', () => PrefectConnection.fromUrl(undefined as Json)],
  ['PrefectConnection.inCluster', 'api', () => PrefectConnection.inCluster(undefined as Json)],
  ['PrefectConnection.cloud', 'options', () => PrefectConnection.cloud(undefined as Json)],
  ['PrefectConnection.prefect1Cloud', 'options', () => PrefectConnection.prefect1Cloud(undefined as Json)],
  ['PrefectDatabase.postgres', 'options', () => PrefectDatabase.postgres(undefined as Json)],
  ['PrefectDatabase.postgresUrl', 'connectionUrl', () => PrefectDatabase.postgresUrl(undefined as Json)],
  ['PrefectImage.fromRegistry', 'version', () => PrefectImage.fromRegistry('registry.example.com/prefect:3.8.3', undefined as Json)],
  ['SecretKeyReference.fromSecret', 'secretName', () => SecretKeyReference.fromSecret(undefined as Json, 'k')],
  ['SecretKeyReference.fromSecret', 'key', () => SecretKeyReference.fromSecret('s', null as Json)],
  ['IngressTls.fromSecret', 'secretName', () => IngressTls.fromSecret(undefined as Json)],
  ['IngressTls.certManager', 'options', () => IngressTls.certManager(undefined as Json)],
  ['IngressAccessControl.prefectBasicAuth', 'authString', () => IngressAccessControl.prefectBasicAuth(undefined as Json)],
  ['IngressAccessControl.nginxBasicAuth', 'htpasswdSecret', () => IngressAccessControl.nginxBasicAuth({} as Json)],
  ['EnvironmentVariable.fromValue', 'value', () => EnvironmentVariable.fromValue('A', undefined as Json)],
  ['EnvironmentVariable.fromSecret', 'secret', () => EnvironmentVariable.fromSecret('A', undefined as Json)],
  ['NetworkDestination.anywhere', 'ports', () => NetworkDestination.anywhere(undefined as Json)],
  ['NetworkDestination.cidr', 'cidr', () => NetworkDestination.cidr(undefined as Json, [443])],
  ['NetworkDestination.inNamespace', 'namespaceName', () => NetworkDestination.inNamespace(undefined as Json, [5432])],
];

test.each(FACTORIES)('%s: %s left out is rejected with REQUIRED', (factory, argument, call) => {
  let message: string | undefined;
  try {
    call();
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(new RegExp(`^\\[REQUIRED\\] ${factory.replace('.', '\\.')}: ${argument} \\(unset\\) is not accepted: `));
});

describe('a string where a list goes, and null for options', () => {
  test.each<[string, (chart: Chart) => unknown]>([
    ['pipPackages', chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', pipPackages: 'requests' as Json })],
    ['additionalJobNamespaces', chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', additionalJobNamespaces: 'abc' as Json })],
    ['jobNamespaces', chart => new AgentRbac(chart, 'rbac', { jobNamespaces: 'abc' as Json })],
    ['hosts', chart => new PrefectApi(chart, 'api').exposeViaIngress({ ...ingress, hosts: 'prefect.example.com' as Json })],
  ])('%s given one string is rejected', (prop, build) => {
    expect(inputErrorOf(synthError(build))).toEqual({ code: 'FORMAT', prop });
  });

  test('null props are no props: a server, AgentRbac, platform and the default-deny policies are built', () => {
    expect(synthError(chart => new PrefectApi(chart, 'api', null as Json))).toBeUndefined();
    expect(synthError(chart => new AgentRbac(chart, 'rbac', null as Json))).toBeUndefined();
    const policies = (options: Json) => Testing.synth(new PrefectPlatform(Testing.app(), 'p', { networkPolicies: NetworkIsolation.defaultDeny(options) }))
      .filter(o => o.kind === 'NetworkPolicy').length;
    expect(policies(null)).toBe(policies(undefined));
    expect(policies(null)).toBeGreaterThan(0);
  });

  test('a platform pool left out is rejected with REQUIRED', () => {
    let message: string | undefined;
    try {
      Testing.synth(new PrefectPlatform(Testing.app(), 'p', { workerPools: [undefined as Json] }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(inputErrorOf(message)).toEqual({ code: 'REQUIRED', prop: 'workerPools[0]' });
  });
});

describe('a value of another type than the prop\'s is rejected naming the prop, not a TypeError', () => {
  const pool = (props: Json) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', ...props });
  test.each<[string, (chart: Chart) => unknown]>([
    ['poolName', pool({ poolName: 5 })],
    ['queues[0].name', pool({ queues: [{ name: 5 }] })],
    ['workerName', pool({ workerName: 5 })],
    ['clusterUid', pool({ clusterUid: 5 })],
    ['image', pool({ image: 'prefecthq/prefect:3.8.3-python3.12' })],
    ['connection', chart => new PrefectWorkerPool(chart, 'pool', { connection: 'https://prefect.example.com/api' as Json, poolName: 'etl' })],
    ['jobTemplate.namespace', pool({ jobTemplate: { namespace: 5 } })],
    ['jobTemplate.labels[team]', pool({ jobTemplate: { labels: { team: 5 } } })],
    ['imagePullSecrets[0]', pool({ imagePullSecrets: [5] })],
    ['configFiles[0].content', pool({ configFiles: [{ path: '/etc/x', content: 5 }] })],
    ['prefetch', pool({ prefetch: 5 })],
    ['image', chart => new PrefectApi(chart, 'api', { image: 'prefecthq/prefect:3.8.3-python3.12' as Json })],
    ['basicAuth', chart => new PrefectApi(chart, 'api', { basicAuth: 'x' as Json })],
    ['uiApiUrl', chart => new PrefectApi(chart, 'api', { uiApiUrl: 5 as Json })],
    ['database.user', chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ ...postgres, user: 5 as Json }) })],
    ['redis.host', chart => new PrefectApi(chart, 'api', { replicas: 2, database: PrefectDatabase.postgresUrl(secret), redis: { host: 5 as Json } })],
    ['cleanupSchedule', chart => new DaskScratch(chart, 'dask', { image: PrefectImage.official(), cleanupSchedule: 5 as Json })],
    ['scratchSize', chart => new DaskScratch(chart, 'dask', { image: PrefectImage.official(), scratchSize: 10 as Json })],
    ['image', chart => new DaskScratch(chart, 'dask', { image: 'prefecthq/prefect:3.8.3-python3.12' as Json })],
    ['clusterWide', chart => new AgentRbac(chart, 'rbac', { clusterWide: 'false' as Json })],
    ['manageApiKeySecrets', chart => new AgentRbac(chart, 'rbac', { manageApiKeySecrets: 'false' as Json })],
    ['managePool', pool({ managePool: 'false' })],
    ['analytics', chart => new PrefectApi(chart, 'api', { analytics: 'false' as Json })],
  ])('%s', (prop, build) => {
    const message = synthError(build);
    expect(inputErrorOf(message)?.prop ?? message).toBe(prop);
  });

  test('network policies given as their options alone, false or a string', () => {
    for (const networkPolicies of [{ ingressControllerNamespace: 'traefik' }, false, 'defaultDeny']) {
      let message: string | undefined;
      try {
        Testing.synth(new PrefectPlatform(Testing.app(), 'p', { networkPolicies: networkPolicies as Json }));
      } catch (e) {
        message = (e as Error).message;
      }
      expect(inputErrorOf(message)).toEqual({ code: 'FORMAT', prop: 'networkPolicies' });
    }
  });

  test('an env value that is not a string', () => {
    expect(() => EnvironmentVariable.fromValue('A', 5 as Json)).toThrow(/^\[FORMAT\] EnvironmentVariable\.fromValue: value 5 is not accepted: a string/);
  });
});

describe('more values of another type, from nested options and methods', () => {
  const value = (build: () => unknown) => {
    try {
      build();
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
  test.each<[string, (chart: Chart) => unknown]>([
    ['api', chart => new PrefectIngress(chart, 'ingress', undefined as Json)],
    ['api', chart => new PrefectIngress(chart, 'ingress', { ...ingress, api: { name: 'prefect-server' } as Json })],
    ['api', chart => new PrefectIngress(chart, 'ingress', { ...ingress, api: new PrefectNetworkPolicies(chart, 'policies', { api: new PrefectApi(chart, 'api') }) as Json })],
    ['tls', chart => new PrefectApi(chart, 'api').exposeViaIngress({ ...ingress, tls: 'none' as Json })],
    ['accessControl', chart => new PrefectApi(chart, 'api').exposeViaIngress({ ...ingress, accessControl: 'none' as Json })],
    ['workerPools', chart => new PrefectNetworkPolicies(chart, 'policies', { workerPools: new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl' }) as Json })],
    ['flowRunEgress[0]', chart => new PrefectNetworkPolicies(chart, 'policies', { api: new PrefectApi(chart, 'api'), flowRunEgress: ['10.0.0.0/8'] as Json })],
    ['kubernetesApiServer', chart => new PrefectNetworkPolicies(chart, 'policies', { api: new PrefectApi(chart, 'api'), kubernetesApiServer: '10.0.0.1' as Json })],
    ['addWorkerPool', chart => new PrefectNetworkPolicies(chart, 'policies', { api: new PrefectApi(chart, 'api') }).addWorkerPool(undefined as Json)],
    ['connection.apiKey', chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl('https://p.example.com/api', { apiKey: 'pnu_x' as Json }), poolName: 'etl' })],
    ['redis.password', chart => new PrefectApi(chart, 'api', { replicas: 2, database: PrefectDatabase.postgresUrl(secret), redis: { host: 'redis', password: 'hunter2' as Json } })],
    ['database.password', chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ ...postgres, password: 'hunter2' as Json }) })],
    ['jobTemplate.labels', chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', jobTemplate: { labels: 'team' as Json } })],
    ['jobTemplate.annotations[a]', chart => new PrefectWorkerPool(chart, 'pool', { connection: url, poolName: 'etl', jobTemplate: { annotations: { a: 1 as Json } } })],
  ])('%s', (prop, build) => {
    const message = synthError(build);
    expect(inputErrorOf(message)?.prop ?? message).toBe(prop);
    expect(message).not.toContain('hunter2');
  });

  test('null options of factories are no options; wrong-typed arguments are named', () => {
    expect(value(() => PrefectImage.official(null as Json))).toBeUndefined();
    expect(value(() => PrefectDatabase.sqlite(null as Json))).toBeUndefined();
    expect(value(() => WorkerRuntime.prefect1KubernetesAgent(null as Json))).toBeUndefined();
    expect(value(() => PrefectConnection.fromUrl(5 as Json))).toMatch(/^\[FORMAT\] PrefectConnection\.fromUrl: url 5 /);
    expect(value(() => PrefectDatabase.postgresUrl('postgresql://u:hunter2@pg/db' as Json))).toBe('[FORMAT] PrefectDatabase.postgresUrl: connectionUrl "(a string, not shown)" is not accepted: a SecretKeyReference: SecretKeyReference.fromSecret(name, key), never the value itself');
    expect(value(() => new PrefectPlatform(Testing.app(), 'p').addWorkerPool(undefined as Json))).toMatch(/\[REQUIRED\] PrefectPlatform 'p': addWorkerPool \(unset\)/);
    expect(value(() => PrefectConnection.inCluster({ serviceUrl: 'http://x:4200/api' } as Json))).toMatch(/^\[FORMAT\] PrefectConnection\.inCluster: api .* a PrefectApi/);
  });

  test('PrefectWarnings takes a construct and a WarningCode', () => {
    const app = Testing.app();
    expect(value(() => PrefectWarnings.of(undefined as Json))).toMatch(/^\[REQUIRED\] PrefectWarnings\.of: scope \(unset\)/);
    expect(value(() => PrefectWarnings.of('app' as Json))).toMatch(/^\[FORMAT\] PrefectWarnings\.of: scope "app"/);
    expect(value(() => PrefectWarnings.acknowledge({} as Json, WarningCode.EGRESS_ANYWHERE))).toMatch(/^\[FORMAT\] PrefectWarnings\.acknowledge: scope /);
    expect(value(() => PrefectWarnings.acknowledge(app, 'EGRESS' as Json))).toMatch(/^\[CHOICE\] PrefectWarnings\.acknowledge: code "EGRESS" is not accepted: one of INGRESS_WITHOUT_TLS, EGRESS_ANYWHERE,/);
    expect(value(() => PrefectWarnings.acknowledge(app, undefined as Json))).toMatch(/^\[REQUIRED\] PrefectWarnings\.acknowledge: code/);
    expect(value(() => PrefectWarnings.acknowledge(app, WarningCode.EGRESS_ANYWHERE))).toBeUndefined();
    expect(PrefectWarnings.of(app)).toEqual([]);
  });
});

