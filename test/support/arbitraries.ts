/**
 * Random valid configurations of a `PrefectPlatform` (fast-check), combining the options of every
 * construct it composes within the rules the constructs enforce, and the invariants every
 * synthesized configuration must hold.
 */
import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import * as yaml from 'yaml';
import {
  DaskScratch, EnvironmentVariable, ExternalServiceType, IngressAccessControl, IngressTls, NetworkDestination, PrefectApi, PrefectApiProps, PrefectNetworkPolicies, PrefectNetworkPoliciesOptions,
  PrefectWorkerPool, NetworkIsolation, PlatformServer, PrefectConnection, PrefectDatabase,
  PrefectImage, PrefectImageFlavor, PrefectIngressOptions, PrefectLogLevel, PrefectPlatform, PrefectPlatformProps,
  PrefectPlatformWorkerPoolOptions, PrefectPodOptions, PrefectVersion, QueueDeployments, SecretKeyReference, WorkerRuntime, WorkPoolType,
} from '../../src';
import { problems } from './checks';
import { flowRunJobsOf } from './job-template';
import { restrictedViolations } from './pod-security';

type Json = any;

/** Releases with different settings names and features: before and after the floors the constructs check. */
const SERVER_VERSIONS = ['3.8.3', '3.6.0', '3.4.23', '3.4.16', '3.4.1', '3.2.12', '3.1.13', '3.0.0', '2.20.25', '2.14.16'];
const secret = (name: string, key: string) => SecretKeyReference.fromSecret(name, key);
const at = (version: string, floor: string) => PrefectVersion.of(version).isAtLeast(floor);

/** A platform's configuration: the props, and the random choices they came from (what a failure prints). */
export interface PlatformCase {
  readonly description: Json;
  readonly props: PrefectPlatformProps;
  /** What is added after construction: an external Service in front of the server. */
  readonly after?: (platform: PrefectPlatform) => void;
  /** The parts the props were made of, as given to the value classes. */
  readonly parts: CaseParts;
}

/** What a case's value classes (PlatformServer, IngressTls, NetworkIsolation...) were made from. */
export interface CaseParts {
  /** The deployed server's props. */
  readonly apiProps?: PrefectApiProps;
  /** The connection to a server elsewhere. */
  readonly connection?: PrefectConnection;
  readonly tls?: 'secret' | 'certManager' | 'upstream' | 'none';
  readonly access?: 'prefect' | 'nginx' | 'none';
  /** The network policies' options, unless the case has none. */
  readonly policies?: PrefectNetworkPoliciesOptions;
}

function printable(c: PlatformCase): PlatformCase {
  return Object.assign(c, { [fc.toStringMethod]: () => JSON.stringify(c.description) });
}

const queueNames = fc.uniqueArray(fc.constantFrom('default', 'high', 'low', 'gpu', 'Prod Main'), { maxLength: 3 });

function poolArbitrary(version: string, index: number, jobNamespaces: string[], withDask: boolean): fc.Arbitrary<Json> {
  const prefect2 = version.startsWith('2.');
  return fc.record({
    runtime: prefect2 ? fc.constantFrom('worker', 'agent') : fc.constant('worker'),
    type: fc.constantFrom(WorkPoolType.KUBERNETES, WorkPoolType.KUBERNETES, WorkPoolType.PROCESS),
    queues: queueNames,
    perQueue: fc.boolean(),
    replicas: fc.integer({ min: 1, max: 3 }),
    limit: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    logLevel: fc.option(fc.constantFrom(PrefectLogLevel.DEBUG, PrefectLogLevel.WARNING), { nil: undefined }),
    jobNamespace: fc.option(fc.constantFrom(...jobNamespaces), { nil: undefined }),
    additional: fc.subarray(['team-a', 'team-b']),
    ttlHours: fc.option(fc.integer({ min: 1, max: 48 }), { nil: undefined }),
    memoryGi: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
    pip: fc.boolean(),
    files: fc.boolean(),
    timeZone: fc.option(fc.constantFrom('UTC', 'Europe/Warsaw'), { nil: undefined }),
    managePool: fc.boolean(),
    useDask: fc.boolean().map(b => b && withDask),
    extras: fc.record({
      env: fc.boolean(), resources: fc.boolean(), nodeSelector: fc.boolean(), concurrencyLimit: fc.boolean(), workerName: fc.boolean(),
      prefetchSeconds: fc.option(fc.integer({ min: 5, max: 120 }), { nil: undefined }),
      querySeconds: fc.option(fc.integer({ min: 5, max: 60 }), { nil: undefined }),
      name: fc.boolean(),
      clusterUid: fc.boolean(),
      podOptions: fc.boolean(),
      flowRunPod: fc.boolean(),
      budget: fc.boolean(),
    }),
  }).map(p => ({ ...p, poolName: ['etl', 'reports', 'ml', 'adhoc'][index] }));
}

