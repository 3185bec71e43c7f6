/**
 * The minimal variant with a real Kubernetes API server instead of the stand-in: the newest
 * control plane scripts/cluster-setup.sh built, listening on the pods' bridge. The output is
 * applied to it; the real Prefect 3.8.3 worker, with its ServiceAccount's token from that API
 * server, submits a flow run's Job there; the Job controller creates the pod, Pod Security admits
 * it, and the network policies select that pod by the labels it actually has.
 */
import { applyAll, applyProblems, namespacesToProvide, provideNamespaces } from '../cluster/support/apply';
import { builtReleases, ClusterInfo, startControlPlane, stopControlPlane } from '../cluster/support/control-plane';
import { KubeClient } from '../cluster/support/kube-client';
import { allowed, matchesSelector } from '../support/network-policies';
import { only } from '../support/synth';
import { flowRepository, runFromGit } from './support/flow-runs';
import { ensureBridge, HOST_IP } from './support/local-cluster';
import { eventually, PrefectClient, variant } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

describe('minimal, with real Prefect 3.8.3 and a real Kubernetes API server', () => {
  const objects = variant('minimal');
  let cluster: ClusterInfo | undefined;
  let kube: KubeClient;
  let scenario: Scenario | undefined;
  let client: PrefectClient;

  beforeAll(async () => {
    const release = builtReleases().at(-1);
    if (!release) throw new Error('no control plane is built: run bash scripts/cluster-setup.sh first');
    ensureBridge();
    cluster = await startControlPlane(release, HOST_IP);
    kube = new KubeClient(cluster);
    await provideNamespaces(kube, namespacesToProvide(objects));
    const problems = applyProblems(await applyAll(kube, objects));
    if (problems.length > 0) throw new Error(problems.join('\n'));
    const tokens: Record<string, string> = {};
    for (const account of objects.filter(o => o.kind === 'ServiceAccount')) {
      tokens[`${account.metadata.namespace}/${account.metadata.name}`] = await kube.tokenOf(account.metadata.namespace, account.metadata.name);
    }
    scenario = await Scenario.start('kubernetes', objects, { kubernetesApi: { port: Number(new URL(cluster.url).port), caCert: cluster.ca, tokens } });
  });

  afterAll(async () => {
    await scenario?.stop();
    if (cluster) await stopControlPlane(cluster);
  });

  test('the server starts and the worker joins its pool', async () => {
    ({ client } = await scenario!.startServer('StatefulSet', 'prefect-server'));
    const worker = await scenario!.startWorker('kubernetes-worker');
    expect(await client.workerNames('kubernetes', 1)).toEqual([worker.facts.name]);
  });

  test('the worker submits the flow run\'s Job to the API server; the Job controller makes its pod, admitted; the policies select its actual labels', async () => {
    const flowRunId = await runFromGit(client, flowRepository(scenario!.dir), 'kubernetes');
    const selector = `prefect.io/flow-run-id=${flowRunId}`;
    const job: Json = await eventually(`the Job of flow run ${flowRunId} in the API server`,
      async () => (await kube.list('batch/v1', 'Job', 'prefect', selector))[0], 180);
    // Written by the Python Kubernetes client Prefect uses (the field manager is its user agent),
    // not by this test; the Job controller then wrote its status.
    const managers = (job.metadata.managedFields ?? []).map((f: Json) => `${f.manager} ${f.operation}${f.subresource ? ` ${f.subresource}` : ''}`);
    expect(managers).toEqual(['OpenAPI-Generator Update', 'kube-controller-manager Update status']);
    const pod: Json = await eventually('the Job\'s pod', async () => (await kube.list('v1', 'Pod', 'prefect', `batch.kubernetes.io/job-name=${job.metadata.name}`))[0], 60);
    // Admitted where "restricted" is enforced; Pending, as no node runs it.
    expect((await kube.get('v1', 'Namespace', undefined, 'prefect')).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(pod.status.phase).toBe('Pending');
    const policies = objects.filter(o => o.kind === 'NetworkPolicy');
    const runPolicy = only(objects, 'NetworkPolicy', 'kubernetes-worker-flow-runs');
    const labels = pod.metadata.labels;
    expect(matchesSelector(runPolicy.spec.podSelector, labels)).toBe(true);
    const flowRun = { id: 'flow-run', namespace: 'prefect', labels, ports: [] };
    const server = scenario!.serverEndpoint('StatefulSet', 'prefect-server');
    expect(allowed(policies, flowRun, server, { port: 4200, protocol: 'TCP' })).toBe(true);
    expect(allowed(policies, server, flowRun, { port: 8080, protocol: 'TCP' })).toBe(false);
  });
});
