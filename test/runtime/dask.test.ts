/**
 * The dask variant, run for real: a flow run's pod (the Job the real worker renders) calls the
 * mounted `dask_scratch.cluster`, and the real dask-kubernetes submits its DaskCluster; that spec
 * is valid for the operator's CRD, and the network policies let the flow run reach its scheduler.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { allowed, Endpoint } from '../support/network-policies';
import { flowRepository, jobProblems, runFromGit } from './support/flow-runs';
import { KubernetesApiStandIn } from './support/kubernetes-api';
import { LocalCluster, Pod } from './support/local-cluster';
import { eventually, imageFor, PrefectClient, variant, workDir, workload } from './support/runtime';

type Json = any;

const FLOWS_IMAGE = 'registry.example.com/data/flows-dask:2026.11.1';

/** The DaskCluster CRD's schema, from the operator's CRD file. */
function daskClusterSchema(): Json {
  const file = path.resolve(__dirname, '..', '..', '..', 'shared', 'crds', 'dask', 'daskcluster.yaml');
  const crd = parse(fs.readFileSync(file, 'utf8'));
  return crd.spec.versions.find((v: Json) => v.name === 'v1').schema.openAPIV3Schema;
}

describe('dask, with real Prefect 3.8.3 and dask-kubernetes', () => {
  const objects = variant('dask');
  const dir = workDir('dask');
  const kubernetes = new KubernetesApiStandIn(dir);
  let cluster: LocalCluster;
  let client: PrefectClient;
  let job: Json;
  let daskCluster: Json;

  beforeAll(async () => {
    await kubernetes.start();
    cluster = new LocalCluster({
      objects, imageFor: imageFor({ [FLOWS_IMAGE]: 3 }), workDir: dir, kubernetesApi: { port: kubernetes.port, caCert: kubernetes.caCert },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
    await kubernetes.stop();
  });

  test('the worker submits a flow run\'s Job, which may start Dask clusters', async () => {
    const server = cluster.podOf(workload(objects, 'StatefulSet', 'prefect-server'));
    await server.startAll();
    await server.waitFor('prefect-server', 'readinessProbe', 180);
    client = new PrefectClient(`http://${server.ip}:4200/api`);
    const worker = cluster.podOf(workload(objects, 'Deployment', 'dask-worker'));
    await worker.startAll();
    await worker.waitFor('prefect-worker', 'startupProbe', 120);
    const flowRunId = await runFromGit(client, flowRepository(dir), 'dask');
    job = await eventually('the flow run\'s Job', async () => kubernetes.jobs[0], 120);
    expect(job.spec.template.metadata.labels['prefect.io/flow-run-id']).toBe(flowRunId);
    expect(job.spec.template.spec.serviceAccountName).toBe('dask-worker-dask');
    const serverPod: Endpoint = {
      id: 'server', namespace: 'prefect', labels: workload(objects, 'StatefulSet', 'prefect-server').spec.template.metadata.labels,
      ports: [{ name: 'http', containerPort: 4200 }],
    };
    expect(jobProblems(job, objects, cluster.secrets, serverPod)).toEqual([]);
  });

  test('dask_scratch.cluster, in the flow-run pod, submits a DaskCluster with the real dask-kubernetes', async () => {
    const pod: Pod = cluster.podFromJob(job);
    const container = job.spec.template.spec.containers[0];
    const run = pod.start(container, ['python', '-c', 'import dask_scratch; dask_scratch.cluster()']);
    daskCluster = await eventually('the DaskCluster', async () => kubernetes.created.find(o => o.kind === 'DaskCluster'), 120);
    // It would wait for the operator now, which is not here.
    process.kill(-run.process.pid!, 'SIGKILL');
    const create = kubernetes.requests.find(r => r.method === 'POST' && r.path.endsWith('/daskclusters'))!;
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