/** Pod options of workers: scheduling, metadata, an extra volume and an init container using it. */
function workerPod(nodeSelector: boolean, more: boolean): PrefectPodOptions {
  return {
    ...(nodeSelector ? { nodeSelector: { 'kubernetes.io/os': 'linux' } } : {}),
    ...(more ? {
      labels: { team: 'data' },
      annotations: { 'example.com/owner': 'data-platform' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'prefect', effect: 'NoSchedule' }],
      volumes: [{ name: 'certs', emptyDir: {} }],
      volumeMounts: [{ name: 'certs', mountPath: '/etc/company-certs', readOnly: true }],
      initContainers: [{
        name: 'fetch-certs', image: 'registry.example.com/tools/fetch-certs:1.4.0',
        resources: { limits: { memory: k8s.Quantity.fromString('64Mi') } },
        volumeMounts: [{ name: 'certs', mountPath: '/certs' }],
      }],
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prefect-worker' } },
      terminationGracePeriod: Duration.seconds(60),
    } : {}),
  };
}

/** Pod options of flow runs (their own account, unless Dask owns it). */
function flowRunPod(dask: boolean): PrefectPodOptions {
  return {
    nodeSelector: { 'node.kubernetes.io/instance-type': 'm6i.2xlarge' },
    tolerations: [{ key: 'spot', operator: 'Exists', effect: 'NoSchedule' }],
    labels: { cost: 'batch' },
    terminationGracePeriod: Duration.seconds(120),
    ...(dask ? {} : { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/flows' } } }),
  };
}

function toPoolOptions(p: Json, version: string): PrefectPlatformWorkerPoolOptions {
  const agent = p.runtime === 'agent';
  const kubernetesWorker = !agent && p.type === WorkPoolType.KUBERNETES;
  const managed = p.managePool && !agent;
  const templated = kubernetesWorker && managed;
  // Namespaces beside the job template's own.
  const additional = p.additional.filter((n: string) => n !== (templated ? p.jobNamespace : undefined));
  const x = p.extras;
  const dask = p.useDask && templated && at(version, '3.0.0');
  const jobTemplate = templated ? {
    namespace: p.jobNamespace,
    finishedJobTtl: p.ttlHours ? Duration.hours(p.ttlHours) : undefined,
    resources: p.memoryGi ? { memory: { request: Size.gibibytes(p.memoryGi), limit: Size.gibibytes(p.memoryGi * 2) } } : undefined,
    pod: x.flowRunPod ? flowRunPod(dask) : undefined,
  } : undefined;
  const perQueue = p.perQueue && p.queues.length > 0;
  return {
    poolName: p.poolName,
    name: x.name ? `${p.poolName}-pool-workers` : undefined,
    env: x.env ? [EnvironmentVariable.fromValue('HTTPS_PROXY', 'http://proxy.example.com:3128'), EnvironmentVariable.fromSecret('GITHUB_TOKEN', secret('github', 'token'))] : undefined,
    resources: x.resources ? { cpu: { request: Cpu.millis(200) }, memory: { request: Size.mebibytes(384), limit: Size.mebibytes(768) } } : undefined,
    pod: x.nodeSelector || x.podOptions ? workerPod(x.nodeSelector, x.podOptions) : undefined,
    disruptionBudget: x.budget ? { maxUnavailable: 1 } : undefined,
    prefetch: x.prefetchSeconds && !agent ? Duration.seconds(x.prefetchSeconds) : undefined,
    queryInterval: x.querySeconds ? Duration.seconds(x.querySeconds) : undefined,
    // A fixed cluster id, which only releases before 3.4.1 read.
    clusterUid: x.clusterUid && p.type === WorkPoolType.KUBERNETES && !at(version, '3.4.1') ? 'c0ffee00-1234-4abc-9def-000000000001' : undefined,
    // A worker's own name, for its only pod.
    workerName: x.workerName && !agent && p.replicas === 1 && !perQueue ? `${p.poolName}-worker-1` : undefined,
    runtime: agent ? WorkerRuntime.prefect2Agent() : undefined,
    type: agent ? undefined : p.type,
    // Queues of a pool managed elsewhere are not created here: no priority or limit.
    queues: p.queues.map((name: string, i: number) => (managed ? { name, priority: i + 1, concurrencyLimit: x.concurrencyLimit ? 5 * (i + 1) : undefined } : { name })),
    queueDeployments: perQueue ? QueueDeployments.PER_QUEUE : undefined,
    replicas: p.replicas,
    limit: agent ? undefined : p.limit,
    logLevel: p.logLevel,
    jobTemplate,
    additionalJobNamespaces: (agent || p.type === WorkPoolType.KUBERNETES) && additional.length > 0 ? additional : undefined,
    pipPackages: p.pip ? ['prefect-aws==0.5.10'] : undefined,
    configFiles: p.files ? [{ path: '/etc/krb5.conf', content: '[libdefaults]\n  default_realm = EXAMPLE.COM\n' }] : undefined,
    timeZone: p.timeZone,
    managePool: agent || p.managePool ? undefined : false,
    useDask: dask ? true : undefined,
  };
}

/** A deployed server, its ingress and its pools. */
const deployedArbitrary = fc.constantFrom(...SERVER_VERSIONS).chain(version => fc.record({
  version: fc.constant(version),
  database: fc.constantFrom('sqlite', 'postgresUrl', ...(at(version, '3.0.0') ? ['postgres'] : [])),
  highlyAvailable: fc.boolean().map(b => b && at(version, '3.4.16')),
  replicas: fc.integer({ min: 2, max: 4 }),
  basicAuth: fc.boolean().map(b => b && at(version, '3.1.13')),
  sqliteGi: fc.integer({ min: 1, max: 20 }),
  logLevel: fc.option(fc.constantFrom(PrefectLogLevel.INFO, PrefectLogLevel.DEBUG), { nil: undefined }),
  timeZone: fc.option(fc.constantFrom('UTC', 'America/New_York'), { nil: undefined }),
  python: fc.constantFrom('3.10', '3.11', '3.12').map(p => (version.startsWith('2.14') && p === '3.12' ? '3.11' : p)),
  serverEnv: fc.boolean(),
  serverName: fc.constantFrom(undefined, 'orchestrator'),
  uiApiUrl: fc.boolean(),
  daskQuota: fc.boolean(),
  daskAgesHours: fc.option(fc.integer({ min: 2, max: 72 }), { nil: undefined }),
  serverResources: fc.boolean(),
  startupMinutes: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  exposeService: fc.constantFrom('none', 'nodePort', 'loadBalancer'),
  daskWorkers: fc.integer({ min: 1, max: 4 }),
  daskScratchGi: fc.integer({ min: 1, max: 20 }),
  ingress: fc.option(fc.record({
    hosts: fc.uniqueArray(fc.constantFrom('prefect.example.com', 'flows.example.org', 'prefect.internal'), { minLength: 1, maxLength: 2 }),
    tls: fc.constantFrom('secret', 'certManager', 'upstream', 'none'),
    access: fc.constantFrom('none', 'prefect', 'nginx'),
    className: fc.constantFrom('nginx', 'traefik', undefined),
    subPath: fc.boolean().map(b => b && at(version, '3.4.13')),
  }), { nil: undefined }),
  pools: fc.integer({ min: 0, max: 3 }),
  dask: fc.boolean().map(b => b && at(version, '3.0.0')),
  daskNamespace: fc.boolean(),
}));

function deployedCase(d: Json, pools: Json[], common: Json): PlatformCase {
  const image = PrefectImage.official({ version: PrefectVersion.of(d.version), pythonVersion: d.python });
  const postgres = d.database !== 'sqlite';
  const ha = d.highlyAvailable && postgres;
  let ingress: PrefectIngressOptions | undefined;
  let tls: CaseParts['tls'];
  const access: CaseParts['access'] = !d.ingress ? undefined : d.ingress.access === 'prefect' && !at(d.version, '3.1.13') ? 'none' : d.ingress.access;
  // The server's own basic auth, without an ingress (which must then name it as its access control).
  const serverAuth = d.basicAuth && access === undefined;
  if (d.ingress) {
    const i = d.ingress;
    // Basic auth travels over HTTPS only, and nginx's needs the nginx class.
    tls = (access !== 'none' || serverAuth) && i.tls === 'none' ? 'secret' : i.tls;
    const className = access === 'nginx' ? 'nginx' : i.className;
    ingress = {
      hosts: i.hosts,
      ingressClassName: className,
      tls: tls === 'secret' ? IngressTls.fromSecret('prefect-tls') : tls === 'certManager' ? IngressTls.certManager({ clusterIssuer: 'letsencrypt' })
        : tls === 'upstream' ? IngressTls.terminatedUpstream() : IngressTls.none(),
      accessControl: access === 'prefect' ? IngressAccessControl.prefectBasicAuth(secret('prefect-basic-auth', 'auth-string'))
        : access === 'nginx' ? IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'prefect-htpasswd' }) : IngressAccessControl.none(),
      path: i.subPath ? '/prefect' : undefined,
    };
  }
  const flows = PrefectImage.fromRegistry('registry.example.com/flows:2026.12.1', PrefectVersion.of(d.version));
  const workerPools = pools.map(p => toPoolOptions(p, d.version));
  // A DaskScratch no pool uses is refused.
  const dask = d.dask && workerPools.some(p => p.useDask);
  // A NodePort or LoadBalancer Service; it gives the browser URL only where no ingress does.
  const exposesAddress = d.exposeService !== 'none' && !ingress;
  const after = d.exposeService === 'none' ? undefined : (platform: PrefectPlatform) => platform.api!.exposeViaService({
    serviceType: d.exposeService === 'nodePort' ? ExternalServiceType.NODE_PORT : ExternalServiceType.LOAD_BALANCER,
    address: exposesAddress ? 'http://prefect.example.com:30420' : undefined,
    nodePort: d.exposeService === 'nodePort' ? 30420 : undefined,
    loadBalancerSourceRanges: d.exposeService === 'loadBalancer' ? ['203.0.113.0/24'] : undefined,
  });
  const apiProps: PrefectApiProps = {
    image,
    database: d.database === 'sqlite' ? PrefectDatabase.sqlite({ size: Size.gibibytes(d.sqliteGi) })
      : d.database === 'postgresUrl' ? PrefectDatabase.postgresUrl(secret('prefect-db', 'url'))
        : PrefectDatabase.postgres({ host: 'postgres.db.svc.cluster.local', user: 'prefect', databaseName: 'prefect', password: secret('prefect-db', 'password') }),
    replicas: ha ? d.replicas : undefined,
    redis: ha ? { host: 'redis.db.svc.cluster.local', password: secret('redis', 'password') } : undefined,
    basicAuth: serverAuth ? secret('prefect-auth', 'auth-string') : undefined,
    logLevel: d.logLevel,
    timeZone: d.timeZone,
    env: d.serverEnv ? [EnvironmentVariable.fromValue('PREFECT_SERVER_API_KEEPALIVE_TIMEOUT', '10')] : undefined,
    resources: d.serverResources ? { cpu: { request: Cpu.units(1) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } } : undefined,
    startupTimeout: d.startupMinutes ? Duration.minutes(d.startupMinutes) : undefined,
    name: d.serverName,
    // The browser's API URL where neither an ingress nor an external Service gives it.
    uiApiUrl: d.uiApiUrl && !ingress && !exposesAddress ? 'https://prefect.example.com/api' : undefined,
  };
  const policies = networkPolicies(common.policies, ingress?.ingressClassName);
  return {
    after,
    description: { ...common, props: undefined, server: d, pools },
    parts: { apiProps, tls, access, policies: policies.options },
    props: {
      ...common.props,
      server: PlatformServer.deploy(apiProps),
      ingress,
      dask: dask ? {
        image: flows,
        namespace: d.daskNamespace ? 'dask-scratch' : undefined,
        workers: d.daskWorkers,
        scratchSize: Size.gibibytes(d.daskScratchGi),
        quota: d.daskNamespace && d.daskQuota ? { pods: 20, cpu: Cpu.units(16), memory: Size.gibibytes(64), ephemeralStorage: Size.gibibytes(400) } : undefined,
        maxClusterLifetime: d.daskAgesHours ? Duration.hours(d.daskAgesHours) : undefined,
        finishedPodAge: d.daskAgesHours ? Duration.hours(1) : undefined,
        finishedJobAge: d.daskAgesHours ? Duration.hours(d.daskAgesHours) : undefined,
      } : undefined,
      workerPools: workerPools.map(p => (dask ? p : { ...p, useDask: undefined })),
      networkPolicies: policies.isolation,
    },
  };
}

