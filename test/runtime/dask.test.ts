/**
 * The dask variant, run for real: a flow run's pod (the Job the real worker renders) calls the
 * mounted `dask_scratch.cluster`, and the real dask-kubernetes submits its DaskCluster; that spec
 * is valid for the operator's CRD, and the network policies let the flow run reach its scheduler.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { allowed, Endpoint } from '../support/network-policies';
import { flowRepository, jobProblems, runFromGit } from './support/flow-runs';
import { Pod } from './support/local-cluster';
import { eventually, variant } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

const FLOWS_IMAGE = 'registry.example.com/data/flows-dask:2026.11.1';

/** The DaskCluster CRD's schema, generated into imports/ from the operator's CRD file (npm run import). */
function daskClusterSchema(): Json {
  return JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'imports', 'kubernetes.dask.org.schema.json'), 'utf8'));
}

describe('dask, with real Prefect 3.8.3 and dask-kubernetes', () => {
  const objects = variant('dask');
  let scenario: Scenario;
  let job: Json;
  let daskCluster: Json;

  beforeAll(async () => {
    scenario = await Scenario.start('dask', objects, { images: { [FLOWS_IMAGE]: 3 } });
  });

  afterAll(async () => {
    await scenario?.stop();
  });

  test('the worker submits a flow run\'s Job, which may start Dask clusters', async () => {
    const { client } = await scenario.startServer('StatefulSet', 'prefect-server');
    await scenario.startWorker('dask-worker');
    const flowRunId = await runFromGit(client, flowRepository(scenario.dir), 'dask');
    job = await scenario.jobFor(flowRunId);
    expect(job.spec.template.spec.serviceAccountName).toBe('dask-worker-dask');
    expect(jobProblems(job, objects, scenario.cluster.secrets, scenario.serverEndpoint('StatefulSet', 'prefect-server'))).toEqual([]);
  });

  test('dask_scratch.cluster, in the flow-run pod, submits a DaskCluster with the real dask-kubernetes', async () => {
    const pod: Pod = scenario.cluster.podFromJob(job);
    const container = job.spec.template.spec.containers[0];
    const run = pod.start(container, ['python', '-c', 'import dask_scratch; dask_scratch.cluster()']);
    daskCluster = await eventually('the DaskCluster', async () => scenario.kubernetes.created.find(o => o.kind === 'DaskCluster'), 120);
    // It would wait for the operator now, which is not here.
    process.kill(-run.process.pid!, 'SIGKILL');
    const create = scenario.kubernetes.requests.find(r => r.method === 'POST' && r.path.endsWith('/daskclusters'))!;
    expect(create.path).toBe('/apis/kubernetes.dask.org/v1/namespaces/dask-scratch/daskclusters');
    expect(create.authorization).toBe('Bearer token-of-prefect-dask-worker-dask');
    expect(daskCluster.metadata.name).toMatch(new RegExp(`^dask-${job.spec.template.metadata.labels['prefect.io/flow-run-id']}-[0-9a-f]{8}$`));
    expect(daskCluster.spec.scheduler.service.selector['dask.org/cluster-name']).toBe(daskCluster.metadata.name);
  });

  test('the DaskCluster is valid for the operator\'s CRD', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('int32', true);
    ajv.addFormat('int64', true);
    ajv.addFormat('int-or-string', true);
    ajv.addFormat('date-time', true);
    const validate = ajv.compile(daskClusterSchema());
    const { metadata, ...rest } = daskCluster;
    expect(validate({ ...rest, metadata: { name: metadata.name, labels: metadata.labels } }) ? [] : validate.errors).toEqual([]);
  });

  test('the network policies let the flow run reach its scheduler, and the scheduler nothing else', () => {
    const policies = objects.filter(o => o.kind === 'NetworkPolicy');
    const flowRun: Endpoint = { id: 'flow-run', namespace: job.metadata.namespace, labels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name }, ports: [] };
    // The operator adds its own labels to the scheduler pod.
    const scheduler: Endpoint = {
      id: 'scheduler', namespace: daskCluster.metadata.namespace,
      labels: { ...daskCluster.spec.scheduler.metadata.labels, 'dask.org/cluster-name': daskCluster.metadata.name, 'dask.org/component': 'scheduler' },
      ports: daskCluster.spec.scheduler.spec.containers[0].ports,
    };
    expect(allowed(policies, flowRun, scheduler, { port: 8786, protocol: 'TCP' })).toBe(true);
    expect(allowed(policies, flowRun, scheduler, { port: 8787, protocol: 'TCP' })).toBe(true);
    const stranger: Endpoint = { id: 'other pod', namespace: job.metadata.namespace, labels: { app: 'other' }, ports: [] };
    expect(allowed(policies, stranger, scheduler, { port: 8786, protocol: 'TCP' })).toBe(false);
  });
});
