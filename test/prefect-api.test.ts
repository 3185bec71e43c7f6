import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import {
  EnvironmentVariable, PrefectApi, PrefectApiProps, PrefectDatabase, PrefectImage, PrefectImageFlavor, PrefectLogLevel,
  PrefectVersion, SecretKeyReference,
} from '../src';
import { problems } from './support/checks';
import { containerOf, envOf, kinds, only, podSpecOf, synth } from './support/synth';

const secret = SecretKeyReference.fromSecret;
const postgres = PrefectDatabase.postgres({
  host: 'pg.db.svc.cluster.local',
  user: 'prefect',
  databaseName: 'prefect',
  password: secret('pg', 'password'),
});
const ha: PrefectApiProps = {
  replicas: 3,
  database: postgres,
  redis: { host: 'redis.db.svc.cluster.local', password: secret('redis', 'password') },
};

function api(props: PrefectApiProps = {}, namespace: string | null = 'prefect') {
  let construct: PrefectApi | undefined;
  const objects = synth(chart => { construct = new PrefectApi(chart, 'api', props); }, namespace);
  return { objects, construct: construct! };
}

function construct(props: PrefectApiProps): () => PrefectApi {
  return () => new PrefectApi(new Chart(Testing.app(), 'test', { namespace: 'prefect' }), 'api', props);
}

describe('SQLite (the default)', () => {
  const { objects, construct: server } = api();
  const sts = only(objects, 'StatefulSet', 'prefect-server');
  const container = containerOf(sts, 'prefect-server');

  test('is one StatefulSet pod that keeps its claim', () => {
    expect(kinds(objects)).toEqual(['Service/prefect-server', 'ServiceAccount/prefect-server', 'StatefulSet/prefect-server']);
    // Its own account, without a token: the server never calls the Kubernetes API.
    expect(objects.find(o => o.kind === 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(sts.spec.template.spec.serviceAccountName).toBe('prefect-server');
    expect(sts.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate' });
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: {
        name: 'data',
        labels: {
          'app.kubernetes.io/name': 'prefect', 'app.kubernetes.io/instance': 'prefect-server', 'app.kubernetes.io/component': 'server',
          'app.kubernetes.io/part-of': 'prefect', 'app.kubernetes.io/managed-by': 'cdk8s-prefect',
        },
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
    }]);
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/prefect' });
  });

  test('runs `prefect server start` on 0.0.0.0 under the image entrypoint', () => {
    expect(container.image).toBe('prefecthq/prefect:3.8.3-python3.12');
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', '4200']);
  });

  test('sets exactly the Prefect 3 settings it needs', () => {
    expect(envOf(container)).toEqual({
      HOME: '/home/prefect',
      PREFECT_HOME: '/home/prefect/.prefect',
      PREFECT_SERVER_DATABASE_CONNECTION_URL: 'sqlite+aiosqlite:////var/lib/prefect/prefect.db',
      PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
      PREFECT_SERVER_LOGGING_LEVEL: 'WARNING',
      PREFECT_SERVER_UI_API_URL: 'http://localhost:4200/api',
      PREFECT_SERVER_UI_STATIC_DIRECTORY: '/var/cache/prefect-ui',
    });
  });

  test('probes health for startup and liveness, readiness for traffic', () => {
    const probe = (path: string, failureThreshold: number) => ({
      httpGet: { path, port: 'http' }, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold,
    });
    expect(container.startupProbe).toEqual(probe('/api/health', 30));
    expect(container.livenessProbe).toEqual(probe('/api/health', 3));
    expect(container.readinessProbe).toEqual(probe('/api/ready', 3));
    expect(container.ports).toEqual([{ name: 'http', containerPort: 4200, protocol: 'TCP' }]);
  });

  test('is restricted: non-root, read-only root, writable emptyDirs, no token', () => {
    const pod = podSpecOf(sts);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001, fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, allowPrivilegeEscalation: false, privileged: false,
      readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'home', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'ui', emptyDir: { sizeLimit: '512Mi' } },
    ]);
    expect(container.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'home', mountPath: '/home/prefect' },
      { name: 'ui', mountPath: '/var/cache/prefect-ui' },
      { name: 'data', mountPath: '/var/lib/prefect' },
    ]);
  });

  test('has requests and a memory limit', () => {
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } });
  });

  test('is reached through a ClusterIP Service on the named port', () => {
    const service = only(objects, 'Service');
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 4200, targetPort: 4200 }]);
    expect(service.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(sts.spec.serviceName).toBe('prefect-server');
    expect(server.serviceUrl).toBe('http://prefect-server.prefect.svc.cluster.local:4200/api');
    expect(server.port).toBe(4200);
    expect(server.service.name).toBe('prefect-server');
    expect(server.highlyAvailable).toBe(false);
    expect(server.workload.kind).toBe('StatefulSet');
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });
});

