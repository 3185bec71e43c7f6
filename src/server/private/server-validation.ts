import { IConstruct } from 'constructs';
import { EnvironmentVariable } from '../../core/environment-variable';
import { PrefectLogLevel } from '../../core/log-level';
import { PrefectImage, PrefectImageFlavor } from '../../core/prefect-image';
import { PrefectVersion } from '../../core/prefect-version';
import { autoscalingTargets, checkAutoscaling } from '../../core/private/autoscaler';
import { checkPodOptions } from '../../core/private/pod-options';
import { settingAliases, settingNames, SETTINGS, SINCE } from '../../core/private/prefect-settings';
import { PROBE_PERIOD_SECONDS } from '../../core/private/probes';
import { checkContainerResources } from '../../core/private/resources';
import { checkSidecarRequests } from '../../core/private/user-containers';
import {
  checkAnnotations, checkBrowserUrl, checkCidr, checkDns1035Label, checkDns1123Subdomain, checkEnum, checkExtraEnv, checkInteger, checkNonEmpty,
  checkBooleans, checkInstance, checkLists, checkSecretReference, checkRequired, checkSeconds, checkServerHost, checkSize, checkString, checkTimeZone, propError,
} from '../../core/private/validation';
import { SecretKeyReference } from '../../core/secret-key-reference';
import { ValidationCode } from '../../core/validation-code';
import { ExternalServiceOptions, ExternalServiceType } from '../external-service';
import type { PrefectApiProps } from '../prefect-api-props';
import { PrefectDatabase } from '../prefect-database';
import { ResolvedServer, ServerExposure } from './resolved-server';
import { serverOnlyEnv, sharedEnv } from './server-env';

/** The server's own settings, under every name, whether or not this configuration emits them. */
const RESERVED_ENV = settingNames(SETTINGS.server);

// Leaves room for the longest derived name, "<name>-migrate-<8 hex>", within 63 characters.
const MAX_NAME_LENGTH = 46;

export function validateServer(scope: IConstruct, server: ResolvedServer, exposure: ServerExposure): void {
  const props = server.props;
  const version = server.version;
  checkEnum(scope, 'logLevel', props.logLevel, PrefectLogLevel, 'PrefectLogLevel');
  checkDns1035Label(scope, 'name', server.name, MAX_NAME_LENGTH);
  if (!version.isAtLeast(SINCE.WRITABLE_UI_DIRECTORY)) {
    throw propError(scope, 'image', `${server.image.reference} (Prefect ${version})`,
      `Prefect ${SINCE.WRITABLE_UI_DIRECTORY} or newer (Prefect 1 has no \`prefect server start\`; older 2.x releases write the UI into the image, which a read-only root filesystem forbids)`, ValidationCode.RELEASE);
  }
  checkReplicas(scope, server);
  checkInteger(scope, 'port', server.port, 1024, 65535);
  for (const secret of props.imagePullSecrets ?? []) {
    checkDns1123Subdomain(scope, 'imagePullSecrets', secret);
  }
  validateDatabase(scope, server);
  validateHighAvailability(scope, server);
  if (props.uiApiUrl !== undefined) {
    checkBrowserUrl(scope, 'uiApiUrl', props.uiApiUrl, true);
    if (!/\/api\/?$/.test(new URL(props.uiApiUrl).pathname)) {
      throw propError(scope, 'uiApiUrl', props.uiApiUrl, 'the API URL, which ends in /api (e.g. "https://prefect.example.com/api")', ValidationCode.URL);
    }
  }
  if (props.basicAuth) checkBasicAuth(scope, 'basicAuth', props.basicAuth, server.version);
  if (props.timeZone !== undefined) checkTimeZone(scope, 'timeZone', props.timeZone);
  checkContainerResources(scope, 'resources', props.resources);
  if (props.servicesResources && !server.highlyAvailable) {
    throw propError(scope, 'servicesResources', 'set',
      'only with replicas > 1: a single server runs its background services in the API container (use resources)', ValidationCode.CONFLICT);
  }
  checkContainerResources(scope, 'servicesResources', props.servicesResources);
  checkServerPods(scope, server);
  if (props.startupTimeout !== undefined) checkSeconds(scope, 'startupTimeout', props.startupTimeout, PROBE_PERIOD_SECONDS, 3600);
  // The server's settings belong to its props whatever the mode (a stray connection URL would
  // override the database); what else the pods get (HOME, TZ), under every name, as set.
  const ownNames = new Set([...RESERVED_ENV,
    ...sharedEnv(server).concat(serverOnlyEnv(server, exposure)).flatMap(e => settingAliases(e.name))]);
  checkExtraEnv(scope, 'env', props.env ?? [], name => ownNames.has(name)
    ? 'a variable the construct does not set itself; configure it through PrefectApi\'s props (database, port, uiApiUrl, logLevel, analytics, basicAuth, timeZone) or its PrefectIngress (path)'
    : undefined);
}

