import { PrefectVersion } from '../prefect-version';

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
  /**
   * Every loop service of `prefect server services start` is a docket perpetual task, which one
   * pod at a time runs: the services may run in several pods (3.6.6 converted only some).
   */
  SCALABLE_SERVICES: '3.6.7',
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

/**
 * A setting the constructs set: the name the newest release reads, and for a renamed one the name
 * before `renamedIn`, which older releases read (newer ones still accept it as an alias).
 */
export interface PrefectSetting {
  readonly name: string;
  readonly oldName?: string;
  readonly renamedIn?: string;
  /** The first release that reads it, where the constructs depend on that. */
  readonly since?: string;
  /** Other names the same release reads it from. */
  readonly aliases?: readonly string[];
}

/** The server settings Prefect renamed in 3.0.11 (the `PREFECT_API_*`, `PREFECT_UI_*` era before). */
const RENAMED_3_0_11 = '3.0.11';
const renamed = (name: string, oldName: string): PrefectSetting => ({ name, oldName, renamedIn: RENAMED_3_0_11 });
const named = (name: string, since?: string): PrefectSetting => (since ? { name, since } : { name });

/**
 * Every Prefect setting the constructs emit, and the ones they own whether or not they emit them
 * (user environment may not set those). A name Prefect does not know is silently ignored, so every
 * setting the library writes comes from here, under the name its release reads (`settingName`).
 * A setting renamed in a new release is one change here.
 */
