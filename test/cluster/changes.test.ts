/**
 * Changes applied as a GitOps tool applies them: the output of one configuration, then of a
 * changed one, with server-side apply and strict field validation. Each change succeeds: no
 * immutable-field error on a StatefulSet's claim templates or selector, a Deployment's selector or
 * a Job's template, and no warning; the changed objects' pods are made and admitted again.
 */
import { Size, Testing } from 'cdk8s';
import {
  PlatformServer, PrefectDatabase, PrefectImage, PrefectPlatform, PrefectPlatformProps, PrefectVersion, QueueDeployments, SecretKeyReference,
} from '../../src';
import { applyAll, applyProblems, clusters, eventually, namespacesToProvide, provideNamespaces, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';
import { controllerPodProblems } from './support/workloads';

type Json = any;

const image = (version: string) => PrefectImage.official({ version: PrefectVersion.of(version) });
const postgres = PrefectDatabase.postgres({ host: 'pg.prefect.svc', user: 'prefect', databaseName: 'prefect', password: SecretKeyReference.fromSecret('pg', 'password') });
const ha = (version: string, replicas: number): PrefectPlatformProps => ({
  server: PlatformServer.deploy({ image: image(version), replicas, database: postgres, redis: { host: 'redis.prefect.svc' } }),
  workerPools: [{ poolName: 'etl', image: image(version) }],
});

/** A configuration, then a changed one. */
const CHANGES: Array<[string, PrefectPlatformProps, PrefectPlatformProps]> = [
  ['a Prefect upgrade (SQLite)', { server: PlatformServer.deploy({ image: image('3.4.16') }), workerPools: [{ poolName: 'etl', image: image('3.4.16') }] },
    { server: PlatformServer.deploy({ image: image('3.8.3') }), workerPools: [{ poolName: 'etl', image: image('3.8.3') }] }],
  ['a Prefect upgrade (highly available: the migration Job)', ha('3.4.16', 2), ha('3.8.3', 2)],
  ['an added pool', { workerPools: [{ poolName: 'etl' }] }, { workerPools: [{ poolName: 'etl' }, { poolName: 'reports' }] }],
  ['an added queue', { workerPools: [{ poolName: 'etl', queues: [{ name: 'main' }] }] },
    { workerPools: [{ poolName: 'etl', queues: [{ name: 'main' }, { name: 'backfill' }] }] }],
  ['per-queue Deployments turned on', { workerPools: [{ poolName: 'etl', queues: [{ name: 'main' }, { name: 'backfill' }] }] },
    { workerPools: [{ poolName: 'etl', queues: [{ name: 'main' }, { name: 'backfill' }], queueDeployments: QueueDeployments.PER_QUEUE }] }],
  ['high availability turned on', { server: PlatformServer.deploy({ database: postgres }), workerPools: [{ poolName: 'etl' }] }, ha('3.8.3', 3)],
];

const sqlite = (gibibytes: number): PrefectPlatformProps => ({ server: PlatformServer.deploy({ database: PrefectDatabase.sqlite({ size: Size.gibibytes(gibibytes) }) }) });

const synth = (props: PrefectPlatformProps): Json[] => Testing.synth(new PrefectPlatform(Testing.app(), 'platform', props));

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (_version, cluster) => {
  const kube = new KubeClient(cluster);

  test.each(CHANGES)('%s', async (_what, before, after) => {
    const [first, second] = [synth(before), synth(after)];
    const provided = namespacesToProvide([...first, ...second]);
    await provideNamespaces(kube, provided);
    try {
      expect(applyProblems(await applyAll(kube, first))).toEqual([]);
      expect(applyProblems(await applyAll(kube, second))).toEqual([]);
      let problems: string[] = [];
      await eventually('every workload of the changed output has its pods', async () => (problems = await controllerPodProblems(kube, second)).length === 0,
        async () => problems.join('\n'));
    } finally {
      await removeAll(kube, [...first, ...second], provided);
    }
  });

  // Kubernetes keeps a StatefulSet's claim templates as they were made. The README's procedure:
  // delete the StatefulSet but not its pods and claim, apply, then resize the claim itself.
  test('a larger SQLite volume: refused in place, applied after the StatefulSet is deleted with its pods and claim orphaned', async () => {
    const [first, second] = [synth(sqlite(5)), synth(sqlite(10))];
    const provided = namespacesToProvide(first);
    await provideNamespaces(kube, provided);
    try {
      expect(applyProblems(await applyAll(kube, first))).toEqual([]);
      expect(applyProblems(await applyAll(kube, second))).toEqual([
        // 1.27 says it of the whole spec, newer releases of the claim templates.
        expect.stringMatching(/^StatefulSet prefect\/prefect-server: 422 .*(spec\.volumeClaimTemplates: .*field is immutable|spec: Forbidden: updates to statefulset spec for fields other than)/),
      ]);
      await eventually('the first pod', async () => (await controllerPodProblems(kube, first)).length === 0, async () => 'none');
      const claim = await kube.get('v1', 'PersistentVolumeClaim', 'prefect', 'data-prefect-server-0');
      await kube.ok('DELETE', '/apis/apps/v1/namespaces/prefect/statefulsets/prefect-server', { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Orphan' });
      await eventually('the StatefulSet deleted', async () => (await kube.get('apps/v1', 'StatefulSet', 'prefect', 'prefect-server')) === undefined, async () => 'still there');
      expect(applyProblems(await applyAll(kube, second))).toEqual([]);
      // The new StatefulSet has its pod, on the claim that was there: the data stays where it was.
      await eventually('the new StatefulSet\'s pod', async () => (await controllerPodProblems(kube, second)).length === 0,
        async () => (await controllerPodProblems(kube, second)).join('; '));
      expect((await kube.get('v1', 'PersistentVolumeClaim', 'prefect', 'data-prefect-server-0')).metadata.uid).toBe(claim.metadata.uid);
    } finally {
      await removeAll(kube, first, provided);
    }
  });
});