function validateDatabase(scope: IConstruct, server: ResolvedServer): void {
  const version = server.version;
  const sqlite = server.database._sqlite;
  if (sqlite) {
    if (sqlite.size !== undefined) checkSize(scope, 'database.size', sqlite.size, 100);
    if (sqlite.storageClassName !== undefined) checkDns1123Subdomain(scope, 'database.storageClassName', sqlite.storageClassName);
  }
  server.database._connectionUrl?._validate(scope, 'database.connectionUrl');
  const parts = server.database._components;
  if (parts) {
    if (!version.isAtLeast(SINCE.DATABASE_COMPONENTS)) {
      throw propError(scope, 'database', `PrefectDatabase.postgres() with Prefect ${version}`,
        `Prefect ${SINCE.DATABASE_COMPONENTS} or newer; for Prefect 2 use PrefectDatabase.postgresUrl() with the connection URL in a Secret`, ValidationCode.RELEASE);
    }
    const required = { host: 'the PostgreSQL host name', user: 'the database user', databaseName: 'the database name', password: 'a SecretKeyReference' };
    for (const [key, what] of Object.entries(required)) checkRequired(scope, `database.${key}`, parts[key as keyof typeof required], what);
    checkServerHost(scope, 'database.host', parts.host);
    checkInteger(scope, 'database.port', parts.port ?? 5432, 1, 65535);
    checkNonEmpty(scope, 'database.user', parts.user);
    checkNonEmpty(scope, 'database.databaseName', parts.databaseName);
    parts.password._validate(scope, 'database.password');
  }
}

/** What a JavaScript or Python caller can pass of another type, checked before the props are resolved. */
/**
 * The API pods, fixed or autoscaled (then highly available: at least two), and the background
 * services pods, which only Prefect releases whose loop services all run on docket may multiply.
 */
function checkReplicas(scope: IConstruct, server: ResolvedServer): void {
  const props = server.props;
  if (props.autoscaling !== undefined && props.replicas !== undefined) {
    throw propError(scope, 'replicas', props.replicas, 'unset with autoscaling, whose minReplicas and maxReplicas give the API pods', ValidationCode.CONFLICT);
  }
  if (props.autoscaling !== undefined) {
    checkAutoscaling(scope, 'autoscaling', props.autoscaling, 2);
    checkSidecarRequests(scope, 'pod.sidecars', props.pod?.sidecars, autoscalingTargets(props.autoscaling));
  } else {
    checkInteger(scope, 'replicas', server.replicas, 1, 100);
  }
  if (props.servicesReplicas === undefined) return;
  checkInteger(scope, 'servicesReplicas', props.servicesReplicas, 1, 20);
  if (props.servicesReplicas > 1 && !server.highlyAvailable) {
    throw propError(scope, 'servicesReplicas', props.servicesReplicas, '1 on a server with one API pod, which runs its background services itself', ValidationCode.CONFLICT);
  }
  if (props.servicesReplicas > 1 && !server.version.isAtLeast(SINCE.SCALABLE_SERVICES)) {
    throw propError(scope, 'servicesReplicas', `${props.servicesReplicas} with Prefect ${server.version}`,
      `1, or Prefect ${SINCE.SCALABLE_SERVICES} or newer: before it, loop services such as the scheduler and the late-runs service are not docket tasks and would run once per pod`, ValidationCode.RELEASE);
  }
}

