import { createHash } from 'node:crypto';
import { ApiObject, Chart, Duration, Lazy, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s, Service, ServiceType } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { recommendedLabels, selectorLabels, stableLabels } from '../core/private/labels';
import { secretEnv, toEnvVars } from '../core/private/env';
import { EnvironmentVariable } from '../core/environment-variable';
import { PrefectLogLevel } from '../core/log-level';
import { PrefectDatabase } from './prefect-database';
import { PrefectImage, PrefectImageFlavor } from '../core/prefect-image';
import { PrefectIngress, PrefectIngressOptions } from './prefect-ingress';
import { PrefectRedisOptions } from './prefect-redis';
import { serverSetting, settingAliases, SINCE } from '../core/private/prefect-settings';
import { Program, programSource } from '../core/private/programs';
import { SecretKeyReference } from '../core/secret-key-reference';
import { checkContainerResources, mergeResources, toRequirements } from '../core/private/resources';
import { httpGetProbe, PROBE_PERIOD_SECONDS } from '../core/private/probes';
import { HOME, restrictedContainer, restrictedPod, writableMounts, writableVolumes } from '../core/private/security';
import {
  checkAnnotations, checkBrowserUrl, checkCidr, checkDns1035Label, checkDns1123Subdomain, checkExtraEnv, checkInteger, checkNonEmpty,
  checkSeconds, checkSize, checkTimeZone, propError,
} from '../core/private/validation';

/** Properties of a `PrefectApi`. */
export interface PrefectApiProps {
  /**
   * Name of the server's Service and workload, and prefix of its other objects.
   * @default "prefect-server"
   */
  readonly name?: string;

  /**
   * The Prefect image, which also decides the Prefect release (settings names and features).
   * @default PrefectImage.official(): Prefect 3.8.3; the `-kubernetes` flavor (with prefect-redis) when highly available
   */
  readonly image?: PrefectImage;

  /**
   * Names of existing Secrets to pull the image with.
   * @default none
   */
  readonly imagePullSecrets?: string[];

  /**
   * The database.
   * @default PrefectDatabase.sqlite()
   */
  readonly database?: PrefectDatabase;

  /**
   * Number of API server pods. More than one makes the server highly available (Prefect 3.4.16+):
   * it needs PostgreSQL and `redis`; the background services then run in their own Deployment,
   * migrations run once in a Job, and a PodDisruptionBudget protects the API.
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Redis for a highly available server. Required when `replicas` is more than one.
   * @default none
   */
  readonly redis?: PrefectRedisOptions;

  /**
   * Port the server listens on and the Service exposes.
   * @default 4200
   */
  readonly port?: number;

  /**
   * The API URL as the browser sees it: the UI calls the API there. Leave it unset when the server
   * has a `PrefectIngress` (which sets it) or an external Service with an `address`. Without
   * either, the UI is reached through `kubectl port-forward`, hence the default.
   * @default the ingress's URL, else the external Service's address, else "http://localhost:<port>/api"
   */
  readonly uiApiUrl?: string;

  /**
   * Send anonymous usage data to Prefect.
   * @default false
   */
  readonly analytics?: boolean;

  /**
   * Log level of the server.
   * @default PrefectLogLevel.WARNING
   */
  readonly logLevel?: PrefectLogLevel;

  /**
   * Basic auth for the UI and API (Prefect 3.1.13+): a Secret key holding `user:password`. Clients
   * must then send the same string as `PREFECT_API_AUTH_STRING`; the worker pools of this app that
   * connect with `PrefectConnection.inCluster` do. The health endpoints stay open. A `PrefectIngress`
   * with `IngressAccessControl.prefectBasicAuth` sets it too.
   * @default no authentication
   */
  readonly basicAuth?: SecretKeyReference;

  /**
   * Extra environment variables for every Prefect container of the server. They may not replace
   * one the construct sets (use its prop instead).
   * @default none
   */
  readonly env?: EnvironmentVariable[];

  /**
   * IANA time zone of the containers (`TZ`), e.g. `Europe/Berlin`.
   * @default the image's (UTC)
   */
  readonly timeZone?: string;

  /**
   * Resources of the API server container. A memory limit is required.
   * @default requests 500m CPU and 512Mi memory, memory limit 1Gi
   */
  readonly resources?: ContainerResources;

