import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { PrefectPlatform, TopologyDiagram } from '../src';
import { PrefectValidationError } from '../src/core/private/errors';
import { buildVariants } from '../src/examples/variants';
import { inputErrorOf } from './support/synth';
const { FILES, embed, embedded } = require('../scripts/embedded-diagrams');

type Json = any;

const deployment = (name: string, labels: Record<string, string>, spec: Json = {}): Json => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'ns' },
  spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'i:1' }], ...spec } } },
});
const service = (name: string, selector: Record<string, string>): Json => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { selector, ports: [{ port: 4200 }] },
});
const lines = (manifests: Json[]) => TopologyDiagram.ofManifests(manifests).toMermaid().split('\n');

describe('TopologyDiagram', () => {
  test('a Service points at the workloads it selects, an Ingress at its backends', () => {
    const diagram = lines([
      service('api', { app: 'api' }),
      deployment('api', { app: 'api' }, {}),
      deployment('other', { app: 'other' }),
      {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'ns' },
        spec: { tls: [{ hosts: ['x.example.com'] }], rules: [{ host: 'x.example.com', http: { paths: [{ path: '/api', backend: { service: { name: 'api', port: { number: 4200 } } } }] } }] },
      },
    ]);
    expect(diagram).toContain('  subgraph namespace__ns["namespace ns"]');
    expect(diagram).toContain('    Ingress__ns__web{{"Ingress web<br/>https://x.example.com/api"}}');
    expect(diagram).toContain('  Ingress__ns__web -->|/api| Service__ns__api');
    expect(diagram).toContain('  Service__ns__api --> Deployment__ns__api');
    expect(diagram.filter(l => l.includes('Service__ns__api --> Deployment__ns__other'))).toEqual([]);
  });

  test('an autoscaled workload shows its range, native sidecars are named, a database on the loopback is a proxy in the pod', () => {
    const sidecar = { name: 'pgbouncer', image: 'p:1', restartPolicy: 'Always' };
    const diagram = lines([
      deployment('api', { app: 'api' }, {
        initContainers: [sidecar, { name: 'setup', image: 's:1' }],
        containers: [{ name: 'c', image: 'i:1', env: [{ name: 'PREFECT_SERVER_DATABASE_HOST', value: '127.0.0.1' }] }],
      }),
      { ...deployment('fixed', { app: 'fixed' }), spec: { ...deployment('fixed', { app: 'fixed' }).spec, replicas: 3 } },
      {
        apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'api', namespace: 'ns' },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' }, minReplicas: 2, maxReplicas: 6 },
      },
    ]);
    expect(diagram).toContain('    Deployment__ns__api["Deployment api<br/>autoscaled, 2 to 6 replicas<br/>sidecar pgbouncer"]');
    expect(diagram).toContain('    Deployment__ns__fixed["Deployment fixed<br/>3 replicas"]');
    expect(diagram).toContain('  external__PostgreSQL__127_0_0_1[/"PostgreSQL<br/>127.0.0.1, a proxy in the pod"/]');
  });

  test('clients point at the Service or outside endpoint their environment names; Secrets and SQLite files are not hosts', () => {
    const client = deployment('worker', { app: 'worker' }, {
      containers: [{
        name: 'c', image: 'i:1', env: [
          { name: 'PREFECT_API_URL', value: 'http://api.ns.svc.cluster.local:4200/api' },
          { name: 'PREFECT_SERVER_DATABASE_HOST', value: 'db.example.com' },
          { name: 'PREFECT_SERVER_DATABASE_CONNECTION_URL', value: 'sqlite+aiosqlite:////var/lib/prefect/prefect.db' },
          { name: 'PREFECT_REDIS_MESSAGING_HOST', valueFrom: { secretKeyRef: { name: 'redis', key: 'host' } } },
          { name: 'UNRELATED', value: 'http://elsewhere.example.com' },
        ],
      }],
    });
    const diagram = lines([service('api', { app: 'api' }), deployment('api', { app: 'api' }), client]);
    expect(diagram).toContain('  Deployment__ns__worker -->|Prefect API| Service__ns__api');
    expect(diagram).toContain('  Deployment__ns__worker -->|PostgreSQL| external__PostgreSQL__db_example_com');
    expect(diagram).toContain('  external__PostgreSQL__db_example_com[/"PostgreSQL<br/>db.example.com"/]');
    expect(diagram).toContain('  external__Redis__redis[/"Redis<br/>from Secret redis"/]');
    expect(diagram.filter(l => /sqlite|elsewhere|database/.test(l))).toEqual([]);
  });

  test('RBAC: the pods run as a ServiceAccount bound to a Role; a Role that creates Jobs makes flow runs, which use the launcher\'s API', () => {
    const worker = deployment('worker', { app: 'w' }, {
      serviceAccountName: 'worker',
      containers: [{ name: 'c', image: 'i:1', env: [{ name: 'PREFECT_API_URL', value: 'https://api.prefect.cloud/api/accounts/a/workspaces/b' }] }],
    });
    const diagram = lines([
      worker,
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'worker', namespace: 'runs' }, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] }, { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'worker', namespace: 'runs' }, roleRef: { kind: 'Role', name: 'worker' }, subjects: [{ kind: 'ServiceAccount', name: 'worker', namespace: 'ns' }] },
    ]);
    expect(diagram).toContain('    Role__runs__worker>"Role worker<br/>jobs, pods"]');
    expect(diagram).toContain('    ServiceAccount__ns__worker("ServiceAccount worker")');
    expect(diagram).toContain('  ServiceAccount__ns__worker -.->|RoleBinding| Role__runs__worker');
    expect(diagram).toContain('  Deployment__ns__worker -.-|runs as| ServiceAccount__ns__worker');
    expect(diagram).toContain('    flowruns__runs__worker[["flow-run Jobs<br/>of worker"]]');
    expect(diagram).toContain('  Deployment__ns__worker ==>|launches| flowruns__runs__worker');
    expect(diagram).toContain('  flowruns__runs__worker -->|Prefect API| external__Prefect_API__api_prefect_cloud');
  });

  test('a Role that only reads makes no flow runs', () => {
    const diagram = lines([
      deployment('reader', { app: 'r' }, { serviceAccountName: 'reader' }),
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'ns' }, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'reader', namespace: 'ns' }, roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'ns' }] },
    ]);
    expect(diagram.filter(l => l.includes('flowruns'))).toEqual([]);
  });

  test('URLs: credentials are left out, and a port the Service does not have is not the Service', () => {
    const client = deployment('c', { app: 'c' }, {
      containers: [{
        name: 'c', image: 'i:1', env: [
          { name: 'PREFECT_SERVER_DATABASE_CONNECTION_URL', value: 'postgresql+asyncpg://prefect:s3cret@postgres.db:5432/prefect' },
          { name: 'PREFECT_API_URL', value: 'http://api.ns.svc.cluster.local:9999/api' },
          { name: 'PREFECT_REDIS_MESSAGING_HOST', value: 'redis:6379' },
        ],
      }],
    });
    const postgres = { ...service('postgres', { app: 'pg' }), metadata: { name: 'postgres', namespace: 'db' }, spec: { selector: { app: 'pg' }, ports: [{ port: 5432 }] } };
    const diagram = lines([service('api', { app: 'api' }), postgres, client]);
    expect(diagram.filter(l => l.includes('s3cret'))).toEqual([]);
    expect(diagram).toContain('  Deployment__ns__c -->|database| Service__db__postgres');
    expect(diagram).toContain('  Deployment__ns__c -->|Prefect API| external__Prefect_API__api_ns_svc_cluster_local_9999');
    expect(diagram).toContain('  external__Redis__redis_6379[/"Redis<br/>redis:6379"/]');
  });

  test('a ClusterRole bound by a RoleBinding grants in the binding\'s namespace only', () => {
    const diagram = lines([
      deployment('worker', { app: 'w' }, { serviceAccountName: 'worker' }),
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'launcher' }, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'worker', namespace: 'runs' }, roleRef: { kind: 'ClusterRole', name: 'launcher' }, subjects: [{ kind: 'ServiceAccount', name: 'worker', namespace: 'ns' }] },
    ]);
    expect(diagram).toContain('  ServiceAccount__ns__worker -.->|RoleBinding| ClusterRole__runs__launcher');
    expect(diagram).toContain('  Deployment__ns__worker ==>|launches| flowruns__runs__worker');
    expect(diagram.slice(diagram.indexOf('  subgraph namespace__runs["namespace runs"]'))).toContain('    flowruns__runs__worker[["flow-run Jobs<br/>of worker"]]');
  });

  test('a platform\'s diagram shows its namespaces with their Pod Security level and policies, and is the same each time', () => {
    const build = () => TopologyDiagram.ofChart(new PrefectPlatform(Testing.app(), 'p', { workerPools: [{ poolName: 'etl' }] })).toMermaid();
    const diagram = build();
    expect(diagram).toContain('  subgraph namespace__prefect["namespace prefect · Pod Security restricted · 5 NetworkPolicies"]');
    expect(diagram).toContain('    StatefulSet__prefect__prefect_server["StatefulSet prefect-server"]');
    expect(diagram).toContain('    claim__prefect__prefect_server__data[("claim data-prefect-server-0<br/>5Gi")]');
    expect(diagram).toContain('  Deployment__prefect__etl_worker ==>|launches| flowruns__prefect__etl_worker');
    expect(build()).toBe(diagram);
  });
});

