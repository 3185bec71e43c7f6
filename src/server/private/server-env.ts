import { k8s } from 'cdk8s-plus-27';
import { PrefectLogLevel } from '../../core/log-level';
import { secretEnv, toEnvVars } from '../../core/private/env';
import { SINCE } from '../../core/private/prefect-settings';
import { HOME } from '../../core/private/security';
import { DATA_DIRECTORY, ResolvedServer, ServerExposure, setting, UI_DIRECTORY } from './resolved-server';

/** Environment of every server container: home, database, messaging, logging. */
export function sharedEnv(server: ResolvedServer): k8s.EnvVar[] {
  const props = server.props;
  const env: k8s.EnvVar[] = [
    { name: 'HOME', value: HOME },
    { name: 'PREFECT_HOME', value: `${HOME}/.prefect` },
    ...databaseEnv(server),
  ];
  if (server.highlyAvailable) {
    env.push({ name: setting(server, 'PREFECT_SERVER_DATABASE_MIGRATE_ON_START'), value: 'false' });
    env.push(...redisEnv(server));
  }
  env.push(
    { name: 'PREFECT_SERVER_ANALYTICS_ENABLED', value: String(props.analytics ?? false) },
    { name: setting(server, 'PREFECT_SERVER_LOGGING_LEVEL'), value: props.logLevel ?? PrefectLogLevel.WARNING },
  );
  if (props.timeZone) env.push({ name: 'TZ', value: props.timeZone });
  return env;
}

/** Environment only the API container needs: the UI and basic auth. */
export function serverOnlyEnv(server: ResolvedServer, exposure: ServerExposure): k8s.EnvVar[] {
  const env: k8s.EnvVar[] = [
    { name: setting(server, 'PREFECT_SERVER_UI_API_URL'), value: exposure.uiApiUrl },
    { name: setting(server, 'PREFECT_SERVER_UI_STATIC_DIRECTORY'), value: UI_DIRECTORY },
  ];
  if (exposure.subPath) {
    // Served under the ingress's sub-path as is: the UI's asset URLs are absolute.
    env.push(
      { name: setting(server, 'PREFECT_SERVER_UI_SERVE_BASE'), value: exposure.subPath },
      { name: 'PREFECT_SERVER_API_BASE_PATH', value: exposure.apiPath },
    );
  }
  if (exposure.basicAuth) env.push(secretEnv('PREFECT_SERVER_API_AUTH_STRING', exposure.basicAuth));
  return env;
}

/** The user's extra variables, last. */
export function extraEnv(server: ResolvedServer): k8s.EnvVar[] {
  return toEnvVars(server.props.env ?? []);
}

function databaseEnv(server: ResolvedServer): k8s.EnvVar[] {
  const database = server.database;
  const url = setting(server, 'PREFECT_SERVER_DATABASE_CONNECTION_URL');
  if (database.isSqlite) {
    return [{ name: url, value: `sqlite+aiosqlite:///${DATA_DIRECTORY}/prefect.db` }];
  }
  const connectionUrl = database._connectionUrl;
  if (connectionUrl) return [secretEnv(url, connectionUrl)];
  const parts = database._components!;
  return [
    { name: setting(server, 'PREFECT_SERVER_DATABASE_DRIVER'), value: 'postgresql+asyncpg' },
    { name: setting(server, 'PREFECT_SERVER_DATABASE_HOST'), value: parts.host },
    { name: setting(server, 'PREFECT_SERVER_DATABASE_PORT'), value: String(parts.port ?? 5432) },
    { name: setting(server, 'PREFECT_SERVER_DATABASE_USER'), value: parts.user },
    { name: setting(server, 'PREFECT_SERVER_DATABASE_NAME'), value: parts.databaseName },
    secretEnv(setting(server, 'PREFECT_SERVER_DATABASE_PASSWORD'), parts.password),
  ];
}

function redisEnv(server: ResolvedServer): k8s.EnvVar[] {
  const redis = server.props.redis!;
  const port = redis.port ?? 6379;
  const db = redis.db ?? 0;
  const env: k8s.EnvVar[] = [
    { name: 'PREFECT_MESSAGING_BROKER', value: 'prefect_redis.messaging' },
    { name: 'PREFECT_MESSAGING_CACHE', value: 'prefect_redis.messaging' },
    { name: 'PREFECT_SERVER_EVENTS_CAUSAL_ORDERING', value: 'prefect_redis.ordering' },
    { name: 'PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE', value: 'prefect_redis.lease_storage' },
    { name: 'PREFECT_REDIS_MESSAGING_HOST', value: redis.host },
    { name: 'PREFECT_REDIS_MESSAGING_PORT', value: String(port) },
    { name: 'PREFECT_REDIS_MESSAGING_DB', value: String(db) },
    { name: 'PREFECT_REDIS_MESSAGING_SSL', value: String(redis.ssl ?? false) },
  ];
  if (redis.username) env.push({ name: 'PREFECT_REDIS_MESSAGING_USERNAME', value: redis.username });
  if (redis.password) env.push(secretEnv('PREFECT_REDIS_MESSAGING_PASSWORD', redis.password));
  if (server.version.isAtLeast(SINCE.DOCKET)) {
    // The kubelet expands $(VAR) from variables defined earlier, so the password stays in its Secret.
    const credentials = redis.password
      ? `${encodeURIComponent(redis.username ?? '')}:$(PREFECT_REDIS_MESSAGING_PASSWORD)@`
      : redis.username ? `${encodeURIComponent(redis.username)}@` : '';
    const scheme = redis.ssl ? 'rediss' : 'redis';
    env.push({ name: 'PREFECT_SERVER_DOCKET_URL', value: `${scheme}://${credentials}${redis.host}:${port}/${db}` });
  }
  return env;
}