test('SQLite claim size and storage class are configurable', () => {
  const { objects } = api({ database: PrefectDatabase.sqlite({ size: Size.gibibytes(20), storageClassName: 'fast-ssd' }) });
  expect(only(objects, 'StatefulSet').spec.volumeClaimTemplates[0].spec).toEqual({
    accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '20Gi' } },
  });
});

test('without a chart namespace the in-cluster URL is the short Service name', () => {
  expect(api({}, null).construct.serviceUrl).toBe('http://prefect-server:4200/api');
});

describe('PostgreSQL by connection URL', () => {
  const { objects } = api({ database: PrefectDatabase.postgresUrl(secret('prefect-db', 'url')) });
  const deployment = only(objects, 'Deployment', 'prefect-server');
  const container = containerOf(deployment, 'prefect-server');

  test('is a Deployment that rolls without dropping the API, with no claim', () => {
    expect(kinds(objects)).toEqual(['Deployment/prefect-server', 'Service/prefect-server', 'ServiceAccount/prefect-server']);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(container.volumeMounts.map((m: any) => m.name)).toEqual(['tmp', 'home', 'ui']);
  });

  test('reads the URL from the Secret and migrates on start', () => {
    const env = envOf(container);
    expect(env.PREFECT_SERVER_DATABASE_CONNECTION_URL).toBe('secret:prefect-db/url');
    expect(env).not.toHaveProperty('PREFECT_SERVER_DATABASE_MIGRATE_ON_START');
    expect(container.args).toEqual(['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', '4200']);
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });
});

describe('PostgreSQL by components', () => {
  const { objects } = api({
    database: PrefectDatabase.postgres({
      host: 'pg.db.svc.cluster.local', port: 6432, user: 'prefect', databaseName: 'orchestration', password: secret('pg', 'password'),
    }),
  });
  const container = containerOf(only(objects, 'Deployment'), 'prefect-server');

  test('sets driver, host, port, user and name, and the password only by reference', () => {
    expect(envOf(container)).toMatchObject({
      PREFECT_SERVER_DATABASE_DRIVER: 'postgresql+asyncpg',
      PREFECT_SERVER_DATABASE_HOST: 'pg.db.svc.cluster.local',
      PREFECT_SERVER_DATABASE_PORT: '6432',
      PREFECT_SERVER_DATABASE_USER: 'prefect',
      PREFECT_SERVER_DATABASE_NAME: 'orchestration',
      PREFECT_SERVER_DATABASE_PASSWORD: 'secret:pg/password',
    });
    expect(envOf(container)).not.toHaveProperty('PREFECT_SERVER_DATABASE_CONNECTION_URL');
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });
});