describe('the diagrams in the docs', () => {
  const diagrams = new Map<string, string>(buildVariants(Testing.app()).map(chart => [chart.node.id, TopologyDiagram.ofChart(chart).toMermaid()]));

  test.each(FILES as string[])('%s embeds the current diagrams (npm run docs updates them)', (file) => {
    const text = fs.readFileSync(path.join(__dirname, '..', file), 'utf8');
    expect(embedded(text).length).toBeGreaterThan(0);
    expect(embed(text, diagrams)).toBe(text);
  });

  test('production: the ingress to the server, the workers to their flow runs in prefect-runs, the server to PostgreSQL and Redis', () => {
    const diagram = diagrams.get('production')!.split('\n');
    expect(diagram).toEqual(expect.arrayContaining([
      '  Ingress__prefect__prefect_server -->|/api| Service__prefect__prefect_server',
      '  Service__prefect__prefect_server --> Deployment__prefect__prefect_server',
      '  Deployment__prefect__etl_worker_prod_main ==>|launches| flowruns__prefect_runs__etl_worker',
      '  Deployment__prefect__etl_worker_prod_secondary ==>|launches| flowruns__prefect_runs__etl_worker',
      '  flowruns__prefect_runs__etl_worker -->|Prefect API| Service__prefect__prefect_server',
      '  Deployment__prefect__prefect_server -->|PostgreSQL| external__PostgreSQL__prefect_postgres_rw_prefect_svc_cluster_local',
      '  Deployment__prefect__prefect_server -->|Redis| external__Redis__prefect_redis_prefect_svc_cluster_local',
    ]));
  });

  test('dask: the flow runs start Dask clusters in dask-scratch, under the client ServiceAccount', () => {
    const diagram = diagrams.get('dask')!.split('\n');
    expect(diagram).toEqual(expect.arrayContaining([
      '  flowruns__prefect__dask_worker -.-|runs as| ServiceAccount__prefect__dask_worker_dask',
      '  flowruns__prefect__dask_worker ==>|starts| daskclusters__dask_scratch',
      '  ServiceAccount__prefect__dask_worker_dask -.->|RoleBinding| Role__dask_scratch__dask_client',
    ]));
  });

  test('docs/variants.md has every variant\'s diagram', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', 'docs', 'variants.md'), 'utf8');
    expect(embedded(text)).toEqual([...diagrams.keys()]);
  });

  test('a block that names no variant is an error', () => {
    expect(() => embed('<!-- topology:nope -->\n```mermaid\n```\n<!-- /topology:nope -->', diagrams)).toThrow(/names the variant nope/);
  });
});