  /**
   * Resources of the background services container (highly available servers only).
   * @default requests 250m CPU and 512Mi memory, memory limit 1Gi
   */
  readonly servicesResources?: ContainerResources;

  /**
   * How long the server may take to start, first database migrations included, before it is
   * restarted.
   * @default Duration.minutes(5)
   */
  readonly startupTimeout?: Duration;
}

/** How a Service exposes the API outside the cluster. */
export enum ExternalServiceType {
  /** A port on every node (30000-32767). */
  NODE_PORT = 'NodePort',
  /** A cloud or bare-metal load balancer (which also opens a node port). */
  LOAD_BALANCER = 'LoadBalancer',
}

/** Options of `PrefectApi.exposeViaService`. */
export interface ExternalServiceOptions {
  /** NodePort or LoadBalancer. */
  readonly serviceType: ExternalServiceType;

  /**
   * The base URL at which browsers reach the Service, e.g. `http://prefect.example.com:30420`: the
   * UI then calls the API at `<address>/api`. Required unless a `PrefectIngress` or the `uiApiUrl`
   * prop gives the browser-facing URL.
   * @default the URL from the ingress or the uiApiUrl prop
   */
  readonly address?: string;

  /**
   * The Service port (for a load balancer, the port clients connect to).
   * @default the API port (4200)
   */
  readonly port?: number;

  /**
   * The node port, 30000-32767.
   * @default assigned by Kubernetes
   */
  readonly nodePort?: number;

  /**
   * Client address ranges a load balancer admits (CIDRs; LoadBalancer only).
   * @default any client
   */
  readonly loadBalancerSourceRanges?: string[];

  /**
   * Annotations of the Service, e.g. a cloud provider's load balancer settings.
   * @default none
   */
  readonly annotations?: { [key: string]: string };
}

const COMPONENT_SERVER = 'server';
const COMPONENT_SERVICES = 'background-services';
const COMPONENT_MIGRATION = 'database-migration';

const UI_DIRECTORY = '/var/cache/prefect-ui';
const DATA_DIRECTORY = '/var/lib/prefect';
const PORT_NAME = 'http';

const DEFAULT_SERVER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(500) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};
const DEFAULT_SERVICES_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(250) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};

const RESERVED_ENV = [
  'PREFECT_SERVER_API_HOST', 'PREFECT_SERVER_API_PORT', 'PREFECT_SERVER_API_AUTH_STRING', 'PREFECT_SERVER_API_BASE_PATH',
  'PREFECT_SERVER_UI_SERVE_BASE',
  ...['CONNECTION_URL', 'DRIVER', 'HOST', 'PORT', 'USER', 'PASSWORD', 'NAME', 'MIGRATE_ON_START'].map(p => `PREFECT_SERVER_DATABASE_${p}`),
  'PREFECT_MESSAGING_BROKER', 'PREFECT_MESSAGING_CACHE', 'PREFECT_SERVER_EVENTS_CAUSAL_ORDERING',
  'PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE', 'PREFECT_SERVER_DOCKET_URL',
  ...['HOST', 'PORT', 'DB', 'USERNAME', 'PASSWORD', 'SSL', 'URL'].map(p => `PREFECT_REDIS_MESSAGING_${p}`),
];

// Leaves room for the longest derived name, "<name>-migrate-<8 hex>", within 63 characters.
const MAX_NAME_LENGTH = 46;

/**
 * The Prefect server (`prefect server start`): API and UI, its database, probes, a ClusterIP
 * Service, and, when highly available, background services, a migration Job and a
 * PodDisruptionBudget.
 */
export class PrefectApi extends Construct {
  /** Name of the server's Service and workload. */
  public readonly name: string;
  /** The Prefect image the server runs. */
  public readonly image: PrefectImage;
  /** The port of the API, on the pods and on the Service. */
  public readonly port: number;
  /** The ClusterIP Service in front of the API pods. */
  public readonly service: Service;

  /** Number of API pods. */
  public readonly replicas: number;
  /** Whether the server runs highly available (several API pods, separate services and migrations). */
  public readonly highlyAvailable: boolean;
  /** The database the server uses. */
  public readonly database: PrefectDatabase;
  /** The API workload: a StatefulSet on SQLite, a Deployment on PostgreSQL. */
  public readonly workload: ApiObject;
  /** The background services Deployment of a highly available server. */
  public readonly servicesWorkload?: ApiObject;
  /** The database migration Job of a highly available server. */
  public readonly migrationJob?: ApiObject;