function networkPolicies(on: boolean, ingressClassName: string | undefined): { isolation: NetworkIsolation; options?: PrefectNetworkPoliciesOptions } {
  if (!on) return { isolation: NetworkIsolation.none() };
  const options: PrefectNetworkPoliciesOptions = {
    // Another controller than ingress-nginx must be named.
    ingressControllerNamespace: ingressClassName === 'nginx' ? undefined : 'ingress-controller',
    kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [443, 6443]),
    flowRunEgress: [NetworkDestination.anywhere([443])],
  };
  return { isolation: NetworkIsolation.defaultDeny(options), options };
}

const commonArbitrary = fc.record({
  namespace: fc.constantFrom('prefect', 'data-platform', undefined),
  createNamespaces: fc.boolean(),
  labels: fc.option(fc.constant({ team: 'data' }), { nil: undefined }),
  policies: fc.boolean(),
}).map(c => ({ ...c, props: { namespace: c.namespace, createNamespaces: c.createNamespaces, labels: c.labels } }));

/** Workers for Prefect Cloud, a server at a URL, or the Prefect 1 agent: no server deployed. */
const externalArbitrary = fc.record({
  kind: fc.constantFrom('cloud', 'url', 'prefect1'),
  version: fc.constantFrom('3.8.3', '3.4.1', '2.20.25'),
  authString: fc.boolean(),
  pools: fc.integer({ min: 1, max: 3 }),
});

