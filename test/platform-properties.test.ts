/**
 * Property suite, first half: random valid configurations of the whole public API, through
 * `PrefectPlatform`, synthesize to output that Kubernetes 1.27 accepts, that passes Pod Security
 * "restricted", has no dangling reference, RBAC wildcard, unasked ClusterRole or Secret literal,
 * has unique DNS-1123 names, keeps the data-safety rules, and (a quarter of them, built twice) is the same every time (see
 * `invariantViolations`). The suite is split in two files so that jest runs the halves in
 * parallel. A failure prints its seed and path: `PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx jest
 * test/platform-properties` replays it.
 */
import * as fc from 'fast-check';
import { platformCase, validPlatformsHold } from './support/arbitraries';

test('random valid platforms synthesize valid, safe, deterministic output (500 configurations)', () => {
  validPlatformsHold(500);
});

test('the random platforms cover every option the suite claims to combine', () => {
  const sampled = fc.sample(platformCase, { numRuns: 500, seed: 11 });
  const cases = sampled.map(c => ({ ...c.props, parts: c.parts }));
  type Case = (typeof cases)[number];
  const server = (c: Case) => c.parts.apiProps;
  const allPools = (c: Case) => c.workerPools ?? [];
  const features: Record<string, (c: Case) => boolean> = {
    'SQLite': c => server(c)?.database?.isSqlite === true,
    'PostgreSQL by URL or by parts': c => server(c)?.database?.isSqlite === false,
    'high availability': c => (server(c)?.replicas ?? 1) > 1,
    'Prefect 2 server': c => server(c)?.image?.version.major === 2,
    'server basic auth': c => server(c)?.basicAuth !== undefined,
    'ingress, Prefect basic auth': c => c.parts.access === 'prefect',
    'ingress, nginx split': c => c.parts.access === 'nginx',
    'ingress at a sub-path': c => c.ingress?.path !== undefined,
    'ingress, another class than nginx': c => c.ingress !== undefined && c.ingress.ingressClassName !== 'nginx',
    'Prefect Cloud': c => c.parts.connection?.url.startsWith('https://api.prefect.cloud/') === true,
    'a server at a URL': c => c.parts.connection?.url === 'https://prefect.example.com/api',
    'TLS from a Secret': c => c.ingress !== undefined && c.parts.tls === 'secret',
    'TLS from cert-manager': c => c.ingress !== undefined && c.parts.tls === 'certManager',
    'TLS ended upstream, or none': c => c.ingress !== undefined && (c.parts.tls === 'upstream' || c.parts.tls === 'none'),
    'network policies': c => c.parts.policies !== undefined,
    'Prefect 1 agent': c => allPools(c).some(p => p.poolName === undefined),
    'Prefect 2 agents': c => allPools(c).some(p => p.runtime !== undefined && p.poolName !== undefined),
    'process pool': c => allPools(c).some(p => p.type === 'process'),
    'queues, one Deployment each': c => allPools(c).some(p => p.queueDeployments === 'PER_QUEUE'),
    'job namespace of its own': c => allPools(c).some(p => p.jobTemplate?.namespace !== undefined),
    'additional job namespaces': c => allPools(c).some(p => (p.additionalJobNamespaces ?? []).length > 0),
    'pool managed elsewhere': c => allPools(c).some(p => p.managePool === false),
    'pip packages and config files': c => allPools(c).some(p => p.pipPackages !== undefined && p.configFiles !== undefined),
    'Dask in its own namespace': c => c.dask?.namespace !== undefined,
    'Dask beside the flow runs': c => c.dask !== undefined && c.dask.namespace === undefined,
    'no namespaces created': c => c.createNamespaces === false,
    'no network policies': c => c.parts.policies === undefined,
    'three pools': c => allPools(c).length >= 3,
    'server env, resources and startup timeout': c => server(c)?.env !== undefined && server(c)?.resources !== undefined && server(c)?.startupTimeout !== undefined,
    'pool env from a Secret, resources, node selector': c => allPools(c).some(p => p.env !== undefined && p.resources !== undefined && p.pod?.nodeSelector !== undefined),
    'worker pod options: metadata, tolerations, a volume, an init container, an account': c => allPools(c).some(p => p.pod?.initContainers !== undefined && p.pod?.serviceAccount !== undefined),
    'flow-run pod options with their own account': c => allPools(c).some(p => p.jobTemplate?.pod?.serviceAccount !== undefined),
    'flow-run pod options beside Dask': c => allPools(c).some(p => p.useDask && p.jobTemplate?.pod !== undefined),
    'a worker disruption budget': c => allPools(c).some(p => p.disruptionBudget !== undefined),
    'worker name, prefetch, query interval': c => allPools(c).some(p => p.workerName !== undefined && p.prefetch !== undefined && p.queryInterval !== undefined),
    'queue concurrency limits': c => allPools(c).some(p => (p.queues ?? []).some(q => q.concurrencyLimit !== undefined)),
    'pools named apart from their work pool': c => allPools(c).some(p => p.name !== undefined),
    'Dask workers and scratch size': c => c.dask?.workers !== undefined && c.dask.scratchSize !== undefined,
    'Dask quota and cleanup ages': c => c.dask?.quota !== undefined && c.dask.maxClusterLifetime !== undefined,
    'a fixed cluster id': c => allPools(c).some(p => p.clusterUid !== undefined),
    'a server name of its own': c => server(c)?.name !== undefined,
    'the UI API URL given': c => server(c)?.uiApiUrl !== undefined,
  };
  // An external Service is added after construction.
  expect(sampled.some(c => c.after !== undefined)).toBe(true);
  const missing = Object.entries(features).filter(([, has]) => !cases.some(has)).map(([name]) => name);
  expect(missing).toEqual([]);
});
