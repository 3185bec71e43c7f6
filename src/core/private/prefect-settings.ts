import { PrefectVersion } from '../prefect-version';

/**
 * Server settings renamed in Prefect 3.0.11, with the name they had before. Prefect 3 still
 * accepts the old names as aliases, and they are the only names Prefect 2 knows. A name Prefect
 * does not know is silently ignored, so every server setting goes through `serverSetting`.
 */
const LEGACY_NAMES: Record<string, string> = {
  PREFECT_SERVER_DATABASE_CONNECTION_URL: 'PREFECT_API_DATABASE_CONNECTION_URL',
  PREFECT_SERVER_DATABASE_MIGRATE_ON_START: 'PREFECT_API_DATABASE_MIGRATE_ON_START',
  PREFECT_SERVER_DATABASE_DRIVER: 'PREFECT_API_DATABASE_DRIVER',
  PREFECT_SERVER_DATABASE_HOST: 'PREFECT_API_DATABASE_HOST',
  PREFECT_SERVER_DATABASE_PORT: 'PREFECT_API_DATABASE_PORT',
  PREFECT_SERVER_DATABASE_USER: 'PREFECT_API_DATABASE_USER',
  PREFECT_SERVER_DATABASE_PASSWORD: 'PREFECT_API_DATABASE_PASSWORD',
  PREFECT_SERVER_DATABASE_NAME: 'PREFECT_API_DATABASE_NAME',
  PREFECT_SERVER_UI_API_URL: 'PREFECT_UI_API_URL',
  PREFECT_SERVER_UI_STATIC_DIRECTORY: 'PREFECT_UI_STATIC_DIRECTORY',
  PREFECT_SERVER_LOGGING_LEVEL: 'PREFECT_LOGGING_SERVER_LEVEL',
};

/** The name `version` reads for the server setting known since 3.0.11 as `name`. */
export function serverSetting(version: PrefectVersion, name: string): string {
  return version.isAtLeast('3.0.11') ? name : LEGACY_NAMES[name] ?? name;
}

/** Every name Prefect may read the same setting from: `name` and its old or new alias. */
export function settingAliases(name: string): string[] {
  const legacy = LEGACY_NAMES[name];
  const modern = Object.keys(LEGACY_NAMES).find(key => LEGACY_NAMES[key] === name);
  return [name, ...(legacy ? [legacy] : []), ...(modern ? [modern] : [])];
}

/** Releases that introduced what the constructs rely on. */
export const SINCE = {
  /**
   * `PREFECT_UI_STATIC_DIRECTORY`: the UI bundle is prepared in a writable directory instead of
   * inside the (read-only) image.
   */
  WRITABLE_UI_DIRECTORY: '2.14.16',
  /** `PREFECT_SERVER_DATABASE_{DRIVER,HOST,...}`: the database connection in parts. */
  DATABASE_COMPONENTS: '3.0.0',
  /**
   * `PREFECT_SERVER_API_AUTH_STRING` with the health endpoints exempt (3.1.8 to 3.1.12 guard them
   * too, so the probes would fail).
   */
  BASIC_AUTH: '3.1.13',
  /** `PREFECT_API_AUTH_STRING`: clients send basic auth. */
  CLIENT_AUTH_STRING: '3.1.8',
  /**
   * `prefect server start --no-services` that really starts no loop services, beside
   * `prefect server services start` (both exist since 3.1.13; before 3.4.16 the API pods still ran
   * some services), with Redis lease storage and causal ordering.
   */
  HIGH_AVAILABILITY: '3.4.16',
  /** `PREFECT_SERVER_DOCKET_URL`. */
  DOCKET: '3.6.0',
  /** `prefect worker start --with-healthcheck`: `GET /health` on port 8080. */
  WORKER_HEALTHCHECK: '2.10.12',
  /** `prefect worker start --install-policy`. */
  WORKER_INSTALL_POLICY: '2.10.18',
  /** `prefect work-pool update --base-job-template` (and `--base-job-template` at all). */
  WORK_POOL_UPDATE: '2.13.3',
  /**
   * `PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_{NAME,KEY}`: flow-run Jobs read the API
   * key from the worker's Secret instead of carrying it in plain text.
   */
  JOB_API_KEY_SECRET: '3.2.12',
  /** The same for the basic auth string (`..._API_AUTH_STRING_SECRET_{NAME,KEY}`). */
  JOB_AUTH_STRING_SECRET: '3.4.11',
  /**
   * prefect-kubernetes 0.6: the observer (watching flow-run pods and Jobs, limited by
   * `PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES`), and no more reading of the `kube-system`
   * namespace for a cluster id.
   */
  KUBERNETES_OBSERVER: '3.4.1',
  /**
   * `PREFECT_SERVER_API_BASE_PATH` (3.2.7) with the server's own in-process client following it
   * (3.4.13), beside `PREFECT_SERVER_UI_SERVE_BASE`: UI and API under a sub-path, no proxy rewrite.
   */
  SUB_PATH: '3.4.13',
  /** `prefect api`, to change an existing queue's priority. */
  API_COMMAND: '3.4.23',
};