export const SETTINGS = {
  /** Server and background services (`PrefectApi`). */
  server: {
    API_HOST: named('PREFECT_SERVER_API_HOST'),
    API_PORT: named('PREFECT_SERVER_API_PORT'),
    API_AUTH_STRING: named('PREFECT_SERVER_API_AUTH_STRING', SINCE.BASIC_AUTH),
    API_BASE_PATH: named('PREFECT_SERVER_API_BASE_PATH', '3.2.7'),
    UI_SERVE_BASE: renamed('PREFECT_SERVER_UI_SERVE_BASE', 'PREFECT_UI_SERVE_BASE'),
    UI_API_URL: renamed('PREFECT_SERVER_UI_API_URL', 'PREFECT_UI_API_URL'),
    UI_STATIC_DIRECTORY: renamed('PREFECT_SERVER_UI_STATIC_DIRECTORY', 'PREFECT_UI_STATIC_DIRECTORY'),
    ANALYTICS_ENABLED: named('PREFECT_SERVER_ANALYTICS_ENABLED'),
    LOGGING_LEVEL: renamed('PREFECT_SERVER_LOGGING_LEVEL', 'PREFECT_LOGGING_SERVER_LEVEL'),
    DATABASE_CONNECTION_URL: renamed('PREFECT_SERVER_DATABASE_CONNECTION_URL', 'PREFECT_API_DATABASE_CONNECTION_URL'),
    DATABASE_MIGRATE_ON_START: renamed('PREFECT_SERVER_DATABASE_MIGRATE_ON_START', 'PREFECT_API_DATABASE_MIGRATE_ON_START'),
    DATABASE_DRIVER: renamed('PREFECT_SERVER_DATABASE_DRIVER', 'PREFECT_API_DATABASE_DRIVER'),
    DATABASE_HOST: renamed('PREFECT_SERVER_DATABASE_HOST', 'PREFECT_API_DATABASE_HOST'),
    DATABASE_PORT: renamed('PREFECT_SERVER_DATABASE_PORT', 'PREFECT_API_DATABASE_PORT'),
    DATABASE_USER: renamed('PREFECT_SERVER_DATABASE_USER', 'PREFECT_API_DATABASE_USER'),
    DATABASE_PASSWORD: renamed('PREFECT_SERVER_DATABASE_PASSWORD', 'PREFECT_API_DATABASE_PASSWORD'),
    DATABASE_NAME: renamed('PREFECT_SERVER_DATABASE_NAME', 'PREFECT_API_DATABASE_NAME'),
    MESSAGING_BROKER: named('PREFECT_MESSAGING_BROKER'),
    MESSAGING_CACHE: named('PREFECT_MESSAGING_CACHE'),
    EVENTS_CAUSAL_ORDERING: named('PREFECT_SERVER_EVENTS_CAUSAL_ORDERING', '3.4.12'),
    CONCURRENCY_LEASE_STORAGE: named('PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE', '3.4.9'),
    DOCKET_URL: named('PREFECT_SERVER_DOCKET_URL', SINCE.DOCKET),
    REDIS_HOST: named('PREFECT_REDIS_MESSAGING_HOST'),
    REDIS_PORT: named('PREFECT_REDIS_MESSAGING_PORT'),
    REDIS_DB: named('PREFECT_REDIS_MESSAGING_DB'),
    REDIS_USERNAME: named('PREFECT_REDIS_MESSAGING_USERNAME'),
    REDIS_PASSWORD: named('PREFECT_REDIS_MESSAGING_PASSWORD'),
    REDIS_SSL: named('PREFECT_REDIS_MESSAGING_SSL'),
    REDIS_URL: named('PREFECT_REDIS_MESSAGING_URL'),
  },
  /** Every Prefect 2 and 3 process: the server's pods, workers, agents and flow runs. */
  client: {
    HOME: named('PREFECT_HOME'),
    API_URL: named('PREFECT_API_URL'),
    API_KEY: named('PREFECT_API_KEY'),
    API_AUTH_STRING: named('PREFECT_API_AUTH_STRING', SINCE.CLIENT_AUTH_STRING),
    LOGGING_LEVEL: named('PREFECT_LOGGING_LEVEL'),
  },
  /** `prefect worker start`. */
  worker: {
    QUERY_SECONDS: named('PREFECT_WORKER_QUERY_SECONDS'),
    PREFETCH_SECONDS: named('PREFECT_WORKER_PREFETCH_SECONDS'),
    WEBSERVER_HOST: named('PREFECT_WORKER_WEBSERVER_HOST'),
    WEBSERVER_PORT: named('PREFECT_WORKER_WEBSERVER_PORT'),
  },
  /** The Kubernetes worker (prefect-kubernetes) and the Kubernetes side of Prefect 2 agents. */
  kubernetes: {
    OBSERVER_NAMESPACES: named('PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES', SINCE.KUBERNETES_OBSERVER),
    // The old name is the one every release reads; settings classes accept the longer one too.
    CLUSTER_UID: { name: 'PREFECT_KUBERNETES_CLUSTER_UID', aliases: ['PREFECT_INTEGRATIONS_KUBERNETES_CLUSTER_UID'] } as PrefectSetting,
    API_KEY_SECRET_NAME: named('PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_NAME', SINCE.JOB_API_KEY_SECRET),
    API_KEY_SECRET_KEY: named('PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_KEY', SINCE.JOB_API_KEY_SECRET),
    API_AUTH_STRING_SECRET_NAME: named('PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_NAME', SINCE.JOB_AUTH_STRING_SECRET),
    API_AUTH_STRING_SECRET_KEY: named('PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_KEY', SINCE.JOB_AUTH_STRING_SECRET),
  },
  /** `prefect agent start` (Prefect 2). */
  agent: {
    QUERY_INTERVAL: named('PREFECT_AGENT_QUERY_INTERVAL'),
    PREFETCH_SECONDS: named('PREFECT_AGENT_PREFETCH_SECONDS'),
  },
  /** `prefect agent kubernetes start` (Prefect 1), which reads a few unprefixed names too. */
  prefect1: {
    BACKEND: named('PREFECT__BACKEND'),
    API: named('PREFECT__CLOUD__API'),
    API_KEY: named('PREFECT__CLOUD__API_KEY'),
    TENANT_ID: named('PREFECT__CLOUD__TENANT_ID'),
    AGENT_LABELS: named('PREFECT__CLOUD__AGENT__LABELS'),
    AGENT_NAME: named('PREFECT__CLOUD__AGENT__NAME'),
    AGENT_LEVEL: named('PREFECT__CLOUD__AGENT__LEVEL'),
    AGENT_ADDRESS: named('PREFECT__CLOUD__AGENT__AGENT_ADDRESS'),
    NAMESPACE: named('NAMESPACE'),
    SERVICE_ACCOUNT_NAME: named('SERVICE_ACCOUNT_NAME'),
    IMAGE_PULL_SECRETS: named('IMAGE_PULL_SECRETS'),
    DELETE_FINISHED_JOBS: named('DELETE_FINISHED_JOBS'),
  },
  /** What the pods read beside Prefect: the shell, Python, the image's entrypoint, the pod's name. */
  pod: {
    HOME: named('HOME'),
    TZ: named('TZ'),
    PYTHONPATH: named('PYTHONPATH'),
    POD_NAME: named('POD_NAME'),
    EXTRA_PIP_PACKAGES: named('EXTRA_PIP_PACKAGES'),
  },
} satisfies Record<string, Record<string, PrefectSetting>>;

/** The name `version` reads `setting` from. */
export function settingName(setting: PrefectSetting, version: PrefectVersion): string {
  return setting.oldName && setting.renamedIn && !version.isAtLeast(setting.renamedIn) ? setting.oldName : setting.name;
}

/** Every name a release may read `setting` from. */
function namesOf(setting: PrefectSetting): string[] {
  return [setting.name, ...(setting.oldName ? [setting.oldName] : []), ...(setting.aliases ?? [])];
}

/** Every name of every setting in `groups`, under each of its names. */
export function settingNames(...groups: Record<string, PrefectSetting>[]): Set<string> {
  return new Set(groups.flatMap(group => Object.values(group).flatMap(namesOf)));
}

/** Every name Prefect may read the setting called `name` from: `name` and its old or new names. */
export function settingAliases(name: string): string[] {
  const setting = Object.values(SETTINGS).flatMap(group => Object.values(group) as PrefectSetting[])
    .find(s => namesOf(s).includes(name));
  return setting ? namesOf(setting) : [name];
}