/** The pod options of the server's workloads: the services' and migration's only when they exist. */
function checkServerPods(scope: IConstruct, server: ResolvedServer): void {
  checkPodOptions({ scope, prop: 'pod', options: server.props.pod });
  for (const prop of ['servicesPod', 'migrationPod'] as const) {
    const options = server.props[prop];
    if (options === undefined) continue;
    if (!server.highlyAvailable) {
      throw propError(scope, prop, 'set', 'only with replicas > 1: a single server has no separate background services or migration Job (use pod)', ValidationCode.CONFLICT);
    }
    checkPodOptions({ scope, prop, options });
    if (options?.serviceAccount !== undefined) {
      throw propError(scope, `${prop}.serviceAccount`, 'set', 'unset: every server pod runs as the server\'s ServiceAccount (annotate it with pod.serviceAccount)', ValidationCode.CONFLICT);
    }
  }
}

export function checkServerShapes(scope: IConstruct, props: PrefectApiProps): void {
  checkInstance(scope, 'image', props.image, PrefectImage, 'a PrefectImage: PrefectImage.official() or fromRegistry()');
  checkInstance(scope, 'database', props.database, PrefectDatabase, 'a PrefectDatabase: sqlite(), postgres() or postgresUrl()');
  checkSecretReference(scope, 'basicAuth', props.basicAuth, SecretKeyReference);
  checkSecretReference(scope, 'redis.password', props.redis?.password, SecretKeyReference);
  checkSecretReference(scope, 'database.password', props.database?._components?.password, SecretKeyReference);
  for (const prop of ['name', 'uiApiUrl', 'timeZone'] as const) if (props[prop] !== undefined) checkString(scope, prop, props[prop]);
  checkLists(scope, { imagePullSecrets: props.imagePullSecrets }, 'string');
  checkLists(scope, { env: props.env }, { type: EnvironmentVariable, what: 'an EnvironmentVariable: EnvironmentVariable.fromValue() or fromSecret()' });
  checkBooleans(scope, { 'analytics': props.analytics, 'redis.ssl': props.redis?.ssl });
}

function validateHighAvailability(scope: IConstruct, server: ResolvedServer): void {
  const version = server.version;
  if (!server.highlyAvailable) {
    if (server.props.redis) {
      throw propError(scope, 'redis', server.props.redis.host,
        'only with replicas > 1: a single server keeps its messaging in memory', ValidationCode.CONFLICT);
    }
    return;
  }
  if (server.database.isSqlite) {
    throw propError(scope, server.replicasProp, server.replicas,
      '1 with SQLite, which allows a single writer; for more replicas use PostgreSQL (database: PrefectDatabase.postgres(...) or PrefectDatabase.postgresUrl(...)) and redis', ValidationCode.CONFLICT);
  }
  if (!version.isAtLeast(SINCE.HIGH_AVAILABILITY)) {
    throw propError(scope, server.replicasProp, `${server.replicas} with Prefect ${version}`,
      `1, or Prefect ${SINCE.HIGH_AVAILABILITY} or newer: several API pods need \`--no-services\` to keep every loop service out of them, and Redis lease storage and event ordering`, ValidationCode.RELEASE);
  }
  const redis = server.props.redis;
  if (!redis) {
    throw propError(scope, 'redis', undefined,
      `Redis connection options when replicas is ${server.replicas}: API pods share events, ordering and leases through Redis`, ValidationCode.REQUIRED);
  }
  if (server.image.flavor === PrefectImageFlavor.STANDARD || server.image.flavor === PrefectImageFlavor.CONDA) {
    throw propError(scope, 'image', server.image.reference,
      'an image with prefect-redis when replicas > 1, such as PrefectImage.official({ flavor: PrefectImageFlavor.KUBERNETES })', ValidationCode.IMAGE);
  }
  checkRequired(scope, 'redis.host', redis.host, 'the Redis host name');
  checkServerHost(scope, 'redis.host', redis.host);
  checkInteger(scope, 'redis.port', redis.port ?? 6379, 1, 65535);
  checkInteger(scope, 'redis.db', redis.db ?? 0, 0, 1_000_000);
  if (redis.username !== undefined) checkNonEmpty(scope, 'redis.username', redis.username);
  redis.password?._validate(scope, 'redis.password');
}