describe('TopologyDiagram: input that is not a chart or manifests', () => {
  const codeOf = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      expect(e).toBeInstanceOf(PrefectValidationError);
      return inputErrorOf((e as Error).message);
    }
    return undefined;
  };

  test('ofChart takes a Chart, ofManifests a list of objects with a kind and a name', () => {
    expect(codeOf(() => TopologyDiagram.ofChart(undefined as any))).toEqual({ code: 'REQUIRED', prop: 'chart' });
    expect(codeOf(() => TopologyDiagram.ofChart({ toJson: () => [] } as any))).toEqual({ code: 'FORMAT', prop: 'chart' });
    expect(codeOf(() => TopologyDiagram.ofManifests(null as any))).toEqual({ code: 'REQUIRED', prop: 'manifests' });
    expect(codeOf(() => TopologyDiagram.ofManifests('kind: Service' as any))).toEqual({ code: 'FORMAT', prop: 'manifests' });
    expect(codeOf(() => TopologyDiagram.ofManifests([service('s', { a: 'b' }), { kind: 'Service' }]))).toEqual({ code: 'FORMAT', prop: 'manifests[1]' });
    expect(codeOf(() => TopologyDiagram.ofManifests([{ kind: 'Service', metadata: { name: 's', namespace: 7 } }]))).toEqual({ code: 'FORMAT', prop: 'manifests[0]' });
    expect(codeOf(() => TopologyDiagram.ofManifests(['Service']))).toEqual({ code: 'FORMAT', prop: 'manifests[0]' });
  });

  test('the empty documents of a YAML stream are skipped', () => {
    expect(TopologyDiagram.ofManifests([null, service('s', { a: 'b' }), undefined]).toMermaid()).toContain('Service s');
  });

  // Hand-written manifests with a wrong value anywhere below the kind and name: a diagram or an
  // input error, never a TypeError.
  test('a wrong value anywhere in a platform\'s manifests draws a diagram or names the manifest', () => {
    const base: Json[] = Testing.synth(new PrefectPlatform(Testing.app(), 'p', { workerPools: [{ poolName: 'etl' }] }));
    const paths: Array<Array<string | number>> = [];
    const walk = (value: Json, at: Array<string | number>) => {
      paths.push(at);
      if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...at, Array.isArray(value) ? Number(k) : k]);
    };
    base.forEach((m, i) => walk(m, [i]));
    const garbage = fc.constantFrom<Json>(null, undefined, 0, 7, '', 'x', '__proto__', 'constructor', [], [null], [7], {}, { name: 1 }, true);
    fc.assert(fc.property(fc.constantFrom(...paths.filter(p => p.length > 1)), garbage, (at, value) => {
      const manifests = structuredClone(base);
      let parent: Json = manifests;
      for (const step of at.slice(0, -1)) parent = parent[step];
      parent[at[at.length - 1]] = value;
      let diagram: unknown;
      const error = codeOf(() => { diagram = TopologyDiagram.ofManifests(manifests).toMermaid(); });
      if (error) expect(error).toEqual({ code: 'FORMAT', prop: `manifests[${at[0]}]` });
      else expect(typeof diagram).toBe('string');
    }), { numRuns: 300, seed: 7 });
  });
});
