/**
 * JavaScript and Python callers can leave out a prop the types require, or pass null: each such
 * prop is rejected with the REQUIRED code and its name, never with a TypeError from inside.
 */
import { Chart } from 'cdk8s';
import {
  DaskScratch, ExternalServiceType, IngressAccessControl, IngressTls, PrefectApi, PrefectConnection, PrefectDatabase, PrefectImage,
  PrefectWorkerPool, SecretKeyReference,
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