  private readonly namespace?: string;
  private readonly props: PrefectApiProps;
  private ingressOfApi?: PrefectIngress;
  private external?: { service: Service; address?: string };

  public constructor(scope: Construct, id: string, props: PrefectApiProps = {}) {
    super(scope, id);
    this.props = props;
    this.name = props.name ?? 'prefect-server';
    this.database = props.database ?? PrefectDatabase.sqlite();
    this.replicas = props.replicas ?? 1;
    this.highlyAvailable = this.replicas > 1;
    this.image = (props.image ?? PrefectImage.official())
      ._withDefaultFlavor(this.highlyAvailable ? PrefectImageFlavor.KUBERNETES : PrefectImageFlavor.STANDARD);
    this.port = props.port ?? 4200;
    this.namespace = Chart.of(this).namespace;
    this.validate();
    this.node.addValidation({ validate: () => [...this.nameCollisions(), ...this.browserUrlProblems()] });

    this.service = new Service(this, 'Service', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
      type: ServiceType.CLUSTER_IP,
      ports: [{ name: PORT_NAME, port: this.port, targetPort: this.port }],
    });
    for (const [key, value] of Object.entries(selectorLabels(this.name, COMPONENT_SERVER))) {
      this.service.selectLabel(key, value);
    }

    if (this.database.isSqlite) {
      this.workload = this.sqliteStatefulSet();
    } else {
      this.workload = this.serverDeployment();
    }
    if (this.highlyAvailable) {
      this.servicesWorkload = this.servicesDeployment();
      this.migrationJob = this.migration();
      new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
        spec: {
          maxUnavailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
        },
      });
    }
  }

  /**
   * The API URL as the browser sees it: the ingress's (`https://<host>/api`), else the external
   * Service's address, else the `uiApiUrl` prop, else `http://localhost:<port>/api` (port-forward).
   */
  public get uiApiUrl(): string {
    const address = this.external?.address;
    return this.ingressOfApi?.uiApiUrl ?? (address ? `${address.replace(/\/$/, '')}/api` : undefined)
      ?? this.props.uiApiUrl ?? `http://localhost:${this.port}/api`;
  }

  /**
   * The API URL for clients inside the cluster, e.g.
   * `http://prefect-server.prefect.svc.cluster.local:4200/api` (with an ingress's sub-path before `/api`).
   */
  public get serviceUrl(): string {
    const host = this.namespace ? `${this.name}.${this.namespace}.svc.cluster.local` : this.name;
    return `http://${host}:${this.port}${this.apiPath}`;
  }

  /** The path of the API on the server: `/api`, or `<sub-path>/api` behind an ingress at a sub-path. */
  private get apiPath(): string {
    return `${this.ingressOfApi?.path ?? ''}/api`;
  }

  /** The basic auth string clients must send, if the server requires one. */
  public get basicAuth(): SecretKeyReference | undefined {
    return this.props.basicAuth ?? this.ingressOfApi?.accessControl._authString;
  }

  /** The ingress in front of the server, if it has one. */
  public get ingress(): PrefectIngress | undefined {
    return this.ingressOfApi;
  }

  /** The NodePort or LoadBalancer Service, if the server has one. */
  public get externalService(): Service | undefined {
    return this.external?.service;
  }

  /**
   * Puts an Ingress in front of the server (see `PrefectIngress`), which also sets the UI's API URL.
   */
  public exposeViaIngress(options: PrefectIngressOptions): PrefectIngress {
    if (this.ingressOfApi) {
      throw propError(this, 'exposeViaIngress', options.hosts.join(','),
        `one ingress per server (${this.ingressOfApi.node.path} is in front of it already; list every host name in its hosts)`);
    }
    return new PrefectIngress(this, 'Ingress', { ...options, api: this });
  }

  /**
   * Exposes the server through a NodePort or LoadBalancer Service named `<name>-external`, beside
   * the ClusterIP Service that clients in the cluster use.
   */
  public exposeViaService(options: ExternalServiceOptions): Service {
    const prop = (name: string) => `exposeViaService.${name}`;
    if (this.external) {
      throw propError(this, 'exposeViaService', options.serviceType, 'one external Service per server (it exists already)');
    }
    if (!Object.values(ExternalServiceType).includes(options.serviceType)) {
      throw propError(this, prop('serviceType'), options.serviceType, 'ExternalServiceType.NODE_PORT or ExternalServiceType.LOAD_BALANCER');
    }
    if (options.address !== undefined) checkBrowserUrl(this, prop('address'), options.address, false);
    const port = options.port ?? this.port;
    checkInteger(this, prop('port'), port, 1, 65535);
    if (options.nodePort !== undefined) checkInteger(this, prop('nodePort'), options.nodePort, 30000, 32767);
    if (options.loadBalancerSourceRanges !== undefined) {
      if (options.serviceType !== ExternalServiceType.LOAD_BALANCER) {
        throw propError(this, prop('loadBalancerSourceRanges'), options.loadBalancerSourceRanges.join(','), 'unset unless serviceType is ExternalServiceType.LOAD_BALANCER');
      }
      for (const range of options.loadBalancerSourceRanges) checkCidr(this, prop('loadBalancerSourceRanges'), range);
    }
    checkAnnotations(this, prop('annotations'), options.annotations ?? {});
    const service = new Service(this, 'ExternalService', {
      metadata: { name: `${this.name}-external`, labels: this.labels(COMPONENT_SERVER), annotations: options.annotations },
      type: options.serviceType === ExternalServiceType.NODE_PORT ? ServiceType.NODE_PORT : ServiceType.LOAD_BALANCER,
      ports: [{ name: PORT_NAME, port, targetPort: this.port, nodePort: options.nodePort }],
      loadBalancerSourceRanges: options.loadBalancerSourceRanges,
    });
    for (const [key, value] of Object.entries(selectorLabels(this.name, COMPONENT_SERVER))) {
      service.selectLabel(key, value);
    }
    this.external = { service, address: options.address };
    return service;
  }

  /**
   * Registers the ingress in front of this server (its access control may require basic auth).
   * @internal
   */
  public _attachIngress(ingress: PrefectIngress): void {
    if (this.ingressOfApi) {
      throw propError(ingress, 'api', this.node.path,
        `a server without an ingress (${this.ingressOfApi.node.path} is in front of it already; list every host name in its hosts)`);
    }
    this.ingressOfApi = ingress;
  }

  /**
   * Selects the API pods (`apiOnly`), or every pod of the server: API, background services and
   * migration.
   * @internal
   */
  public _podSelector(apiOnly: boolean): k8s.LabelSelector {
    if (apiOnly) return { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) };
    const { 'app.kubernetes.io/component': _, ...common } = selectorLabels(this.name, COMPONENT_SERVER);
    return {
      matchLabels: common,
      matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: [COMPONENT_SERVER, COMPONENT_SERVICES, COMPONENT_MIGRATION] }],
    };
  }

  /**
   * The TCP ports the server's pods connect to outside the cluster's pods: the database, Redis,
   * and Prefect's analytics.
   * @internal
   */
  public _outboundPorts(): number[] {
    const ports: number[] = [];
    // A connection URL's port is in its Secret: assume PostgreSQL's default.
    if (!this.database.isSqlite) ports.push(this.database._components?.port ?? 5432);
    if (this.highlyAvailable) ports.push(this.props.redis!.port ?? 6379);
    if (this.props.analytics) ports.push(443);
    return [...new Set(ports)];
  }

  /** The UI can call the API at one URL only, so exactly one place may give it. */
  private browserUrlProblems(): string[] {
    const sources = [
      ...(this.ingressOfApi ? [{ prop: 'ingress', value: this.ingressOfApi.node.path, what: `the ingress ${this.ingressOfApi.node.path}` }] : []),
      ...(this.external?.address ? [{ prop: 'exposeViaService.address', value: this.external.address, what: 'exposeViaService\'s address' }] : []),
      ...(this.props.uiApiUrl !== undefined ? [{ prop: 'uiApiUrl', value: this.props.uiApiUrl, what: 'the uiApiUrl prop' }] : []),
    ];
    if (sources.length > 1) {
      const [first, second] = sources;
      return [propError(this, second.prop, second.value,
        `unset: ${first.what} gives the browser-facing URL already, and the UI can call the API at one URL only (an ingress sets it, so leave uiApiUrl and the Service address unset)`).message];
    }
    if (this.external && sources.length === 0) {
      return [propError(this, 'exposeViaService.address', undefined,
        'the URL at which browsers reach the external Service (e.g. "http://prefect.example.com:30420"): without it the UI would call the API on localhost').message];
    }
    return [];
  }

  private validate(): void {
    const props = this.props;
    const version = this.image.version;
    checkDns1035Label(this, 'name', this.name, MAX_NAME_LENGTH);
    if (!version.isAtLeast(SINCE.WRITABLE_UI_DIRECTORY)) {
      throw propError(this, 'image', `${this.image.reference} (Prefect ${version})`,
        `Prefect ${SINCE.WRITABLE_UI_DIRECTORY} or newer (Prefect 1 has no \`prefect server start\`; older 2.x releases write the UI into the image, which a read-only root filesystem forbids)`);
    }
    checkInteger(this, 'replicas', this.replicas, 1, 100);
    checkInteger(this, 'port', this.port, 1024, 65535);
    for (const secret of props.imagePullSecrets ?? []) {
      checkDns1123Subdomain(this, 'imagePullSecrets', secret);
    }
    this.validateDatabase();
    this.validateHighAvailability();
    if (props.uiApiUrl !== undefined) {
      checkBrowserUrl(this, 'uiApiUrl', props.uiApiUrl, true);
      if (!/\/api\/?$/.test(new URL(props.uiApiUrl).pathname)) {
        throw propError(this, 'uiApiUrl', props.uiApiUrl, 'the API URL, which ends in /api (e.g. "https://prefect.example.com/api")');
      }
    }
    if (props.basicAuth) this._checkBasicAuth(this, 'basicAuth', props.basicAuth);
    if (props.timeZone !== undefined) checkTimeZone(this, 'timeZone', props.timeZone);
    checkContainerResources(this, 'resources', props.resources);
    if (props.servicesResources && !this.highlyAvailable) {
      throw propError(this, 'servicesResources', 'set',
        'only with replicas > 1: a single server runs its background services in the API container (use resources)');
    }
    checkContainerResources(this, 'servicesResources', props.servicesResources);
    if (props.startupTimeout !== undefined) checkSeconds(this, 'startupTimeout', props.startupTimeout, PROBE_PERIOD_SECONDS, 3600);
    // The host and port are set by flags; database and messaging belong to their props whatever
    // the mode (a stray connection URL would override them); the rest as set, under either alias.
    const ownNames = new Set([...RESERVED_ENV, ...RESERVED_ENV.flatMap(settingAliases),
      ...this.sharedEnv().concat(this.serverOnlyEnv()).flatMap(e => settingAliases(e.name))]);
    checkExtraEnv(this, 'env', props.env ?? [], name => ownNames.has(name)
      ? 'a variable the construct does not set itself; configure it through PrefectApi\'s props (database, port, uiApiUrl, logLevel, analytics, basicAuth, timeZone) or its PrefectIngress (path)'
      : undefined);
  }

  /**
   * Two servers with one name in one chart would overwrite each other's objects. Charts of one app
   * are often alternatives (environments, clusters), so only the chart is checked.
   */
  private nameCollisions(): string[] {
    const clash = Chart.of(this).node.findAll().find(c => c !== this && c instanceof PrefectApi && c.name === this.name);
    return clash
      ? [propError(this, 'name', this.name, `a name no other PrefectApi in this chart uses (${clash.node.path} has it)`).message]
      : [];
  }

  private validateDatabase(): void {
    const version = this.image.version;
    const sqlite = this.database._sqlite;
    if (sqlite) {
      if (sqlite.size) checkSize(this, 'database.size', sqlite.size, 100);
      if (sqlite.storageClassName !== undefined) checkDns1123Subdomain(this, 'database.storageClassName', sqlite.storageClassName);
    }
    this.database._connectionUrl?._validate(this, 'database.connectionUrl');
    const parts = this.database._components;
    if (parts) {
      if (!version.isAtLeast(SINCE.DATABASE_COMPONENTS)) {
        throw propError(this, 'database', `PrefectDatabase.postgres() with Prefect ${version}`,
          `Prefect ${SINCE.DATABASE_COMPONENTS} or newer; for Prefect 2 use PrefectDatabase.postgresUrl() with the connection URL in a Secret`);
      }
      checkNonEmpty(this, 'database.host', parts.host);
      checkInteger(this, 'database.port', parts.port ?? 5432, 1, 65535);
      checkNonEmpty(this, 'database.user', parts.user);
      checkNonEmpty(this, 'database.databaseName', parts.databaseName);
      parts.password._validate(this, 'database.password');
    }
  }

  private validateHighAvailability(): void {
    const version = this.image.version;
    if (!this.highlyAvailable) {
      if (this.props.redis) {
        throw propError(this, 'redis', this.props.redis.host,
          'only with replicas > 1: a single server keeps its messaging in memory');
      }
      return;
    }
    if (this.database.isSqlite) {
      throw propError(this, 'replicas', this.replicas,
        '1 with SQLite, which allows a single writer; for more replicas use PostgreSQL (database: PrefectDatabase.postgres(...) or PrefectDatabase.postgresUrl(...)) and redis');
    }
    if (!version.isAtLeast(SINCE.HIGH_AVAILABILITY)) {
      throw propError(this, 'replicas', `${this.replicas} with Prefect ${version}`,
        `1, or Prefect ${SINCE.HIGH_AVAILABILITY} or newer: several API pods need \`--no-services\` to keep every loop service out of them, and Redis lease storage and event ordering`);
    }
    const redis = this.props.redis;
    if (!redis) {
      throw propError(this, 'redis', undefined,
        `Redis connection options when replicas is ${this.replicas}: API pods share events, ordering and leases through Redis`);
    }
    if (this.image.flavor === PrefectImageFlavor.STANDARD || this.image.flavor === PrefectImageFlavor.CONDA) {
      throw propError(this, 'image', this.image.reference,
        'an image with prefect-redis when replicas > 1, such as PrefectImage.official({ flavor: PrefectImageFlavor.KUBERNETES })');
    }
    checkNonEmpty(this, 'redis.host', redis.host);
    checkInteger(this, 'redis.port', redis.port ?? 6379, 1, 65535);
    checkInteger(this, 'redis.db', redis.db ?? 0, 0, 1_000_000);
    if (redis.username !== undefined) checkNonEmpty(this, 'redis.username', redis.username);
    redis.password?._validate(this, 'redis.password');
  }

  /**
   * Checks a basic auth Secret for this server's release, reporting errors against the construct
   * and prop that give it.
   * @internal
   */
  public _checkBasicAuth(scope: IConstruct, prop: string, authString: SecretKeyReference): void {
    authString._validate(scope, prop);
    const version = this.image.version;
    if (!version.isAtLeast(SINCE.BASIC_AUTH)) {
      throw propError(scope, prop, `Secret ${authString.secretName} with Prefect ${version}`,
        `Prefect ${SINCE.BASIC_AUTH} or newer: older servers have no basic auth, or also guard the health endpoints the probes use; put authentication in front of the server instead`);
    }
  }

  private labels(component: string): Record<string, string> {
    return recommendedLabels(this.name, component, this.image.version);
  }

  private setting(name: string): string {
    return serverSetting(this.image.version, name);
  }

  /** Environment of every server container: home, database, messaging, logging, extras. */
  private sharedEnv(): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [
      { name: 'HOME', value: HOME },
      { name: 'PREFECT_HOME', value: `${HOME}/.prefect` },
      ...this.databaseEnv(),
    ];
    if (this.highlyAvailable) {
      env.push({ name: this.setting('PREFECT_SERVER_DATABASE_MIGRATE_ON_START'), value: 'false' });
      env.push(...this.redisEnv());
    }
    env.push(
      { name: 'PREFECT_SERVER_ANALYTICS_ENABLED', value: String(this.props.analytics ?? false) },
      { name: this.setting('PREFECT_SERVER_LOGGING_LEVEL'), value: this.props.logLevel ?? PrefectLogLevel.WARNING },
    );
    if (this.props.timeZone) env.push({ name: 'TZ', value: this.props.timeZone });
    return env;
  }

  /** Environment only the API container needs: the UI and basic auth. */
  private serverOnlyEnv(): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [
      { name: this.setting('PREFECT_SERVER_UI_API_URL'), value: this.uiApiUrl },
      { name: this.setting('PREFECT_SERVER_UI_STATIC_DIRECTORY'), value: UI_DIRECTORY },
    ];
    const subPath = this.ingressOfApi?.path;
    if (subPath) {
      // Served under the ingress's sub-path as is: the UI's asset URLs are absolute.
      env.push(
        { name: this.setting('PREFECT_SERVER_UI_SERVE_BASE'), value: subPath },
        { name: 'PREFECT_SERVER_API_BASE_PATH', value: this.apiPath },
      );
    }
    if (this.basicAuth) env.push(secretEnv('PREFECT_SERVER_API_AUTH_STRING', this.basicAuth));
    return env;
  }

  private extraEnv(): k8s.EnvVar[] {
    return toEnvVars(this.props.env ?? []);
  }

  private databaseEnv(): k8s.EnvVar[] {
    const url = this.setting('PREFECT_SERVER_DATABASE_CONNECTION_URL');
    if (this.database.isSqlite) {
      return [{ name: url, value: `sqlite+aiosqlite:///${DATA_DIRECTORY}/prefect.db` }];
    }
    const connectionUrl = this.database._connectionUrl;
    if (connectionUrl) return [secretEnv(url, connectionUrl)];
    const parts = this.database._components!;
    return [
      { name: this.setting('PREFECT_SERVER_DATABASE_DRIVER'), value: 'postgresql+asyncpg' },
      { name: this.setting('PREFECT_SERVER_DATABASE_HOST'), value: parts.host },
      { name: this.setting('PREFECT_SERVER_DATABASE_PORT'), value: String(parts.port ?? 5432) },
      { name: this.setting('PREFECT_SERVER_DATABASE_USER'), value: parts.user },
      { name: this.setting('PREFECT_SERVER_DATABASE_NAME'), value: parts.databaseName },
      secretEnv(this.setting('PREFECT_SERVER_DATABASE_PASSWORD'), parts.password),
    ];
  }

  private redisEnv(): k8s.EnvVar[] {
    const redis = this.props.redis!;
    const version = this.image.version;
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
    if (version.isAtLeast(SINCE.DOCKET)) {
      // The kubelet expands $(VAR) from variables defined earlier, so the password stays in its Secret.
      const credentials = redis.password
        ? `${encodeURIComponent(redis.username ?? '')}:$(PREFECT_REDIS_MESSAGING_PASSWORD)@`
        : redis.username ? `${encodeURIComponent(redis.username)}@` : '';
      const scheme = redis.ssl ? 'rediss' : 'redis';
      env.push({ name: 'PREFECT_SERVER_DOCKET_URL', value: `${scheme}://${credentials}${redis.host}:${port}/${db}` });
    }
    return env;
  }

  private volumes(withUi: boolean): k8s.Volume[] {
    const volumes = writableVolumes();
    if (withUi) volumes.push({ name: 'ui', emptyDir: { sizeLimit: k8s.Quantity.fromString('512Mi') } });
    return volumes;
  }

  private volumeMounts(withUi: boolean): k8s.VolumeMount[] {
    const mounts = writableMounts();
    if (withUi) mounts.push({ name: 'ui', mountPath: UI_DIRECTORY });
    if (this.database.isSqlite) mounts.push({ name: 'data', mountPath: DATA_DIRECTORY });
    return mounts;
  }

  private podSpec(containers: k8s.Container[], volumes: k8s.Volume[], extra: Partial<k8s.PodSpec> = {}): k8s.PodSpec {
    const pullSecrets = this.props.imagePullSecrets ?? [];
    return {
      // The server never calls the Kubernetes API.
      automountServiceAccountToken: false,
      // Service links would inject PREFECT_SERVER_PORT-style variables from Services named prefect-*.
      enableServiceLinks: false,
      securityContext: restrictedPod(),
      containers,
      volumes,
      ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets.map(name => ({ name })) } : {}),
      ...extra,
    };
  }

  private container(name: string, args: string[], env: k8s.EnvVar[], resources: ContainerResources, withUi: boolean): k8s.Container {
    return {
      name,
      image: this.image.reference,
      imagePullPolicy: 'IfNotPresent',
      // The image's entrypoint (tini, then Prefect's entrypoint script) stays: only args are given.
      args,
      env: [...env, ...this.extraEnv()],
      resources: toRequirements(resources),
      securityContext: restrictedContainer(),
      volumeMounts: this.volumeMounts(withUi),
    };
  }

  private serverPodTemplate(): k8s.PodTemplateSpec {
    const args = ['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', String(this.port)];
    if (this.highlyAvailable) args.push('--no-services');
    const serverResources = mergeResources(DEFAULT_SERVER_RESOURCES, this.props.resources);
    const server: k8s.Container = {
      ...this.container('prefect-server', args, [], serverResources, true),
      // Resolved at synth: an ingress added later sets the UI's API URL and may add basic auth.
      env: Lazy.any({ produce: () => [...this.sharedEnv(), ...this.serverOnlyEnv(), ...this.extraEnv()] }),
      ports: [{ name: PORT_NAME, containerPort: this.port, protocol: 'TCP' }],
      // Resolved at synth, like the env: an ingress at a sub-path moves the API.
      startupProbe: Lazy.any({
        produce: () => httpGetProbe(`${this.apiPath}/health`, PORT_NAME,
          Math.ceil((this.props.startupTimeout ?? Duration.minutes(5)).toSeconds() / PROBE_PERIOD_SECONDS)),
      }),
      livenessProbe: Lazy.any({ produce: () => httpGetProbe(`${this.apiPath}/health`, PORT_NAME, 3) }),
      readinessProbe: Lazy.any({ produce: () => httpGetProbe(`${this.apiPath}/ready`, PORT_NAME, 3) }),
    };
    const spread: Partial<k8s.PodSpec> = this.highlyAvailable ? {
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
      }],
    } : {};
    return {
      metadata: { labels: this.labels(COMPONENT_SERVER) },
      spec: this.podSpec([server], this.volumes(true), { ...spread, ...this.schemaGate(serverResources) }),
    };
  }

  private sqliteStatefulSet(): ApiObject {
    const sqlite = this.database._sqlite!;
    return new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
      spec: {
        // SQLite is single-writer: one pod, and a StatefulSet never runs two pods with one identity,
        // so a rollout or node failure cannot put two servers on the database file.
        replicas: 1,
        serviceName: this.service.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
        // Deleting or scaling the StatefulSet keeps the database claim.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: this.serverPodTemplate(),
        volumeClaimTemplates: [{
          // Claim templates are immutable: only labels that never change (no version).
          metadata: { name: 'data', labels: stableLabels(this.name, COMPONENT_SERVER) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: sqlite.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString((sqlite.size ?? Size.gibibytes(5)).asString()) } },
          },
        }],
      },
    });
  }

  private serverDeployment(): ApiObject {
    return new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
      spec: {
        replicas: this.replicas,
        selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
        // A new pod is ready before an old one goes, so a rollout never drops the API.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) },
        },
        template: this.serverPodTemplate(),
      },
    });
  }

  /**
   * `prefect server services start` opens no port and has no health endpoint, so its container has
   * no probes: it exits (and is restarted) when a service fails fatally.
   */
  private servicesDeployment(): ApiObject {
    const resources = mergeResources(DEFAULT_SERVICES_RESOURCES, this.props.servicesResources);
    const container = this.container('prefect-services', ['prefect', 'server', 'services', 'start'], this.sharedEnv(), resources, false);
    return new k8s.KubeDeployment(this, 'Services', {
      metadata: { name: `${this.name}-services`, labels: this.labels(COMPONENT_SERVICES) },
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVICES) },
        // The loop services (scheduler, late runs, ...) must not run twice at once.
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: this.labels(COMPONENT_SERVICES) },
          spec: this.podSpec([container], this.volumes(false), this.schemaGate(resources)),
        },
      },
    });
  }

  /**
   * What keeps the pods of a highly available server from starting before the migration Job has
   * brought the schema to this release (programs/wait-for-schema.py).
   */
  private schemaGate(resources: ContainerResources): Partial<k8s.PodSpec> {
    if (!this.highlyAvailable) return {};
    return { initContainers: [this.container('wait-for-schema', ['python', '-c', programSource(Program.WAIT_FOR_SCHEMA, true)], this.sharedEnv(), resources, false)] };
  }

  private migration(): ApiObject {
    const container = this.container('prefect-migrate', ['prefect', 'server', 'database', 'upgrade', '-y'], this.sharedEnv(),
      mergeResources(DEFAULT_SERVER_RESOURCES, this.props.resources), false);
    const template: k8s.PodTemplateSpec = {
      metadata: { labels: this.labels(COMPONENT_MIGRATION) },
      spec: this.podSpec([container], this.volumes(false), { restartPolicy: 'Never' }),
    };
    // A Job's pod template is immutable: a new image or database gets a Job of its own name.
    const digest = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 8);
    return new k8s.KubeJob(this, 'Migration', {
      metadata: { name: `${this.name}-migrate-${digest}`, labels: this.labels(COMPONENT_MIGRATION) },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template,
      },
    });
  }
}
