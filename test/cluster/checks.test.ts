/**
 * The suite's checks fail on broken output: an unknown field, pods that Pod Security refuses, a
 * second apply that changes the spec. Without these, a check that cannot fail would pass.
 */
import { applyAll, applyProblems, clusters, provideNamespaces, reapplyChanges, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';
import { controllerPodProblems } from './support/workloads';

type Json = any;

const deployment = (securityContext: Json, replicas = 1): Json => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'control', namespace: 'checks' },
  spec: {
    replicas, selector: { matchLabels: { app: 'control' } },
    template: { metadata: { labels: { app: 'control' } }, spec: { containers: [{ name: 'c', image: 'registry.example.com/control:1', securityContext }] } },
  },
});

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (_version, cluster) => {
  const kube = new KubeClient(cluster);
  beforeAll(() => provideNamespaces(kube, ['checks']));
  afterAll(() => removeAll(kube, [], ['checks']));

  test('an unknown field is refused by strict field validation', async () => {
    const config = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'control', namespace: 'checks' }, data: { a: 'b' }, datta: { a: 'b' } };
    expect(applyProblems(await applyAll(kube, [config]))).toEqual([expect.stringMatching(/^ConfigMap checks\/control: 500 .*\.datta: field not declared in schema/)]);
  });

  test('pods that break "restricted" are warned of at apply, and the controller cannot create them', async () => {
    const broken = deployment({ privileged: true });
    expect(applyProblems(await applyAll(kube, [broken]))).toEqual([expect.stringMatching(/^Deployment checks\/control: warning 299 - "would violate PodSecurity \\"restricted:latest\\": privileged/)]);
    let problems: string[] = [];
    for (let i = 0; i < 40 && !problems.some(p => p.includes('violates PodSecurity')); i++) {
      await new Promise(r => setTimeout(r, 250));
      problems = await controllerPodProblems(kube, [broken]);
    }
    expect(problems).toEqual([expect.stringMatching(/^Deployment checks\/control has 0 of 1 pods; .*forbidden: violates PodSecurity "restricted:latest": privileged/)]);
  });

  test('a second apply that changes the spec is reported', async () => {
    const first = await applyAll(kube, [deployment({ privileged: false }, 1)]);
    const second = await applyAll(kube, [deployment({ privileged: false }, 2)]);
    expect(reapplyChanges(first, second)).toEqual([expect.stringMatching(/^Deployment checks\/control changed \(generation \d+ -> \d+/)]);
  });
});
