/**
 * Every variant, applied to real control planes with server-side apply and strict field
 * validation: accepted with no warning, unchanged by a second apply, its namespaces labelled as
 * the chart says, and the pods its controllers make (StatefulSet, Deployments, Jobs, a CronJob's
 * run) admitted by Pod Security. No node runs them: they stay Pending.
 */
import { Testing } from 'cdk8s';
import { buildVariants } from '../../src/examples/variants';
import { Applied, applyAll, applyProblems, clusters, describeName, eventually, namespacesToProvide, provideNamespaces, reapplyChanges, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';
import { controllerPodProblems, runCronJobs } from './support/workloads';

type Json = any;

const VARIANTS: Array<[string, Json[]]> = buildVariants(Testing.app()).map(chart => [chart.node.id, Testing.synth(chart)]);

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (_version, cluster) => {
  const kube = new KubeClient(cluster);

  describe.each(VARIANTS)('%s', (_name, objects) => {
    const provided = namespacesToProvide(objects);
    let first: Applied[] = [];

    beforeAll(async () => {
      await provideNamespaces(kube, provided);
      first = await applyAll(kube, objects);
    });
    afterAll(async () => removeAll(kube, objects, provided));

    test('every object is accepted with strict field validation, and no warning', () => {
      expect(first.length).toBe(objects.length);
      expect(applyProblems(first)).toEqual([]);
    });

    test('applying it again changes nothing', async () => {
      const second = await applyAll(kube, objects);
      expect(applyProblems(second)).toEqual([]);
      expect(reapplyChanges(first, second)).toEqual([]);
    });

    test('the namespaces it creates carry its labels, Pod Security\'s included', async () => {
      const namespaces = objects.filter(o => o.kind === 'Namespace');
      for (const ns of namespaces) {
        const live = await kube.get('v1', 'Namespace', undefined, ns.metadata.name);
        expect(live.metadata.labels).toEqual(expect.objectContaining(ns.metadata.labels));
      }
    });

    test('the controllers create every pod, and Pod Security admits them', async () => {
      await runCronJobs(kube, objects);
      const problems: string[] = [];
      await eventually('every workload has its pods', async () => (problems.splice(0, problems.length, ...await controllerPodProblems(kube, objects)), problems.length === 0),
        async () => problems.join('\n'));
      expect(problems).toEqual([]);
    });

    test('a pod that breaks Pod Security is refused in every namespace it creates or uses', async () => {
      for (const ns of [...objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name), ...provided]) {
        const live = await kube.get('v1', 'Namespace', undefined, ns);
        const level = live.metadata.labels['pod-security.kubernetes.io/enforce'];
        expect(['restricted', 'baseline']).toContain(level);
        const answer = await kube.request('POST', `/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'breaks-pod-security' },
          spec: { containers: [{ name: 'c', image: 'registry.example.com/control:1', securityContext: { privileged: true } }] },
        });
        const version = live.metadata.labels['pod-security.kubernetes.io/enforce-version'] ?? 'latest';
        expect(`${describeName(live)}: ${answer.status} ${answer.body?.message}`).toContain(`: 403 pods "breaks-pod-security" is forbidden: violates PodSecurity "${level}:${version}": privileged`);
        // Baseline, not restricted: refused only where "restricted" is enforced.
        const baseline = await kube.request('POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, {
          apiVersion: 'v1', kind: 'Pod', metadata: { name: 'breaks-restricted' }, spec: { containers: [{ name: 'c', image: 'registry.example.com/control:1' }] },
        });
        expect(`${ns}: ${baseline.status}`).toBe(`${ns}: ${level === 'restricted' ? 403 : 201}`);
      }
    });
  });
});