describe('high availability', () => {
  const { objects, construct: server } = api(ha);
  const deployment = only(objects, 'Deployment', 'prefect-server');
  const services = only(objects, 'Deployment', 'prefect-server-services');
  const job = only(objects, 'Job');
  const redisEnv = {
    PREFECT_MESSAGING_BROKER: 'prefect_redis.messaging',
    PREFECT_MESSAGING_CACHE: 'prefect_redis.messaging',
    PREFECT_SERVER_EVENTS_CAUSAL_ORDERING: 'prefect_redis.ordering',
    PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE: 'prefect_redis.lease_storage',
    PREFECT_REDIS_MESSAGING_HOST: 'redis.db.svc.cluster.local',
    PREFECT_REDIS_MESSAGING_PORT: '6379',
    PREFECT_REDIS_MESSAGING_DB: '0',
    PREFECT_REDIS_MESSAGING_SSL: 'false',
    PREFECT_REDIS_MESSAGING_PASSWORD: 'secret:redis/password',
    PREFECT_SERVER_DOCKET_URL: 'redis://:$(PREFECT_REDIS_MESSAGING_PASSWORD)@redis.db.svc.cluster.local:6379/0',
  };

  test('runs the API replicas without services, spread over nodes', () => {
    const container = containerOf(deployment, 'prefect-server');
    expect(deployment.spec.replicas).toBe(3);
    expect(container.image).toBe('prefecthq/prefect:3.8.3-python3.12-kubernetes');
    expect(container.args).toEqual(['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', '4200', '--no-services']);
    expect(envOf(container)).toMatchObject({ PREFECT_SERVER_DATABASE_MIGRATE_ON_START: 'false', ...redisEnv });
    expect(podSpecOf(deployment).topologySpreadConstraints).toEqual([{
      maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
    }]);
    expect(server.highlyAvailable).toBe(true);
  });

  test('runs the background services once, in their own Deployment', () => {
    const container = containerOf(services, 'prefect-services');
    expect(services.spec.replicas).toBe(1);
    expect(services.spec.strategy).toEqual({ type: 'Recreate' });
    expect(container.args).toEqual(['prefect', 'server', 'services', 'start']);
    expect(container.ports).toBeUndefined();
    const env = envOf(container);
    expect(env).toMatchObject({ PREFECT_SERVER_DATABASE_MIGRATE_ON_START: 'false', ...redisEnv });
    expect(env).not.toHaveProperty('PREFECT_SERVER_UI_API_URL');
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } });
    expect(services.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('background-services');
  });

  test('migrates once, in a Job named for its content', () => {
    const container = job.spec.template.spec.containers[0];
    expect(container.args).toEqual(['prefect', 'server', 'database', 'upgrade', '-y']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(envOf(container).PREFECT_SERVER_DATABASE_PASSWORD).toBe('secret:pg/password');
    expect(server.migrationJob?.name).toBe(job.metadata.name);
    // the same configuration gives the same Job; a new release gives a new one
    expect(only(api(ha).objects, 'Job').metadata.name).toBe(job.metadata.name);
    const upgraded = api({ ...ha, image: PrefectImage.official({ version: PrefectVersion.of('3.8.4'), flavor: PrefectImageFlavor.KUBERNETES }) });
    expect(only(upgraded.objects, 'Job').metadata.name).not.toBe(job.metadata.name);
  });

  test('starts the API and the services only once the schema is this release\'s (the program runs in test/runtime/production.test.ts)', () => {
    for (const workload of [deployment, services]) {
      const main = podSpecOf(workload).containers[0];
      const [gate, ...others] = podSpecOf(workload).initContainers;
      expect(others).toEqual([]);
      expect(gate.name).toBe('wait-for-schema');
      expect(gate.image).toBe(main.image);
      expect(gate.args.slice(0, 2)).toEqual(['python', '-c']);
      expect(gate.args[2]).toContain('SELECT version_num FROM alembic_version');
      // The database settings the main container has, without the API's own (UI, basic auth).
      const env = envOf(gate);
      expect(env.PREFECT_SERVER_DATABASE_PASSWORD).toBe('secret:pg/password');
      expect(env).not.toHaveProperty('PREFECT_SERVER_UI_API_URL');
      expect(gate.securityContext).toEqual(main.securityContext);
    }
    // Neither the migration nor a server on SQLite waits: they migrate.
    expect(podSpecOf(job).initContainers).toBeUndefined();
    expect(podSpecOf(only(api({}).objects, 'StatefulSet')).initContainers).toBeUndefined();
  });

  test('protects the API with a PodDisruptionBudget', () => {
    const pdb = only(objects, 'PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });
});

describe('Redis settings follow the release', () => {
  const envFor = (version: string, redis = ha.redis!) => envOf(containerOf(only(api({
    ...ha, redis, image: PrefectImage.official({ version: PrefectVersion.of(version), flavor: PrefectImageFlavor.KUBERNETES }),
  }).objects, 'Deployment', 'prefect-server'), 'prefect-server'));

  test('the docket queue exists from 3.6.0', () => {
    expect(envFor('3.5.9')).toHaveProperty('PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE', 'prefect_redis.lease_storage');
    expect(envFor('3.5.9')).not.toHaveProperty('PREFECT_SERVER_DOCKET_URL');
    expect(envFor('3.6.0')).toHaveProperty('PREFECT_SERVER_DOCKET_URL');
  });

  test('docket URL with TLS, user and no password', () => {
    expect(envFor('3.8.3', { host: 'r', port: 6380, db: 2, username: 'prefect', ssl: true })).toMatchObject({
      PREFECT_REDIS_MESSAGING_USERNAME: 'prefect',
      PREFECT_REDIS_MESSAGING_SSL: 'true',
      PREFECT_SERVER_DOCKET_URL: 'rediss://prefect@r:6380/2',
    });
  });
});

describe('basic auth', () => {
  const { objects, construct: server } = api({ basicAuth: secret('prefect-auth', 'auth-string') });
  const container = containerOf(only(objects, 'StatefulSet'), 'prefect-server');

  test('the server reads its auth string from the Secret; probes stay on the exempt health endpoints', () => {
    expect(envOf(container).PREFECT_SERVER_API_AUTH_STRING).toBe('secret:prefect-auth/auth-string');
    expect([container.startupProbe, container.livenessProbe, container.readinessProbe].map(p => p.httpGet.path))
      .toEqual(['/api/health', '/api/health', '/api/ready']);
    expect(server.basicAuth?.secretName).toBe('prefect-auth');
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });
});

describe('Prefect 2', () => {
  const { objects } = api({ image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) });
  const container = containerOf(only(objects, 'StatefulSet'), 'prefect-server');

  test('uses the only settings names Prefect 2 knows', () => {
    expect(container.image).toBe('prefecthq/prefect:2.20.25-python3.12');
    expect(envOf(container)).toEqual({
      HOME: '/home/prefect',
      PREFECT_HOME: '/home/prefect/.prefect',
      PREFECT_API_DATABASE_CONNECTION_URL: 'sqlite+aiosqlite:////var/lib/prefect/prefect.db',
      PREFECT_SERVER_ANALYTICS_ENABLED: 'false',
      PREFECT_LOGGING_SERVER_LEVEL: 'WARNING',
      PREFECT_UI_API_URL: 'http://localhost:4200/api',
      PREFECT_UI_STATIC_DIRECTORY: '/var/cache/prefect-ui',
    });
    expect(problems(objects)).toEqual([]);
  });

  test('3.0 releases before 3.0.11 also use the old names', () => {
    const env = envOf(containerOf(only(api({ image: PrefectImage.official({ version: PrefectVersion.of('3.0.10') }) }).objects, 'StatefulSet'), 'prefect-server'));
    expect(env).toHaveProperty('PREFECT_UI_API_URL');
    expect(env).not.toHaveProperty('PREFECT_SERVER_UI_API_URL');
  });
});

describe('options', () => {
  test('UI URL, log level, analytics, time zone, extra env, pull secrets, resources, startup timeout', () => {
    const { objects } = api({
      uiApiUrl: 'https://prefect.example.com/api',
      logLevel: PrefectLogLevel.DEBUG,
      analytics: true,
      timeZone: 'Europe/Berlin',
      env: [EnvironmentVariable.fromValue('PREFECT_SERVER_API_KEEPALIVE_TIMEOUT', '30'), EnvironmentVariable.fromSecret('SENTRY_DSN', secret('sentry', 'dsn'))],
      imagePullSecrets: ['registry-credentials'],
      resources: { cpu: { request: Cpu.units(1), limit: Cpu.units(2) }, memory: { request: Size.gibibytes(2), limit: Size.gibibytes(4) } },
      startupTimeout: Duration.minutes(15),
    });
    const sts = only(objects, 'StatefulSet');
    const container = containerOf(sts, 'prefect-server');
    expect(envOf(container)).toMatchObject({
      PREFECT_SERVER_UI_API_URL: 'https://prefect.example.com/api',
      PREFECT_SERVER_LOGGING_LEVEL: 'DEBUG',
      PREFECT_SERVER_ANALYTICS_ENABLED: 'true',
      TZ: 'Europe/Berlin',
      PREFECT_SERVER_API_KEEPALIVE_TIMEOUT: '30',
      SENTRY_DSN: 'secret:sentry/dsn',
    });
    expect(podSpecOf(sts).imagePullSecrets).toEqual([{ name: 'registry-credentials' }]);
    expect(container.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } });
    expect(container.startupProbe.failureThreshold).toBe(90);
    expect(problems(objects)).toEqual([]);
  });

  test('a custom pinned image and a custom name and port', () => {
    const { objects, construct: server } = api({
      name: 'orchestrator',
      port: 8080,
      image: PrefectImage.fromRegistry('registry.example.com/prefect:3.8.3-corp.1', PrefectVersion.V3_8_3),
    });
    const sts = only(objects, 'StatefulSet', 'orchestrator');
    expect(containerOf(sts, 'prefect-server').image).toBe('registry.example.com/prefect:3.8.3-corp.1');
    expect(containerOf(sts, 'prefect-server').args).toContain('8080');
    expect(only(objects, 'Service', 'orchestrator').spec.ports[0].port).toBe(8080);
    expect(server.serviceUrl).toBe('http://orchestrator.prefect.svc.cluster.local:8080/api');
    expect(problems(objects)).toEqual([]);
  });

  test('an explicit image flavor stands with high availability', () => {
    const image = PrefectImage.fromRegistry('mirror.example.com/prefect@sha256:' + 'a'.repeat(64), PrefectVersion.V3_8_3);
    const { objects } = api({ ...ha, image });
    expect(containerOf(only(objects, 'Deployment', 'prefect-server'), 'prefect-server').image).toBe(image.reference);
  });
});

