import { PrefectLogLevel } from '../../core/log-level';
import { secretEnv, toEnvVars } from '../../core/private/env';
import { ContainerEnvVar, KubeletText } from '../../core/private/kubelet';
import { SETTINGS, SINCE } from '../../core/private/prefect-settings';
import { HOME } from '../../core/private/security';
import { DATA_DIRECTORY, ResolvedServer, ServerExposure, setting, UI_DIRECTORY } from './resolved-server';

const S = SETTINGS.server;
const C = SETTINGS.client;
const P = SETTINGS.pod;

/** Environment of every server container: home, database, messaging, logging. */
export function sharedEnv(server: ResolvedServer): ContainerEnvVar[] {
  const props = server.props;
  const env: ContainerEnvVar[] = [
    { name: P.HOME.name, value: HOME },
    { name: C.HOME.name, value: `${HOME}/.prefect` },
    ...databaseEnv(server),
  ];
  if (server.highlyAvailable) {
    env.push({ name: setting(server, S.DATABASE_MIGRATE_ON_START), value: 'false' });
    env.push(...redisEnv(server));
  }
  env.push(
    { name: S.ANALYTICS_ENABLED.name, value: String(props.analytics ?? false) },
    { name: setting(server, S.LOGGING_LEVEL), value: props.logLevel ?? PrefectLogLevel.WARNING },
  );
  if (props.timeZone) env.push({ name: P.TZ.name, value: props.timeZone });
  return env;
}

/** Environment only the API container needs: the UI and basic auth. */
export function serverOnlyEnv(server: ResolvedServer, exposure: ServerExposure): ContainerEnvVar[] {
  const env: ContainerEnvVar[] = [
    { name: setting(server, S.UI_API_URL), value: exposure.uiApiUrl },
    { name: setting(server, S.UI_STATIC_DIRECTORY), value: UI_DIRECTORY },
  ];
  if (exposure.subPath) {
    // Served under the ingress's sub-path as is: the UI's asset URLs are absolute.
    env.push(
      { name: setting(server, S.UI_SERVE_BASE), value: exposure.subPath },
      { name: S.API_BASE_PATH.name, value: exposure.apiPath },
    );
  }
  if (exposure.basicAuth) env.push(secretEnv(S.API_AUTH_STRING.name, exposure.basicAuth));
  return env;
}

/** The user's extra variables, last. */
export function extraEnv(server: ResolvedServer): ContainerEnvVar[] {
  return toEnvVars(server.props.env ?? []);
}

function databaseEnv(server: ResolvedServer): ContainerEnvVar[] {
  const database = server.database;
  const url = setting(server, S.DATABASE_CONNECTION_URL);
  if (database.isSqlite) {
    return [{ name: url, value: `sqlite+aiosqlite:///${DATA_DIRECTORY}/prefect.db` }];
  }
  const connectionUrl = database._connectionUrl;
  if (connectionUrl) return [secretEnv(url, connectionUrl)];
  const parts = database._components!;
  return [
    { name: setting(server, S.DATABASE_DRIVER), value: 'postgresql+asyncpg' },
    { name: setting(server, S.DATABASE_HOST), value: parts.host },
    { name: setting(server, S.DATABASE_PORT), value: String(parts.port ?? 5432) },
    { name: setting(server, S.DATABASE_USER), value: parts.user },
    { name: setting(server, S.DATABASE_NAME), value: parts.databaseName },
    secretEnv(setting(server, S.DATABASE_PASSWORD), parts.password),
  ];
}

function redisEnv(server: ResolvedServer): ContainerEnvVar[] {
  const redis = server.props.redis!;
  const port = redis.port ?? 6379;
  const db = redis.db ?? 0;
  const env: ContainerEnvVar[] = [
    { name: S.MESSAGING_BROKER.name, value: 'prefect_redis.messaging' },
    { name: S.MESSAGING_CACHE.name, value: 'prefect_redis.messaging' },
    { name: S.EVENTS_CAUSAL_ORDERING.name, value: 'prefect_redis.ordering' },
    { name: S.CONCURRENCY_LEASE_STORAGE.name, value: 'prefect_redis.lease_storage' },
    { name: S.REDIS_HOST.name, value: redis.host },
    { name: S.REDIS_PORT.name, value: String(port) },
    { name: S.REDIS_DB.name, value: String(db) },
    { name: S.REDIS_SSL.name, value: String(redis.ssl ?? false) },
  ];
  if (redis.username) env.push({ name: S.REDIS_USERNAME.name, value: redis.username });
  if (redis.password) env.push(secretEnv(S.REDIS_PASSWORD.name, redis.password));
  if (server.version.isAtLeast(SINCE.DOCKET)) {
    // The kubelet expands the reference from the variable defined before, so the password stays in
    // its Secret.
    const credentials = redis.password
      ? KubeletText.compose`${encodeURIComponent(redis.username ?? '')}:${KubeletText.reference(S.REDIS_PASSWORD.name)}@`
      : redis.username ? `${encodeURIComponent(redis.username)}@` : '';
    const scheme = redis.ssl ? 'rediss' : 'redis';
    env.push({ name: S.DOCKET_URL.name, value: KubeletText.compose`${scheme}://${credentials}${redis.host}:${String(port)}/${String(db)}` });
  }
  return env;
}
