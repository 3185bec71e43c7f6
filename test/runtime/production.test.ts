/**
 * The production variant, run for real on PostgreSQL and Redis: the schema gate of the API pods,
 * the migration Job, three API replicas, the services process, basic auth, the
 * pool set-up of four worker pods at once, per-queue workers, and a flow run in the job namespace.
 */
import { only } from '../support/synth';
import { startPostgres, startRedis, BackingService, Postgres } from './support/backing-services';
import { finalState, flowRepository, jobProblems, runFromGit, runJobPod } from './support/flow-runs';
import { NamespacedData } from './support/kubelet';
import { HOST_IP, LocalCluster, Pod } from './support/local-cluster';
import { eventually, PrefectClient, variant } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

const AUTH_STRING = 'admin:runtime-basic-auth';
const SECRETS: NamespacedData = {
  'prefect': {
    'prefect-postgres-app': { password: 'runtime-postgres' },
    'prefect-redis': { password: 'runtime-redis' },
    'prefect-basic-auth': { 'auth-string': AUTH_STRING },
  },
  // Flow-run Jobs read the auth string from a Secret of their own namespace.
  'prefect-runs': { 'prefect-basic-auth': { 'auth-string': AUTH_STRING } },
};

describe('production, with real Prefect 3.8.3, PostgreSQL and Redis', () => {
  const objects = variant('production');
  const backing: BackingService[] = [];
  let postgres: Postgres;
  let scenario: Scenario;
  let cluster: LocalCluster;
  let client: PrefectClient;
  const api: Pod[] = [];
  const server = only(objects, 'Deployment', 'prefect-server');

  beforeAll(async () => {
    scenario = await Scenario.start('production', objects, {
      secrets: structuredClone(SECRETS),
      images: { 'registry.example.com/data/etl-flows:2026.11.3': 3 },
      extraHosts: { 'prefect-postgres-rw.prefect.svc.cluster.local': HOST_IP, 'prefect-redis.prefect.svc.cluster.local': HOST_IP },
    });
    cluster = scenario.cluster;
    postgres = await startPostgres(scenario.dir, { user: 'prefect', password: 'runtime-postgres', name: 'prefect' });
    backing.push(postgres, await startRedis(scenario.dir, 'runtime-redis'));
  });

  afterAll(async () => {
    await scenario?.stop();
    for (const b of backing) await b.stop();
  });

  test('an API pod started before the migration does not start its server until the schema is current', async () => {
    const early = cluster.podOf(server);
    api.push(early);
    const starting = early.startAll();
    // Either the gate reports that it waits, or the server starts on the unmigrated database.
    const before = await eventually('the schema gate to wait, or the server to start', async () => {
      if (early.containers.some(c => c.name === 'prefect-server')) return 'the server started';
      const waits = early.logOf('wait-for-schema').split('\n').filter(l => l.startsWith('waiting for the database migration'));
      return waits.length >= 2 ? 'the gate waited' : undefined;
    }, 120);
    const readyBefore = await early.probe(server.spec.template.spec.containers[0], 'readinessProbe');

    // The migration runs whatever happened, so that what follows has its schema.
    const migration = cluster.podOf(objects.find(o => o.kind === 'Job' && o.metadata.name.startsWith('prefect-server-migrate-')));
    await migration.startAll();
    expect(await migration.containers[0].exited).toBe(0);

    expect({ before, readyBefore }).toEqual({ before: 'the gate waited', readyBefore: false });
    await starting;
    await early.waitFor('prefect-server', 'readinessProbe', 180);
    expect(early.logOf('wait-for-schema')).toMatch(/^database schema at \['\w+'\]: current$/m);
  });

  test('three API replicas serve behind basic auth', async () => {
    const more = Array.from({ length: server.spec.replicas - 1 }, () => cluster.podOf(server));
    api.push(...more);
    await Promise.all(more.map(pod => pod.startAll()));
    for (const pod of api) await pod.waitFor('prefect-server', 'readinessProbe', 180);
    expect(api).toHaveLength(3);
    for (const pod of api) {
      expect((await fetchStatus(`http://${pod.ip}:4200/api/flows/filter`, 'POST'))).toBe(401);
      expect((await fetchStatus(`http://${pod.ip}:4200/api/health`, 'GET'))).toBe(200);
    }
    client = new PrefectClient(`http://${api[1].ip}:4200/api`, AUTH_STRING);
    expect(await client.call('POST', '/flows/filter', {})).toEqual([]);
  });

  test('the services process runs the scheduler, which schedules runs of a deployment with a schedule', async () => {
    const flow = await client.call('POST', '/flows/', { name: 'scheduled' });
    const deployment = await client.call('POST', '/deployments/', {
      name: 'hourly', flow_id: flow.id,
      schedules: [{ schedule: { interval: 3600 }, active: true }],
    });
    const runs = () => client.call('POST', '/flow_runs/filter', { deployments: { id: { any_: [deployment.id] } } });
    const services = cluster.podOf(only(objects, 'Deployment', 'prefect-server-services'));
    await services.startAll();
    const scheduled = await eventually('scheduled runs', async () => {
      const found = await runs();
      return found.length > 0 ? found : undefined;
    }, 120);
    expect(scheduled.every((r: Json) => r.state.type === 'SCHEDULED')).toBe(true);
  });

  test('four worker pods set up their pool at the same moment, and all succeed', async () => {
    const pods = ['etl-worker-prod-main', 'etl-worker-prod-secondary'].flatMap(name => {
      const d = only(objects, 'Deployment', name);
      return Array.from({ length: d.spec.replicas }, () => cluster.podOf(d));
    });
    expect(pods).toHaveLength(4);
    const results = await Promise.allSettled(pods.map(p => p.runInitContainers()));
    expect(results.map(r => r.status === 'fulfilled' ? 'ok' : String((r as PromiseRejectedResult).reason))).toEqual(['ok', 'ok', 'ok', 'ok']);

    const config = only(objects, 'ConfigMap', 'etl-worker-pool');
    const pool = await client.workPool('etl');
    expect(pool.base_job_template).toEqual(JSON.parse(config.data['base-job-template.json']));
    const queues = (await client.queues('etl')).map(q => [q.name, q.priority, q.concurrency_limit]).sort();
    expect(queues).toEqual([['default', expect.any(Number), null], ['prod-main', 1, 20], ['prod-secondary', 2, 5]].sort());

    // One worker of each queue's Deployment, and the reports pool's.
    for (const p of [pods[0], pods[2]]) {
      for (const c of p.spec.containers) p.start(c);
    }
    const reports = cluster.podOf(only(objects, 'Deployment', 'reports-worker'));
    await reports.startAll();
    for (const p of [pods[0], pods[2], reports]) await p.waitFor('prefect-worker', 'startupProbe', 180);
    expect(await client.workerNames('etl', 2)).toEqual([pods[0].facts.name, pods[2].facts.name].sort());
    expect(await client.workerNames('reports', 1)).toEqual([reports.facts.name]);
  });

  test('a pod of the next rollout brings a pool and queues changed in Prefect back in line, and a second changes nothing', async () => {
    const config = only(objects, 'ConfigMap', 'etl-worker-pool');
    const template = JSON.parse(config.data['base-job-template.json']);
    const changed = structuredClone(template);
    changed.variables.properties.image.default = 'changed-in-the-ui:1';
    await client.call('PATCH', '/work_pools/etl', { base_job_template: changed });
    await client.call('PATCH', '/work_pools/etl/queues/prod-main', { priority: 9, concurrency_limit: 1 });
    await client.call('PATCH', '/work_pools/etl/queues/prod-secondary', { concurrency_limit: null });
    expect((await client.workPool('etl')).base_job_template.variables.properties.image.default).toBe('changed-in-the-ui:1');

    const state = async () => ({
      template: (await client.workPool('etl')).base_job_template,
      queues: (await client.queues('etl')).map(q => [q.name, q.priority, q.concurrency_limit, q.id]).sort(),
    });
    const pod = () => cluster.podOf(only(objects, 'Deployment', 'etl-worker-prod-main'));
    await pod().runInitContainers();
    const after = await state();
    expect(after.template).toEqual(template);
    expect(after.queues.map(q => q.slice(0, 3))).toEqual([['default', expect.any(Number), null], ['prod-main', 1, 20], ['prod-secondary', 2, 5]].sort());

    await pod().runInitContainers();
    expect(await state()).toEqual(after);
  });

  test('a flow run in the job namespace reads the auth string from its own namespace and completes', async () => {
    const flowRunId = await runFromGit(client, flowRepository(scenario.dir), 'reports');
    const job = await scenario.jobFor(flowRunId);
    expect(job.metadata.namespace).toBe('prefect-runs');
    const auth = job.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'PREFECT_API_AUTH_STRING');
    expect(auth).toEqual({ name: 'PREFECT_API_AUTH_STRING', valueFrom: { secretKeyRef: { name: 'prefect-basic-auth', key: 'auth-string' } } });
    expect(jobProblems(job, objects, SECRETS, scenario.serverEndpoint('Deployment', 'prefect-server'))).toEqual([]);
    expect(await runJobPod(cluster, job)).toEqual({ code: 0, log: '' });
    expect(await finalState(client, flowRunId)).toBe('COMPLETED');
  });

  // Last: it leaves the database at a revision no release knows.
  test('a pod of a release that does not know the database\'s schema does not start', async () => {
    postgres.sql("UPDATE alembic_version SET version_num = 'f0f0f0f0f0f0'", 'prefect');
    const pod = cluster.podOf(server);
    await expect(pod.runInitContainers()).rejects.toThrow(/init container wait-for-schema of \S+ exited with 1/);
    expect(pod.logOf('wait-for-schema')).toMatch(/database schema at \['f0f0f0f0f0f0'\], newer than this release/);
  });
});


async function fetchStatus(url: string, method: string): Promise<number> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
  return response.status;
}