/** Checks a basic auth Secret for a server of this release, reporting errors against the construct and prop that give it. */
export function checkBasicAuth(scope: IConstruct, prop: string, authString: SecretKeyReference, version: PrefectVersion): void {
  authString._validate(scope, prop);
  if (!version.isAtLeast(SINCE.BASIC_AUTH)) {
    throw propError(scope, prop, `Secret ${authString.secretName} with Prefect ${version}`,
      `Prefect ${SINCE.BASIC_AUTH} or newer: older servers have no basic auth, or also guard the health endpoints the probes use; put authentication in front of the server instead`, ValidationCode.RELEASE);
  }
}

/** What gives the UI its API URL: the ingress, the external Service's address, the uiApiUrl prop. */
export interface BrowserUrlSources {
  readonly ingressPath?: string;
  readonly externalService: boolean;
  readonly externalAddress?: string;
  readonly uiApiUrl?: string;
}

/** The UI can call the API at one URL only, so exactly one place may give it. */
export function browserUrlProblems(scope: IConstruct, given: BrowserUrlSources): string[] {
  const sources = [
    ...(given.ingressPath ? [{ prop: 'ingress', value: given.ingressPath, what: `the ingress ${given.ingressPath}` }] : []),
    ...(given.externalAddress ? [{ prop: 'exposeViaService.address', value: given.externalAddress, what: 'exposeViaService\'s address' }] : []),
    ...(given.uiApiUrl !== undefined ? [{ prop: 'uiApiUrl', value: given.uiApiUrl, what: 'the uiApiUrl prop' }] : []),
  ];
  if (sources.length > 1) {
    const [first, second] = sources;
    return [propError(scope, second.prop, second.value,
      `unset: ${first.what} gives the browser-facing URL already, and the UI can call the API at one URL only (an ingress sets it, so leave uiApiUrl and the Service address unset)`, ValidationCode.CONFLICT).message];
  }
  if (given.externalService && sources.length === 0) {
    return [propError(scope, 'exposeViaService.address', undefined,
      'the URL at which browsers reach the external Service (e.g. "http://prefect.example.com:30420"): without it the UI would call the API on localhost', ValidationCode.REQUIRED).message];
  }
  return [];
}

/** Checks the options of `exposeViaService`, whose Service port defaults to the API's. */
export function checkExternalService(scope: IConstruct, options: ExternalServiceOptions, port: number): void {
  const prop = (name: string) => `exposeViaService.${name}`;
  checkRequired(scope, prop('serviceType'), options.serviceType, 'ExternalServiceType.NODE_PORT or ExternalServiceType.LOAD_BALANCER');
  if (!Object.values(ExternalServiceType).includes(options.serviceType)) {
    throw propError(scope, prop('serviceType'), options.serviceType, 'ExternalServiceType.NODE_PORT or ExternalServiceType.LOAD_BALANCER', ValidationCode.CHOICE);
  }
  if (options.address !== undefined) checkBrowserUrl(scope, prop('address'), options.address, false);
  checkInteger(scope, prop('port'), port, 1, 65535);
  if (options.nodePort !== undefined) checkInteger(scope, prop('nodePort'), options.nodePort, 30000, 32767);
  checkLists(scope, { [prop('loadBalancerSourceRanges')]: options.loadBalancerSourceRanges }, 'string');
  if (options.loadBalancerSourceRanges !== undefined && options.loadBalancerSourceRanges !== null) {
    if (options.serviceType !== ExternalServiceType.LOAD_BALANCER) {
      throw propError(scope, prop('loadBalancerSourceRanges'), options.loadBalancerSourceRanges.join(','), 'unset unless serviceType is ExternalServiceType.LOAD_BALANCER', ValidationCode.CONFLICT);
    }
    for (const range of options.loadBalancerSourceRanges) checkCidr(scope, prop('loadBalancerSourceRanges'), range);
  }
  checkAnnotations(scope, prop('annotations'), options.annotations ?? {});
}