function externalCase(e: Json, pools: Json[], common: Json): PlatformCase {
  const props = common.props;
  const policies = networkPolicies(common.policies, undefined);
  if (e.kind === 'prefect1') {
    const apollo = PrefectConnection.fromUrl('http://apollo.prefect-server.svc.cluster.local:4200/graphql');
    return {
      description: { ...common, props: undefined, external: e },
      parts: { connection: apollo, policies: policies.options },
      props: {
        ...props,
        server: PlatformServer.external(apollo),
        workerPools: [{
          runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: ['dev'] }),
          image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
          jobTemplate: { namespace: pools[0]?.jobNamespace },
        }],
        networkPolicies: policies.isolation,
      },
    };
  }
  const connection = e.kind === 'cloud'
    ? PrefectConnection.cloud({ accountId: '9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f', workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8', apiKey: secret('prefect-cloud', 'api-key') })
    : PrefectConnection.fromUrl('https://prefect.example.com/api', { authString: e.authString && at(e.version, '3.1.8') ? secret('prefect-auth', 'auth-string') : undefined });
  const image = (p: Json) => PrefectImage.official({ version: PrefectVersion.of(e.version), flavor: p.type === WorkPoolType.KUBERNETES && p.runtime === 'worker' ? PrefectImageFlavor.KUBERNETES : undefined });
  return {
    description: { ...common, props: undefined, external: e, pools },
    parts: { connection, policies: policies.options },
    props: {
      ...props,
      server: PlatformServer.external(connection),
      workerPools: pools.map(p => ({ ...toPoolOptions(p, e.version), image: image(p), useDask: undefined })),
      networkPolicies: policies.isolation,
    },
  };
}

/** A random valid configuration of a platform. */
export const platformCase: fc.Arbitrary<PlatformCase> = commonArbitrary.chain(common => fc.oneof(
  { weight: 4, arbitrary: deployedArbitrary.chain(d => fc.tuple(...Array.from({ length: d.pools }, (_, i) => poolArbitrary(d.version, i, ['prefect-runs', 'team-a'].filter(n => n !== common.namespace), d.dask)))
    .map(pools => printable(deployedCase(d, pools, common)))) },
  { weight: 1, arbitrary: externalArbitrary.chain(e => fc.tuple(...Array.from({ length: e.pools }, (_, i) => poolArbitrary(e.version, i, ['prefect-runs'], false)))
    .map(pools => printable(externalCase(e, pools, common)))) },
));

/** Seed and runs of the property suites: PROPERTY_SEED replays a reported failure. */
export function propertyParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
  return { numRuns, seed, path: process.env.PROPERTY_PATH, endOnFailure: true, verbose: 1 };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CREDENTIAL = /(PASSWORD|API_KEY|AUTH_STRING|TOKEN|SECRET)$/;

/**
 * What every synthesized platform must hold, as a list of what it does not; with `rebuild`, also
 * that building it again gives the same output.
 */
export function invariantViolations(build: () => Chart, rebuild: boolean): string[] {
  const platform = build();
  const objects = Testing.synth(platform);
  const runs = flowRunJobsOf(platform);
  const found = [
    ...problems([...objects, ...runs]), ...outputViolations([...objects, ...runs]), ...dataSafetyViolations(objects),
    // (cdk8s makes `instanceof` of any Chart class true for every chart: the prototype tells.)
    ...templatePodViolations(objects), ...(PrefectPlatform.prototype.isPrototypeOf(platform) ? enforcementViolations(platform as PrefectPlatform, objects) : []),
  ];
  // Same input, same output: a second build synthesizes the same objects, in the same order.
  if (rebuild && JSON.stringify(Testing.synth(build())) !== JSON.stringify(objects)) found.push('a second synth differs');
  return found;
}

/** Names that are not DNS-1123, Secrets and cluster-wide RBAC nobody asked for, credentials as literals. */
export function outputViolations(objects: Json[]): string[] {
  const found: string[] = [];
  for (const o of objects) {
    const name = o.metadata?.name ?? '';
    const label = ['Service', 'Namespace'].includes(o.kind);
    if (!(label ? DNS1123_LABEL.test(name) && name.length <= 63 : DNS1123_SUBDOMAIN.test(name) && name.length <= 253)) {
      found.push(`${o.kind}/${name}: not a DNS-1123 ${label ? 'label' : 'subdomain'}`);
    }
    if (['Secret', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) found.push(`${o.kind}/${name}: not asked for`);
    for (const container of containersOf(o)) {
      for (const e of container.env ?? []) {
        if (CREDENTIAL.test(e.name) && e.value !== undefined) found.push(`${o.kind}/${name}: ${e.name} is a literal`);
      }
    }
  }
  return found;
}

/**
 * Pod Security "restricted" for the pods the platform's templates describe beside the flow-run
 * Jobs of base job templates: the Prefect 1 agent's Job template and the DaskCluster's scheduler
 * and workers.
 */
export function templatePodViolations(objects: Json[]): string[] {
  const found: string[] = [];
  for (const map of objects.filter(o => o.kind === 'ConfigMap')) {
    const specs: Array<[string, Json]> = [];
    if (map.data?.['job-template.yaml']) specs.push(['Prefect 1 flow run', JSON.parse(map.data['job-template.yaml']).spec.template.spec]);
    if (map.data?.['daskcluster.yaml']) {
      const cluster = yaml.parse(map.data['daskcluster.yaml']);
      specs.push(['Dask scheduler', cluster.spec.scheduler.spec], ['Dask worker', cluster.spec.worker.spec]);
    }
    for (const [what, spec] of specs) found.push(...restrictedViolations(spec, undefined).map(v => `${what} of ConfigMap/${map.metadata.name}: ${v}`));
  }
  return found;
}

/**
 * The Pod Security level of each namespace the platform creates: "baseline" (with "restricted"
 * warnings) exactly where a pool launches pods whose spec is made elsewhere, else "restricted".
 */
function enforcementViolations(platform: PrefectPlatform, objects: Json[]): string[] {
  // Whether a pool's flow-run pods come from its own template is only in its network contract,
  // the one the platform reads too: no public member says it.
  const foreign = new Set(platform.workerPools.flatMap(p => {
    const runs = p._networkProfile().flowRuns;
    return runs && !runs.labelled ? runs.namespaces : [];
  }));
  const found: string[] = [];
  for (const ns of objects.filter(o => o.kind === 'Namespace' && o.metadata.labels['app.kubernetes.io/component'] === 'namespace')) {
    const labels = ns.metadata.labels;
    const expected = foreign.has(ns.metadata.name) ? 'baseline' : 'restricted';
    if (labels['pod-security.kubernetes.io/enforce'] !== expected) found.push(`Namespace/${ns.metadata.name}: enforces ${labels['pod-security.kubernetes.io/enforce']}, not ${expected}`);
    if (expected === 'baseline' && labels['pod-security.kubernetes.io/warn'] !== 'restricted') found.push(`Namespace/${ns.metadata.name}: does not warn of "restricted"`);
  }
  return found;
}

function containersOf(o: Json): Json[] {
  const spec = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template?.spec : o.spec?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/**
 * The data-safety rules: SQLite is never opened by two pods and its claim outlives the chart;
 * migrations never run twice at once; a highly available API stays available through a rollout.
 */
export function dataSafetyViolations(objects: Json[]): string[] {
  const found: string[] = [];
  const server = (o: Json) => o.metadata.labels?.['app.kubernetes.io/component'];
  const statefulSets = objects.filter(o => o.kind === 'StatefulSet' && server(o) === 'server');
  for (const s of statefulSets) {
    if (s.spec.replicas !== 1) found.push(`StatefulSet/${s.metadata.name}: ${s.spec.replicas} pods on one SQLite file`);
    if (s.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted !== 'Retain') found.push(`StatefulSet/${s.metadata.name}: the claim is deleted with it`);
    const env = Object.fromEntries(containersOf(s).flatMap(c => c.env ?? []).map((e: Json) => [e.name, e.value]));
    const url = env.PREFECT_SERVER_DATABASE_CONNECTION_URL ?? env.PREFECT_API_DATABASE_CONNECTION_URL ?? '';
    if (!url.startsWith('sqlite')) found.push(`StatefulSet/${s.metadata.name}: not on SQLite`);
  }
  // Any pod that opens the SQLite file is the StatefulSet's one pod.
  const sqliteUsers = objects.filter(o => containersOf(o).some(c => (c.env ?? []).some((e: Json) => typeof e.value === 'string' && e.value.startsWith('sqlite'))));
  for (const o of sqliteUsers.filter(u => !(u.kind === 'StatefulSet' && server(u) === 'server'))) found.push(`${o.kind}/${o.metadata.name}: opens the SQLite file outside the server's StatefulSet`);
  const deployments = objects.filter(o => o.kind === 'Deployment' && server(o) === 'server');
  const services = objects.filter(o => o.kind === 'Deployment' && server(o) === 'background-services');
  const migrations = objects.filter(o => o.kind === 'Job' && server(o) === 'database-migration');
  if (statefulSets.length + deployments.length > 1) found.push('more than one server workload');
  for (const d of deployments) {
    const sqlite = containersOf(d).flatMap(c => c.env ?? []).some((e: Json) => typeof e.value === 'string' && e.value.startsWith('sqlite'));
    if (sqlite) found.push(`Deployment/${d.metadata.name}: SQLite in a Deployment`);
    if (d.spec.strategy?.rollingUpdate?.maxUnavailable !== 0) found.push(`Deployment/${d.metadata.name}: a rollout may take API pods away`);
    if (d.spec.replicas > 1) {
      const budget = objects.find(o => o.kind === 'PodDisruptionBudget' && o.metadata.name === d.metadata.name);
      const selects = budget && Object.entries(budget.spec.selector?.matchLabels ?? {}).every(([k, v]) => d.spec.template.metadata.labels[k] === v);
      if (!budget || !selects || budget.spec.maxUnavailable !== 1) found.push(`Deployment/${d.metadata.name}: highly available without a PodDisruptionBudget of one pod at a time`);
      if (services.length !== 1 || migrations.length !== 1) found.push(`Deployment/${d.metadata.name}: highly available without one services Deployment and one migration Job`);
      const migrateOnStart = containersOf(d).flatMap(c => c.env ?? []).find((e: Json) => /DATABASE_MIGRATE_ON_START$/.test(e.name));
      if (migrateOnStart?.value !== 'false') found.push(`Deployment/${d.metadata.name}: API pods migrate on start beside the migration Job`);
    }
  }
  for (const s of services) {
    if (s.spec.replicas !== 1 || s.spec.strategy?.type !== 'Recreate') found.push(`Deployment/${s.metadata.name}: the background services could run twice`);
    const migrateOnStart = containersOf(s).flatMap(c => c.env ?? []).find((e: Json) => /DATABASE_MIGRATE_ON_START$/.test(e.name));
    if (migrateOnStart?.value !== 'false') found.push(`Deployment/${s.metadata.name}: the services migrate on start beside the migration Job`);
  }
  for (const m of migrations) {
    if ((m.spec.parallelism ?? 1) !== 1 || (m.spec.completions ?? 1) !== 1) found.push(`Job/${m.metadata.name}: migrations in parallel`);
  }
  return found;
}

/**
 * The same configuration composed by hand from the constructs, as an app without PrefectPlatform
 * would: a chart in the namespace, the server (or the connection), its ingress and external
 * Service, the DaskScratch, the pools and the network policies. Platform-only props (namespace
 * creation, labels) have no counterpart.
 */
export function standalone(c: PlatformCase): Chart {
  const props = c.props;
  const chart = new Chart(Testing.app(), 'standalone', { namespace: props.namespace ?? 'prefect' });
  const apiProps = c.parts.apiProps;
  const api = apiProps ? new PrefectApi(chart, 'Server', apiProps) : undefined;
  if (api && props.ingress) api.exposeViaIngress(props.ingress);
  if (api && c.after) c.after({ api } as PrefectPlatform);
  const connection = api ? PrefectConnection.inCluster(api) : c.parts.connection!;
  const dask = props.dask ? new DaskScratch(chart, 'Dask', props.dask) : undefined;
  const pools = (props.workerPools ?? []).map(({ useDask, ...options }, i) =>
    new PrefectWorkerPool(chart, `Pool${i}`, { ...options, connection, dask: useDask ? dask : undefined }));
  const policies = c.parts.policies;
  if (policies) new PrefectNetworkPolicies(chart, 'NetworkPolicies', { ...policies, api, workerPools: pools });
  return chart;
}

/**
 * Asserts the invariants over `runs` random valid platforms (PROPERTY_RUNS overrides the count);
 * a quarter of them, chosen at random, are also built twice and compared (a second build costs as
 * much as all the other checks).
 */
export function validPlatformsHold(runs: number): void {
  fc.assert(fc.property(platformCase, fc.integer({ min: 0, max: 3 }).map(i => i === 0), fc.integer({ min: 0, max: 4 }).map(i => i === 0), (c, rebuild, byHand) => {
    const violations = invariantViolations(() => {
      // One in five is composed from the constructs themselves.
      if (byHand) return standalone(c);
      const platform = new PrefectPlatform(Testing.app(), 'platform', c.props);
      c.after?.(platform);
      return platform;
    }, rebuild);
    if (violations.length > 0) throw new Error(violations.join('\n'));
  }), propertyParameters(Number(process.env.PROPERTY_RUNS ?? runs)));
}
