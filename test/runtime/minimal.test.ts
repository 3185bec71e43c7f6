/**
 * The minimal variant, run for real: the server on SQLite in its claim, the pool set-up and the
 * worker; then a deployment whose code a `git_clone` pull step fetches, and a flow run of it in
 * the Job the real prefect-kubernetes worker renders, run as its pod would run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowed, Endpoint } from '../support/network-policies';
import { restrictedViolations } from '../support/pod-security';
import { KubernetesApiStandIn } from './support/kubernetes-api';
import { LocalCluster, Pod } from './support/local-cluster';
import { eventually, imageFor, PrefectClient, variant, workDir, workload } from './support/runtime';

type Json = any;

/** Labels the Prefect 3 kubernetes worker sets on flow-run pods itself (prefect-kubernetes 0.7.x). */
const PREFECT_SET_LABELS = /^(prefect\.io\/.*|app\.kubernetes\.io\/(name|managed-by))$/;

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
      const repository = flowRepository(dir);
      const flow = await client.call('POST', '/flows/', { name: 'hello' });
      const deployment = await client.call('POST', '/deployments/', {
        name: 'from-git',
        flow_id: flow.id,
        work_pool_name: 'kubernetes',
        entrypoint: 'flows/hello.py:hello',
        pull_steps: [{ 'prefect.deployments.steps.git_clone': { repository: `file://${repository}`, branch: 'main' } }],
      });
      flowRunId = (await client.call('POST', `/deployments/${deployment.id}/create_flow_run`, {})).id;
      job = await eventually('the flow run\'s Job', async () => kubernetes.jobs[0], 120);
      expect(job.metadata.namespace).toBe('prefect');
      expect(job.spec.template.metadata.labels['prefect.io/flow-run-id']).toBe(flowRunId);
      // The worker authenticated with the pod's ServiceAccount token.
      const create = kubernetes.requests.find(r => r.method === 'POST')!;
      expect(create.authorization).toBe('Bearer token-of-prefect-kubernetes-worker');
    });

    test('the Job passes Pod Security "restricted" and references only what its namespace has', () => {
      expect(restrictedViolations(job.spec.template.spec, job.spec.template.metadata.annotations)).toEqual([]);
      const secretRefs = job.spec.template.spec.containers.flatMap((c: Json) => (c.env ?? []).filter((e: Json) => e.valueFrom?.secretKeyRef));
      expect(secretRefs).toEqual([]);
      const configMaps = (job.spec.template.spec.volumes ?? []).filter((v: Json) => v.configMap).map((v: Json) => v.configMap.name);
      for (const name of configMaps) expect(objects.some(o => o.kind === 'ConfigMap' && o.metadata.name === name && o.metadata.namespace === 'prefect')).toBe(true);
    });

    test('the network policies select the flow-run pod by labels Prefect does not set, and let it reach the API', () => {
      const policies = objects.filter(o => o.kind === 'NetworkPolicy');
      const pod: Endpoint = { id: 'flow-run', namespace: 'prefect', labels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name }, ports: [] };
      const serverPod: Endpoint = {
        id: 'server', namespace: 'prefect', labels: workload(objects, 'StatefulSet', 'prefect-server').spec.template.metadata.labels,
        ports: [{ name: 'http', containerPort: 4200 }],
      };
      const selecting = policies.filter(p => p.metadata.name === 'kubernetes-worker-flow-runs');
      expect(selecting).toHaveLength(1);
      const selector = selecting[0].spec.podSelector;
      const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((e: Json) => e.key)];
      expect(keys.filter(k => PREFECT_SET_LABELS.test(k))).toEqual([]);
      expect(Object.entries(selector.matchLabels ?? {}).every(([k, v]) => pod.labels![k] === v)).toBe(true);
      expect(allowed(policies, pod, serverPod, { port: 4200, protocol: 'TCP' })).toBe(true);
      // Nothing may connect to a flow-run pod.
      expect(allowed(policies, serverPod, pod, { port: 8080, protocol: 'TCP' })).toBe(false);
    });

    test('the flow-run pod clones the code, runs the flow, and the run is Completed', async () => {
      const pod = cluster.podFromJob(job);
      await pod.startAll();
      const code = await pod.containers[0].exited;
      const log = pod.logOf('prefect-job');
      expect({ code, log: code === 0 ? '' : log }).toEqual({ code: 0, log: '' });
      const run = await eventually('the flow run to finish', async () => {
        const r = await client.flowRun(flowRunId);
        return r.state?.type === 'RUNNING' || r.state?.type === 'PENDING' || r.state?.type === 'SCHEDULED' ? undefined : r;
      }, 60);
      expect(run.state.type).toBe('COMPLETED');
    });
  });
});

/** A git repository with a flow, readable by the pods' user. */
function flowRepository(dir: string): string {
  const repository = path.join(dir, 'flows-repository');
  fs.mkdirSync(path.join(repository, 'flows'), { recursive: true });
  fs.writeFileSync(path.join(repository, 'flows', 'hello.py'), [
    'import os',
    'from prefect import flow',
    '',
    '',
    '@flow(log_prints=True)',
    'def hello() -> int:',
    '    print(f"running in {os.getcwd()}")',
    '    return 42',
    '',
  ].join('\n'));
  const git = (...args: string[]) => execFileSync('git', ['-C', repository, ...args], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=runtime', '-c', 'user.email=runtime@localhost', 'commit', '-q', '-m', 'flows');
  // Owned by the pods' user, as git refuses repositories of other owners.
  execFileSync('chown', ['-R', '1001:1001', repository]);
  return repository;
}
