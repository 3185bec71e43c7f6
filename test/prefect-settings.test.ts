/**
 * The settings table: names per release, and the environment a user may not set because the
 * constructs set it. Each case synthesizes a configuration, collects every variable its
 * containers get, and builds it again with each of those names in the user's `env`: every one
 * must be refused, so a setting the constructs start to emit is reserved without a second list.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import {
  EnvironmentVariable, IngressAccessControl, IngressTls, PrefectApi, PrefectApiProps, PrefectConnection, PrefectDatabase,
  PrefectImage, PrefectVersion, PrefectWorkerPool, PrefectWorkerPoolProps, SecretKeyReference, WorkerRuntime,
} from '../src';
import { SETTINGS, settingName } from '../src/core/private/prefect-settings';
import { containerOf, envOf, only } from './support/synth';

type Json = any;
const secret = SecretKeyReference.fromSecret;
const image = (version: string) => PrefectImage.official({ version: PrefectVersion.of(version) });

/** Every variable name of every container and init container of the objects' pod templates. */
function envNames(objects: Json[]): string[] {
  const names = new Set<string>();
  for (const o of objects) {
    const spec = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
    for (const c of [...spec?.containers ?? [], ...spec?.initContainers ?? []]) {
      for (const e of c.env ?? []) names.add(e.name);
    }
  }
  return [...names].sort();
}

const pools: Array<[string, Partial<PrefectWorkerPoolProps>]> = [
  ['a Prefect 3 worker on Prefect Cloud, with packages, a time zone and a query interval', {
    connection: PrefectConnection.cloud({ accountId: '9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f', workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8', apiKey: secret('cloud', 'key') }),
    pipPackages: ['s3fs==2024.6.1'], timeZone: 'Europe/Berlin', queryInterval: Duration.seconds(5),
  }],
  ['a Prefect 3 worker with basic auth', { connection: PrefectConnection.fromUrl('https://p.example.com/api', { authString: secret('auth', 's') }) }],
  ['a Prefect 3.2 worker, which needs a cluster id', { image: image('3.2.12') }],
  ['a Prefect 2 agent', { runtime: WorkerRuntime.prefect2Agent(), image: image('2.20.25'), queryInterval: Duration.seconds(5) }],
  ['the Prefect 1 agent', {
    runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: ['dev'] }), image: image('1.4.1'),
    connection: PrefectConnection.fromUrl('http://apollo:4200/graphql', { apiKey: secret('p1', 'key'), tenantId: secret('p1', 'tenant') }),
    imagePullSecrets: ['registry'], jobTemplate: { serviceAccountName: 'runs' }, poolName: undefined,
  }],
];

function buildPool(props: Partial<PrefectWorkerPoolProps>): Json[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'prefect' });
  new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl('https://p.example.com/api'), poolName: 'k8s', ...props });
  return chart.toJson();
}

describe.each(pools)('%s', (_, props) => {
  const names = envNames(buildPool(props));
  test('its containers get the settings it configures', () => expect(names.length).toBeGreaterThan(5));
  test.each(names)('the user may not set %s', name => {
    expect(() => buildPool({ ...props, env: [EnvironmentVariable.fromValue(name, 'x')] }))
      .toThrow(new RegExp(`env "${name}" is not accepted: a variable the construct does not set itself`));
  });
});

const servers: Array<[string, PrefectApiProps, boolean]> = [
  ['a Prefect 2 server on SQLite with a time zone', { image: image('2.20.25'), timeZone: 'UTC' }, false],
  ['a highly available server with Redis credentials and basic auth, at a sub-path', {
    replicas: 2, basicAuth: secret('auth', 's'),
    database: PrefectDatabase.postgres({ host: 'pg', user: 'u', databaseName: 'd', password: secret('pg', 'p') }),
    redis: { host: 'redis', username: 'prefect', password: secret('redis', 'p') },
  }, true],
];

function buildServer(props: PrefectApiProps, subPath: boolean): Json[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'prefect' });
  const api = new PrefectApi(chart, 'api', props);
  if (subPath) {
    api.exposeViaIngress({
      hosts: ['p.example.com'], path: '/prefect', tls: IngressTls.fromSecret('tls'),
      accessControl: props.basicAuth ? IngressAccessControl.prefectBasicAuth(props.basicAuth) : IngressAccessControl.none(),
    });
  }
  return Testing.synth(chart);
}

describe.each(servers)('%s', (_, props, subPath) => {
  const names = envNames(buildServer(props, subPath));
  test('its containers get the settings it configures', () => expect(names.length).toBeGreaterThan(5));
  test.each(names)('the user may not set %s', name => {
    expect(() => buildServer({ ...props, env: [EnvironmentVariable.fromValue(name, 'x')] }, subPath))
      .toThrow(new RegExp(`env "${name}" is not accepted: a variable the construct does not set itself`));
  });
});

test('a renamed server setting has its old name before the release that renamed it, and either name is reserved', () => {
  expect(settingName(SETTINGS.server.UI_API_URL, PrefectVersion.V2_20_25)).toBe('PREFECT_UI_API_URL');
  expect(settingName(SETTINGS.server.UI_API_URL, PrefectVersion.of('3.0.10'))).toBe('PREFECT_UI_API_URL');
  expect(settingName(SETTINGS.server.UI_API_URL, PrefectVersion.of('3.0.11'))).toBe('PREFECT_SERVER_UI_API_URL');
  const server = containerOf(only(buildServer({ image: image('2.20.25') }, false), 'StatefulSet'), 'prefect-server');
  expect(Object.keys(envOf(server))).toEqual(expect.arrayContaining(['PREFECT_UI_API_URL', 'PREFECT_API_DATABASE_CONNECTION_URL', 'PREFECT_LOGGING_SERVER_LEVEL']));
  for (const name of ['PREFECT_SERVER_UI_API_URL', 'PREFECT_UI_SERVE_BASE', 'PREFECT_INTEGRATIONS_KUBERNETES_CLUSTER_UID']) {
    const build = name.includes('KUBERNETES') ? () => buildPool({ env: [EnvironmentVariable.fromValue(name, 'x')] })
      : () => buildServer({ image: image('2.20.25'), env: [EnvironmentVariable.fromValue(name, 'x')] }, false);
    expect(build).toThrow(/a variable the construct does not set itself/);
  }
});
