/**
 * Every variant, applied to real control planes with server-side apply and strict field
 * validation: accepted with no warning, unchanged by a second apply, its namespaces labelled as
 * the chart says, and the pods its controllers make (StatefulSet, Deployments, Jobs, a CronJob's
 * run) admitted by Pod Security. No node runs them: they stay Pending.
 */
import { Testing } from 'cdk8s';
import { buildVariants } from '../../src/examples/variants';
import {
  Applied, applyAll, applyProblems, clusters, describeName, eventually, liveAll, minimumMinor, minorOf, namespacesToProvide, priorityClassesToProvide, provideNamespaces,
  providePriorityClasses, reapplyChanges, removeAll, removePriorityClasses,
} from './support/apply';
import { KubeClient } from './support/kube-client';
import { controllerPodProblems, runCronJobs } from './support/workloads';

type Json = any;

const VARIANTS: Array<[string, Json[]]> = buildVariants(Testing.app()).map(chart => [chart.node.id, Testing.synth(chart)]);

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (version, cluster) => {
  const kube = new KubeClient(cluster);
  const fits = ([name]: [string, Json[]]) => minorOf(version) >= minimumMinor(name);
  const tooOld = VARIANTS.filter(v => !fits(v));

  if (tooOld.length > 0) {
    describe.each(tooOld)('%s, which needs a newer release', (_name, objects) => {
      test('its workloads with native sidecars are refused, with the field the release lacks, and nothing else is', async () => {
        const provided = namespacesToProvide(objects);
        await provideNamespaces(kube, provided);
        try {
          const applied = await applyAll(kube, objects);
          const refused = applied.filter(a => a.answer.status !== 200 && a.answer.status !== 201);
          const sidecars = (o: Json) => JSON.stringify(o).includes('"restartPolicy":"Always"') && ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(o.kind);
          expect(refused.map(a => describeName(a.object)).sort()).toEqual(objects.filter(sidecars).map(describeName).sort());
          // Server-side apply names the field by the container's name.
          for (const { answer } of refused) expect(answer.body?.message).toMatch(/\.spec\.(jobTemplate\.spec\.)?template\.spec\.initContainers\[name="[^"]+"\]\.restartPolicy: field not declared in schema$/);
          expect(refused.length).toBeGreaterThan(0);
        } finally {
          await removeAll(kube, objects, provided);
        }
      });
    });
  }

  describe.each(VARIANTS.filter(fits))('%s', (_name, objects) => {
    const provided = namespacesToProvide(objects);
    const priorities = priorityClassesToProvide(objects);
    let first: Applied[] = [];

    beforeAll(async () => {
      await provideNamespaces(kube, provided);
      await providePriorityClasses(kube, priorities);
      first = await applyAll(kube, objects);
    });
    afterAll(async () => {
      await removeAll(kube, objects, provided);
      await removePriorityClasses(kube, priorities);
    });

    test('every object is accepted with strict field validation, and no warning', () => {
      expect(first.length).toBe(objects.length);
      expect(applyProblems(first)).toEqual([]);
    });

    test('applying it again changes nothing', async () => {
      const before = await liveAll(kube, first);
      const second = await applyAll(kube, objects);
      expect(applyProblems(second)).toEqual([]);
      expect(reapplyChanges(before, second)).toEqual([]);
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
