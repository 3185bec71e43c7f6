/**
 * A Prefect 2.20.25 kubernetes worker's flow run, run for real: Prefect 2 runs a deployment's pull
 * steps in the container's working directory, so the `git_clone` of its code must find a writable
 * one in the Job the real prefect-kubernetes 0.3.11 worker renders.
 */
import { App, Testing } from 'cdk8s';
import { PlatformServer, PrefectImage, PrefectPlatform, PrefectVersion } from '../../src';
import { Endpoint } from '../support/network-policies';
import { finalState, flowRepository, jobProblems, runFromGit, runJobPod } from './support/flow-runs';
import { KubernetesApiStandIn } from './support/kubernetes-api';
import { LocalCluster } from './support/local-cluster';
import { eventually, imageFor, PrefectClient, workDir, workload } from './support/runtime';

type Json = any;

function objects(): Json[] {
  const image = PrefectImage.official({ version: PrefectVersion.V2_20_25, pythonVersion: '3.11' });
  const platform = new PrefectPlatform(new App(), 'prefect2-worker', {
    server: PlatformServer.deploy({ image }),
    workerPools: [{ poolName: 'kubernetes', image }],
  });
  return Testing.synth(platform);
}

describe('a Prefect 2.20.25 kubernetes worker, with real Prefect and prefect-kubernetes', () => {
  const synthesized = objects();
  const dir = workDir('prefect2-worker');
  const kubernetes = new KubernetesApiStandIn(dir);
  let cluster: LocalCluster;
  let client: PrefectClient;
  let job: Json;
  let flowRunId: string;

  beforeAll(async () => {
    await kubernetes.start();
    cluster = new LocalCluster({ objects: synthesized, imageFor: imageFor(), workDir: dir, kubernetesApi: { port: kubernetes.port, caCert: kubernetes.caCert } });
  });

  afterAll(async () => {
    await cluster?.stop();
    await kubernetes.stop();
  });

  test('the worker submits the Job it renders for a deployment with a git_clone pull step', async () => {
    const server = cluster.podOf(workload(synthesized, 'StatefulSet', 'prefect-server'));
    await server.startAll();
    await server.waitFor('prefect-server', 'readinessProbe', 180);
    client = new PrefectClient(`http://${server.ip}:4200/api`);
    const worker = cluster.podOf(workload(synthesized, 'Deployment', 'kubernetes-worker'));
    await worker.startAll();
    await worker.waitFor('prefect-worker', 'startupProbe', 120);
    flowRunId = await runFromGit(client, flowRepository(dir), 'kubernetes');
    job = await eventually('the flow run\'s Job', async () => kubernetes.jobs[0], 120);
    const serverPod: Endpoint = {
      id: 'server', namespace: 'prefect', labels: workload(synthesized, 'StatefulSet', 'prefect-server').spec.template.metadata.labels,
      ports: [{ name: 'http', containerPort: 4200 }],
    };
    expect(jobProblems(job, synthesized, cluster.secrets, serverPod)).toEqual([]);
  });

  test('the flow-run pod clones the code into its working directory, and the run is Completed', async () => {
    expect(await runJobPod(cluster, job)).toEqual({ code: 0, log: '' });
    expect(await finalState(client, flowRunId)).toBe('COMPLETED');
  });
});
