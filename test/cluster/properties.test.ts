/**
 * A sample of the property suites' random valid platforms, applied like the variants: accepted
 * with strict field validation and no warning, unchanged by a second apply, every controller's pod
 * admitted. CLUSTER_SAMPLE sets how many (default 8), CLUSTER_SEED which.
 */
import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { PrefectPlatform } from '../../src';
import { platformCase } from '../support/arbitraries';
import { applyAll, applyProblems, clusters, eventually, namespacesToProvide, provideNamespaces, reapplyChanges, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';
import { controllerPodProblems, runCronJobs } from './support/workloads';

type Json = any;

const SAMPLE = Number(process.env.CLUSTER_SAMPLE ?? 8);
const SEED = Number(process.env.CLUSTER_SEED ?? 17);
const CASES: Array<[string, string, Json[]]> = fc.sample(platformCase, { numRuns: SAMPLE, seed: SEED }).map((c, i) => {
  const platform = new PrefectPlatform(Testing.app(), 'platform', c.props);
  c.after?.(platform);
  return [`case ${i} of seed ${SEED}`, JSON.stringify(c.description), Testing.synth(platform)];
});

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (_version, cluster) => {
  const kube = new KubeClient(cluster);

  test.each(CASES)('%s', async (_name, description, objects) => {
    const provided = namespacesToProvide(objects);
    await provideNamespaces(kube, provided);
    try {
      const first = await applyAll(kube, objects);
      expect(applyProblems(first)).toEqual([]);
      const second = await applyAll(kube, objects);
      expect(applyProblems(second)).toEqual([]);
      expect(reapplyChanges(first, second)).toEqual([]);
      await runCronJobs(kube, objects);
      let problems: string[] = [];
      await eventually('every workload has its pods', async () => (problems = await controllerPodProblems(kube, objects)).length === 0, async () => problems.join('\n'));
    } catch (e) {
      throw new Error(`${(e as Error).message}\nthe configuration: ${description}`);
    } finally {
      await removeAll(kube, objects, provided);
    }
  });
});