describe('errors', () => {
  const path = "PrefectApi 'test/api'";
  test.each<[string, PrefectApiProps, string]>([
    ['name not DNS-1035', { name: 'Prefect_Server' }, `${path}: name "Prefect_Server" is not accepted: a DNS-1035 label of at most 46 characters`],
    ['name too long', { name: 'p'.repeat(47) }, `${path}: name "${'p'.repeat(47)}" is not accepted: a DNS-1035 label of at most 46`],
    ['Prefect 1', { image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }) }, `${path}: image "prefecthq/prefect:1.4.1-python3.10 (Prefect 1.4.1)" is not accepted: Prefect 2.14.16 or newer`],
    ['Prefect 2 before 2.14.16', { image: PrefectImage.official({ version: PrefectVersion.of('2.14.15') }) }, 'is not accepted: Prefect 2.14.16 or newer'],
    ['zero replicas', { replicas: 0 }, `${path}: replicas 0 is not accepted: a whole number from 1 to 100`],
    ['fractional replicas', { replicas: 1.5 }, `${path}: replicas 1.5 is not accepted: a whole number from 1 to 100`],
    ['privileged port', { port: 80 }, `${path}: port 80 is not accepted: a whole number from 1024 to 65535`],
    ['SQLite with replicas', { replicas: 2 }, `${path}: replicas 2 is not accepted: 1 with SQLite, which allows a single writer; for more replicas use PostgreSQL`],
    ['HA without Redis', { replicas: 2, database: postgres }, `${path}: redis (unset) is not accepted: Redis connection options when replicas is 2`],
    ['Redis without HA', { database: postgres, redis: { host: 'redis' } }, `${path}: redis "redis" is not accepted: only with replicas > 1`],
    ['HA before 3.4.16', { ...ha, image: PrefectImage.official({ version: PrefectVersion.of('3.4.15'), flavor: PrefectImageFlavor.KUBERNETES }) },
      `${path}: replicas "3 with Prefect 3.4.15" is not accepted: 1, or Prefect 3.4.16 or newer`],
    ['HA on Prefect 2', { ...ha, database: PrefectDatabase.postgresUrl(secret('pg', 'url')), image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) },
      'replicas "3 with Prefect 2.20.25" is not accepted: 1, or Prefect 3.4.16 or newer'],
    ['HA with an image without prefect-redis', { ...ha, image: PrefectImage.official({ flavor: PrefectImageFlavor.STANDARD }) },
      `${path}: image "prefecthq/prefect:3.8.3-python3.12" is not accepted: an image with prefect-redis when replicas > 1`],
    ['empty Redis host', { ...ha, redis: { host: '' } }, `${path}: redis.host "" is not accepted: a host name such as "postgres.databases.svc" or an IP address`],
    ['bad Redis port', { ...ha, redis: { host: 'r', port: 70000 } }, `${path}: redis.port 70000 is not accepted: a whole number from 1 to 65535`],
    ['negative Redis db', { ...ha, redis: { host: 'r', db: -1 } }, `${path}: redis.db -1 is not accepted`],
    ['component form on Prefect 2', { image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }), database: postgres },
      'PrefectDatabase.postgres() with Prefect 2.20.25" is not accepted: Prefect 3.0.0 or newer; for Prefect 2 use PrefectDatabase.postgresUrl()'],
    ['empty database host', { database: PrefectDatabase.postgres({ host: ' ', user: 'u', databaseName: 'd', password: secret('s', 'k') }) },
      `${path}: database.host " " is not accepted`],
    ['bad database port', { database: PrefectDatabase.postgres({ host: 'h', port: 0, user: 'u', databaseName: 'd', password: secret('s', 'k') }) },
      `${path}: database.port 0 is not accepted`],
    ['bad password Secret name', { database: PrefectDatabase.postgres({ host: 'h', user: 'u', databaseName: 'd', password: secret('PG', 'k') }) },
      `${path}: database.password.secretName "PG" is not accepted: a DNS-1123 subdomain`],
    ['bad Secret key', { database: PrefectDatabase.postgresUrl(secret('pg', 'no/slash')) },
      `${path}: database.connectionUrl.key "no/slash" is not accepted: a Secret data key`],
    ['tiny SQLite claim', { database: PrefectDatabase.sqlite({ size: Size.mebibytes(10) }) }, `${path}: database.size 10Mi is not accepted: a size of at least 100Mi`],
    ['bad storage class', { database: PrefectDatabase.sqlite({ storageClassName: 'Fast SSD' }) }, `${path}: database.storageClassName "Fast SSD" is not accepted`],
    ['UI URL on 0.0.0.0', { uiApiUrl: 'http://0.0.0.0:4200/api' }, `${path}: uiApiUrl "http://0.0.0.0:4200/api" is not accepted: an absolute http(s) URL`],
    ['relative UI URL', { uiApiUrl: '/api' }, `${path}: uiApiUrl "/api" is not accepted`],
    ['UI URL without /api', { uiApiUrl: 'https://prefect.example.com' }, `${path}: uiApiUrl "https://prefect.example.com" is not accepted: the API URL, which ends in /api`],
    ['basic auth before 3.1.13 (earlier releases guard the health endpoints too)', { basicAuth: secret('a', 'b'), image: PrefectImage.official({ version: PrefectVersion.of('3.1.12') }) },
      `${path}: basicAuth "Secret a with Prefect 3.1.12" is not accepted: Prefect 3.1.13 or newer`],
    ['bad time zone', { timeZone: 'Berlin time' }, `${path}: timeZone "Berlin time" is not accepted: an IANA time zone name`],
    // Well-formed, but no zone: the container would run in UTC without a word.
    ['unknown time zone', { timeZone: 'Europe/Atlantis' }, `${path}: timeZone "Europe/Atlantis" is not accepted: an IANA time zone name`],
    ['no memory limit', { resources: { memory: { request: Size.gibibytes(1) } } }, `${path}: resources.memory.limit (unset) is not accepted: a memory limit`],
    ['request above limit', { resources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } },
      `${path}: resources.memory.request 2Gi is not accepted: at most the limit (1Gi)`],
    ['CPU request above limit', { resources: { cpu: { request: Cpu.units(2), limit: Cpu.millis(500) } } },
      `${path}: resources.cpu.request 2 is not accepted: at most the limit (500m)`],
    ['zero CPU', { resources: { cpu: { request: Cpu.millis(0) } } }, `${path}: resources.cpu.request 0m is not accepted: a CPU quantity of at least 1m`],
    ['services resources without HA', { servicesResources: { memory: { limit: Size.gibibytes(1) } } },
      `${path}: servicesResources "set" is not accepted: only with replicas > 1`],
    ['startup timeout too short', { startupTimeout: Duration.seconds(5) }, `${path}: startupTimeout "5s" is not accepted: a whole number of seconds from 10 to 3600`],
    ['env overriding a setting', { env: [EnvironmentVariable.fromValue('PREFECT_SERVER_UI_API_URL', 'x')] },
      `${path}: env "PREFECT_SERVER_UI_API_URL" is not accepted: a variable the construct does not set itself`],
    ['env overriding a setting by its old name', { env: [EnvironmentVariable.fromValue('PREFECT_API_DATABASE_CONNECTION_URL', 'x')] },
      `${path}: env "PREFECT_API_DATABASE_CONNECTION_URL" is not accepted: a variable the construct does not set itself`],
    ['env overriding a Prefect 2 setting by its new name', { image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }), env: [EnvironmentVariable.fromValue('PREFECT_SERVER_UI_API_URL', 'x')] },
      'env "PREFECT_SERVER_UI_API_URL" is not accepted'],
    ['env with a connection URL beside database parts', { database: postgres, env: [EnvironmentVariable.fromValue('PREFECT_SERVER_DATABASE_CONNECTION_URL', 'postgresql+asyncpg://u:pw@h/d')] },
      'env "PREFECT_SERVER_DATABASE_CONNECTION_URL" is not accepted: a variable the construct does not set itself'],
    ['env with Redis messaging on a single server', { env: [EnvironmentVariable.fromValue('PREFECT_MESSAGING_BROKER', 'prefect_redis.messaging')] },
      'env "PREFECT_MESSAGING_BROKER" is not accepted'],
    ['empty database user', { database: PrefectDatabase.postgres({ host: 'h', user: '', databaseName: 'd', password: secret('s', 'k') }) },
      `${path}: database.user "" is not accepted: a non-empty value`],
    ['empty database name', { database: PrefectDatabase.postgres({ host: 'h', user: 'u', databaseName: '', password: secret('s', 'k') }) },
      `${path}: database.databaseName "" is not accepted: a non-empty value`],
    ['empty Redis user', { ...ha, redis: { host: 'r', username: '' } }, `${path}: redis.username "" is not accepted: a non-empty value`],
    ['bad Redis password Secret', { ...ha, redis: { host: 'r', password: secret('redis', 'a b') } }, `${path}: redis.password.key "a b" is not accepted: a Secret data key`],
    ['bad basic auth Secret', { basicAuth: secret('Auth', 'k') }, `${path}: basicAuth.secretName "Auth" is not accepted: a DNS-1123 subdomain`],
    ['startup timeout too long', { startupTimeout: Duration.hours(2) }, `${path}: startupTimeout "7200s" is not accepted: a whole number of seconds from 10 to 3600`],
    ['tiny memory limit', { resources: { memory: { limit: Size.mebibytes(32) } } }, `${path}: resources.memory.limit 32Mi is not accepted: a size of at least 64Mi`],
    ['zero CPU limit', { resources: { cpu: { limit: Cpu.millis(0) } } }, `${path}: resources.cpu.limit 0m is not accepted: a CPU quantity of at least 1m`],
    ['ephemeral storage request above limit', { resources: { memory: { limit: Size.gibibytes(1) }, ephemeralStorage: { request: Size.gibibytes(4), limit: Size.gibibytes(1) } } },
      `${path}: resources.ephemeralStorage.request 4Gi is not accepted: at most the limit (1Gi)`],
    ['env overriding the host', { env: [EnvironmentVariable.fromValue('PREFECT_SERVER_API_HOST', '127.0.0.1')] }, 'env "PREFECT_SERVER_API_HOST" is not accepted'],
    ['env set twice', { env: [EnvironmentVariable.fromValue('A', '1'), EnvironmentVariable.fromValue('A', '2')] }, `${path}: env "A" is not accepted: each variable name once`],
    ['bad env name', { env: [EnvironmentVariable.fromValue('1BAD', 'x')] }, `${path}: env "1BAD" is not accepted: an environment variable name`],
    ['bad env Secret', { env: [EnvironmentVariable.fromSecret('TOKEN', secret('s', ''))] }, `${path}: env[TOKEN].key "" is not accepted`],
    ['bad pull secret', { imagePullSecrets: ['Registry'] }, `${path}: imagePullSecrets "Registry" is not accepted`],
  ])('%s', (_title, props, message) => {
    expect(construct(props)).toThrow(message);
  });
});

