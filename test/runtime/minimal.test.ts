/**
 * The minimal variant, run for real: the server on SQLite in its claim, the pool set-up and the
 * worker; then a deployment whose code a `git_clone` pull step fetches, and a flow run of it in
 * the Job the real prefect-kubernetes worker renders, run as its pod would run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Endpoint } from '../support/network-policies';
import { finalState, flowRepository, jobProblems, runFromGit, runJobPod } from './support/flow-runs';
import { KubernetesApiStandIn } from './support/kubernetes-api';
import { LocalCluster, Pod } from './support/local-cluster';
import { eventually, imageFor, PrefectClient, variant, workDir, workload } from './support/runtime';

type Json = any;

describe('minimal, with real Prefect 3.8.3', () => {
  const objects = variant('minimal');
  const dir = workDir('minimal');
  const kubernetes = new KubernetesApiStandIn(dir);
  let cluster: LocalCluster;
  let server: Pod;
  let worker: Pod;
  let client: PrefectClient;

  beforeAll(async () => {
    await kubernetes.start();
    cluster = new LocalCluster({ objects, imageFor: imageFor(), workDir: dir, kubernetesApi: { port: kubernetes.port, caCert: kubernetes.caCert } });
  });

  afterAll(async () => {
    await cluster?.stop();
    await kubernetes.stop();
  });

  test('the server starts on SQLite in its claim, and answers /api/health and /api/ready', async () => {
    server = cluster.podOf(workload(objects, 'StatefulSet', 'prefect-server'));
    await server.startAll();
    await server.waitFor('prefect-server', 'startupProbe', 180);
    await server.waitFor('prefect-server', 'readinessProbe', 60);
    client = new PrefectClient(`http://${server.ip}:4200/api`);
    expect(await client.call('GET', '/health')).toBe(true);
    expect((await client.request('GET', '/ready')).status).toBe(200);
    // The database is the claim's file, not one in the pod's home.
    const claim = cluster.claim('prefect', `data-${server.facts.name}`, undefined);
    expect(fs.existsSync(path.join(claim, 'prefect.db'))).toBe(true);
  });

  test('the worker\'s set-up creates the pool with the template from git, and the worker answers /health', async () => {
    worker = cluster.podOf(workload(objects, 'Deployment', 'kubernetes-worker'));
    await worker.startAll();
    await worker.waitFor('prefect-worker', 'startupProbe', 120);
    const config = workload(objects, 'ConfigMap', 'kubernetes-worker-pool');
    const pool = await client.workPool('kubernetes');
    expect(pool.type).toBe('kubernetes');
    expect(pool.base_job_template).toEqual(JSON.parse(config.data['base-job-template.json']));
    expect((await client.queues('kubernetes')).map(q => q.name)).toEqual(['default']);
    const workers = await eventually('the worker in the pool', async () => {
      const found = await client.workers('kubernetes');
      return found.length > 0 ? found : undefined;
    }, 60);
    expect(workers.map(w => w.name)).toEqual([worker.facts.name]);
  });

  describe('a flow run, end to end', () => {
    let job: Json;
    let flowRunId: string;

    test('the worker submits the Job it renders for a deployment with a git_clone pull step', async () => {
      flowRunId = await runFromGit(client, flowRepository(dir), 'kubernetes');
      job = await eventually('the flow run\'s Job', async () => kubernetes.jobs[0], 120);
      expect(job.metadata.namespace).toBe('prefect');
      expect(job.spec.template.metadata.labels['prefect.io/flow-run-id']).toBe(flowRunId);
      // The worker authenticated with the pod's ServiceAccount token.
      const create = kubernetes.requests.find(r => r.method === 'POST')!;
      expect(create.authorization).toBe('Bearer token-of-prefect-kubernetes-worker');
    });

    test('the Job passes Pod Security "restricted", needs only what its namespace has, and its pod is covered by the policies', () => {
      const serverPod: Endpoint = {
        id: 'server', namespace: 'prefect', labels: workload(objects, 'StatefulSet', 'prefect-server').spec.template.metadata.labels,
        ports: [{ name: 'http', containerPort: 4200 }],
      };
      expect(jobProblems(job, objects, cluster.secrets, serverPod)).toEqual([]);
    });

    test('the flow-run pod clones the code, runs the flow, and the run is Completed', async () => {
      expect(await runJobPod(cluster, job)).toEqual({ code: 0, log: '' });
      expect(await finalState(client, flowRunId)).toBe('COMPLETED');
    });
  });
});
