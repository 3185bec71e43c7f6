/**
 * The minimal variant, run for real: the server on SQLite in its claim, the pool set-up and the
 * worker; then a deployment whose code a `git_clone` pull step fetches, and a flow run of it in
 * the Job the real prefect-kubernetes worker renders, run as its pod would run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { only } from '../support/synth';
import { finalState, flowRepository, jobProblems, runFromGit, runJobPod } from './support/flow-runs';
import { Pod } from './support/local-cluster';
import { PrefectClient, variant } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

describe('minimal, with real Prefect 3.8.3', () => {
  const objects = variant('minimal');
  let scenario: Scenario;
  let server: Pod;
  let worker: Pod;
  let client: PrefectClient;

  beforeAll(async () => {
    scenario = await Scenario.start('minimal', objects);
  });

  afterAll(async () => {
    await scenario?.stop();
  });

  test('the server starts on SQLite in its claim, and answers /api/health and /api/ready', async () => {
    ({ pod: server, client } = await scenario.startServer('StatefulSet', 'prefect-server'));
    expect(await client.call('GET', '/health')).toBe(true);
    expect((await client.request('GET', '/ready')).status).toBe(200);
    // The database is the claim's file, not one in the pod's home.
    const claim = scenario.cluster.claim('prefect', `data-${server.facts.name}`, undefined);
    expect(fs.existsSync(path.join(claim, 'prefect.db'))).toBe(true);
  });

  test('the worker\'s set-up creates the pool with the template from git, and the worker answers /health', async () => {
    worker = await scenario.startWorker('kubernetes-worker');
    const config = only(objects, 'ConfigMap', 'kubernetes-worker-pool');
    const pool = await client.workPool('kubernetes');
    expect(pool.type).toBe('kubernetes');
    expect(pool.base_job_template).toEqual(JSON.parse(config.data['base-job-template.json']));
    expect((await client.queues('kubernetes')).map(q => q.name)).toEqual(['default']);
    expect(await client.workerNames('kubernetes', 1)).toEqual([worker.facts.name]);
  });

  describe('a flow run, end to end', () => {
    let job: Json;
    let flowRunId: string;

    test('the worker submits the Job it renders for a deployment with a git_clone pull step', async () => {
      flowRunId = await runFromGit(client, flowRepository(scenario.dir), 'kubernetes');
      job = await scenario.jobFor(flowRunId);
      expect(job.metadata.namespace).toBe('prefect');
      // The worker authenticated with the pod's ServiceAccount token.
      const create = scenario.kubernetes.requests.find(r => r.method === 'POST')!;
      expect(create.authorization).toBe('Bearer token-of-prefect-kubernetes-worker');
    });

    test('the Job passes Pod Security "restricted", needs only what its namespace has, and its pod is covered by the policies', () => {
      expect(jobProblems(job, objects, scenario.cluster.secrets, scenario.serverEndpoint('StatefulSet', 'prefect-server'))).toEqual([]);
    });

    test('the flow-run pod clones the code, runs the flow, and the run is Completed', async () => {
      expect(await runJobPod(scenario.cluster, job)).toEqual({ code: 0, log: '' });
      expect(await finalState(client, flowRunId)).toBe('COMPLETED');
    });
  });
});