test('two servers with one name in one chart are rejected at synth time', () => {
  const app = Testing.app();
  const chart = new Chart(app, 'a', { namespace: 'prefect' });
  new PrefectApi(chart, 'one');
  new PrefectApi(chart, 'two');
  new PrefectApi(chart, 'three', { name: 'prefect-other' });
  expect(() => app.synth()).toThrow(
    "PrefectApi 'a/two': name \"prefect-server\" is not accepted: a name whose objects no other object of the chart has: Service/prefect/prefect-server is made by both a/one and a/two");
});

describe('value class errors', () => {
  test('PrefectVersion.of rejects what is not a release', () => {
    expect(() => PrefectVersion.of('3.8')).toThrow('PrefectVersion.of: version "3.8" is not accepted: an exact Prefect release as MAJOR.MINOR.PATCH');
    expect(() => PrefectVersion.of('latest')).toThrow('"latest" is not accepted');
  });
  test('PrefectVersion compares releases', () => {
    expect(PrefectVersion.of('3.10.0').isAtLeast('3.9.9')).toBe(true);
    expect(PrefectVersion.of('3.1.12').isAtLeast('3.1.13')).toBe(false);
    expect(PrefectVersion.of('2.20.25').isAtLeast('3.0.0')).toBe(false);
  });
  test('PrefectImage.fromRegistry accepts only pinned references', () => {
    expect(() => PrefectImage.fromRegistry('prefecthq/prefect', PrefectVersion.V3_8_3)).toThrow('the image must be pinned');
    expect(() => PrefectImage.fromRegistry('prefecthq/prefect:latest', PrefectVersion.V3_8_3)).toThrow('the image must be pinned');
    expect(() => PrefectImage.fromRegistry('prefecthq/prefect:3-latest', PrefectVersion.V3_8_3)).toThrow('the image must be pinned');
    expect(() => PrefectImage.fromRegistry('Not An Image', PrefectVersion.V3_8_3)).toThrow('"Not An Image" is not accepted: an image reference');
    expect(PrefectImage.fromRegistry('localhost:5000/prefect:3.8.3', PrefectVersion.V3_8_3).reference).toBe('localhost:5000/prefect:3.8.3');
  });
  test('PrefectImage.fromRegistry: a tag of the official image must name the release it is said to contain', () => {
    const floating = 'is not accepted: a tag of the official image that names the release, "3.8.3-python<X.Y>[-<flavor>]"';
    expect(() => PrefectImage.fromRegistry('prefecthq/prefect:3-python3.11-kubernetes', PrefectVersion.V3_8_3)).toThrow(
      `[IMAGE] PrefectImage.fromRegistry: reference "prefecthq/prefect:3-python3.11-kubernetes with Prefect 3.8.3" ${floating}`);
    expect(() => PrefectImage.fromRegistry('docker.io/prefecthq/prefect:3.8', PrefectVersion.V3_8_3)).toThrow(floating);
    expect(() => PrefectImage.fromRegistry('prefecthq/prefect:3.4.1-python3.12', PrefectVersion.V3_8_3)).toThrow(floating);
    expect(() => PrefectImage.fromRegistry('prefecthq/prefect:3.8.30-python3.12', PrefectVersion.V3_8_3)).toThrow(floating);
    expect(PrefectImage.fromRegistry('prefecthq/prefect:3.8.3-python3.12-kubernetes', PrefectVersion.V3_8_3).reference).toBe('prefecthq/prefect:3.8.3-python3.12-kubernetes');
    const digest = `prefecthq/prefect@sha256:${'a'.repeat(64)}`;
    expect(PrefectImage.fromRegistry(digest, PrefectVersion.V3_8_3).reference).toBe(digest);
    // Other repositories name their builds as they like.
    expect(PrefectImage.fromRegistry('registry.example.com/prefecthq/prefect:2026.11.3', PrefectVersion.V3_8_3).reference).toBe('registry.example.com/prefecthq/prefect:2026.11.3');
  });
  test('PrefectImage.official checks the Python version and builds the tag', () => {
    expect(() => PrefectImage.official({ pythonVersion: '3' })).toThrow('pythonVersion "3" is not accepted: a Python version as 3.MINOR');
    expect(PrefectImage.official({ pythonVersion: '3.11', flavor: PrefectImageFlavor.CONDA }).reference).toBe('prefecthq/prefect:3.8.3-python3.11-conda');
  });
});
