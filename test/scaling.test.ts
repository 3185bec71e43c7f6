/**
 * Autoscaling and disruption budgets: the API's and the workers' HorizontalPodAutoscalers, the
 * workers' PodDisruptionBudget, and several background services pods where Prefect runs its loop
 * services on docket.
 */
import { Chart, Duration } from 'cdk8s';
import {
  PrefectApi, PrefectApiProps, PrefectConnection, PrefectDatabase, PrefectImage, PrefectVersion, PrefectWorkerPool, PrefectWorkerPoolProps,
  QueueDeployments, SecretKeyReference, WorkPoolType,
} from '../src';
import { problems } from './support/checks';
import { inputErrorOf, kinds, only, synth, synthError } from './support/synth';

type Json = any;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');
const ha: PrefectApiProps = { database: PrefectDatabase.postgresUrl(SecretKeyReference.fromSecret('db', 'url')), redis: { host: 'redis.prefect.svc' } };
const server = (props: PrefectApiProps) => (chart: Chart) => new PrefectApi(chart, 'api', { ...ha, ...props });
const workers = (props: Partial<PrefectWorkerPoolProps>) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', ...props });

describe('the API', () => {
  test('autoscaled: an HPA on the API Deployment, which sets no replica count; highly available as with replicas', () => {
    const objects = synth(server({ autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70, memoryUtilization: 85, scaleDownStabilization: Duration.minutes(10) } }));
    const hpa = only(objects, 'HorizontalPodAutoscaler', 'prefect-server');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'prefect-server' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 85 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 600 } },
    });
    const api = only(objects, 'Deployment', 'prefect-server');
    expect(api.spec.replicas).toBeUndefined();
    expect(kinds(objects)).toEqual(expect.arrayContaining(['Deployment/prefect-server-services', 'PodDisruptionBudget/prefect-server']));
    expect(objects.some(o => o.kind === 'Job')).toBe(true);
    expect(problems(objects)).toEqual([]);
  });

  test('CPU is the default target', () => {
    const hpa = only(synth(server({ autoscaling: { minReplicas: 2, maxReplicas: 3 } })), 'HorizontalPodAutoscaler');
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    expect(hpa.spec.behavior).toBeUndefined();
  });

  test('a fixed count has no HPA', () => {
    const objects = synth(server({ replicas: 3 }));
    expect(objects.filter(o => o.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(only(objects, 'Deployment', 'prefect-server').spec.replicas).toBe(3);
  });

  test('several background services pods roll one at a time and have a disruption budget', () => {
    const objects = synth(server({ replicas: 2, servicesReplicas: 3 }));
    const services = only(objects, 'Deployment', 'prefect-server-services');
    expect(services.spec.replicas).toBe(3);
    expect(services.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const budget = only(objects, 'PodDisruptionBudget', 'prefect-server-services');
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: services.spec.selector.matchLabels } });
    expect(problems(objects)).toEqual([]);
  });

  test('one background services pod is replaced, never doubled', () => {
    const services = only(synth(server({ replicas: 2 })), 'Deployment', 'prefect-server-services');
    expect(services.spec.replicas).toBe(1);
    expect(services.spec.strategy).toEqual({ type: 'Recreate' });
  });
});

describe('the workers', () => {
  test('one HPA and one disruption budget per worker Deployment; no replica count', () => {
    const objects = synth(workers({
      type: WorkPoolType.PROCESS, queues: [{ name: 'a' }, { name: 'b' }], queueDeployments: QueueDeployments.PER_QUEUE,
      autoscaling: { minReplicas: 1, maxReplicas: 4 }, disruptionBudget: { maxUnavailable: 1 },
    }));
    for (const name of ['etl-worker-a', 'etl-worker-b']) {
      const deployment = only(objects, 'Deployment', name);
      expect(deployment.spec.replicas).toBeUndefined();
      const hpa = only(objects, 'HorizontalPodAutoscaler', name);
      expect(hpa.spec).toMatchObject({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, minReplicas: 1, maxReplicas: 4 });
      const budget = only(objects, 'PodDisruptionBudget', name);
      expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
    }
    expect(problems(objects)).toEqual([]);
  });

  test('minAvailable instead of maxUnavailable', () => {
    const budget = only(synth(workers({ replicas: 3, disruptionBudget: { minAvailable: 2 } })), 'PodDisruptionBudget');
    expect(budget.spec.minAvailable).toBe(2);
    expect(budget.spec.maxUnavailable).toBeUndefined();
  });

  test('maxUnavailable 1 by default', () => {
    expect(only(synth(workers({ replicas: 2, disruptionBudget: {} })), 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });
});

const old = PrefectImage.official({ version: PrefectVersion.of('3.6.6') });
const CASES: Array<[string, (chart: Chart) => unknown, string, string]> = [
  ['replicas beside autoscaling', server({ replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 } }), 'CONFLICT', 'replicas'],
  ['autoscaling that is a number', server({ autoscaling: 3 as Json }), 'FORMAT', 'autoscaling'],
  ['an autoscaled API with one pod at least', server({ autoscaling: { minReplicas: 1, maxReplicas: 4 } }), 'QUANTITY', 'autoscaling.minReplicas'],
  ['an autoscaled API on SQLite', (chart: Chart) => new PrefectApi(chart, 'api', { autoscaling: { minReplicas: 2, maxReplicas: 4 } }), 'CONFLICT', 'autoscaling.minReplicas'],
  ['maxReplicas no more than minReplicas', server({ autoscaling: { minReplicas: 3, maxReplicas: 3 } }), 'QUANTITY', 'autoscaling.maxReplicas'],
  ['a utilization of 0', server({ autoscaling: { minReplicas: 2, maxReplicas: 3, cpuUtilization: 0 } }), 'QUANTITY', 'autoscaling.cpuUtilization'],
  ['a memory utilization that is a fraction', server({ autoscaling: { minReplicas: 2, maxReplicas: 3, memoryUtilization: 50.5 } }), 'QUANTITY', 'autoscaling.memoryUtilization'],
  ['a stabilization of two hours', server({ autoscaling: { minReplicas: 2, maxReplicas: 3, scaleDownStabilization: Duration.hours(2) } }),
    'QUANTITY', 'autoscaling.scaleDownStabilization'],
  ['several services pods on a single server', (chart: Chart) => new PrefectApi(chart, 'api', { servicesReplicas: 2 }), 'CONFLICT', 'servicesReplicas'],
  ['several services pods before 3.6.7', server({ replicas: 2, servicesReplicas: 2, image: old }), 'RELEASE', 'servicesReplicas'],
  ['services pods out of range', server({ replicas: 2, servicesReplicas: 0 }), 'QUANTITY', 'servicesReplicas'],
  ['worker replicas beside autoscaling', workers({ replicas: 2, autoscaling: { minReplicas: 1, maxReplicas: 2 } }), 'CONFLICT', 'replicas'],
  ['worker autoscaling from 0', workers({ autoscaling: { minReplicas: 0, maxReplicas: 2 } }), 'QUANTITY', 'autoscaling.minReplicas'],
  ['a worker name with autoscaling', workers({ workerName: 'w', autoscaling: { minReplicas: 1, maxReplicas: 2 } }), 'CONFLICT', 'workerName'],
  ['a budget that is a number', workers({ disruptionBudget: 1 as Json }), 'FORMAT', 'disruptionBudget'],
  ['both budget fields', workers({ disruptionBudget: { maxUnavailable: 1, minAvailable: 1 } }), 'CONFLICT', 'disruptionBudget'],
  ['a budget of 0 unavailable', workers({ disruptionBudget: { maxUnavailable: 0 } }), 'QUANTITY', 'disruptionBudget.maxUnavailable'],
  ['a budget that blocks every drain', workers({ replicas: 2, disruptionBudget: { minAvailable: 2 } }), 'QUANTITY', 'disruptionBudget.minAvailable'],
];

test.each(CASES)('rejected: %s', (_what, build, code, prop) => {
  expect(inputErrorOf(synthError(build))).toEqual({ code, prop });
});

test('services replicas are accepted from 3.6.7', () => {
  expect(synthError(server({ replicas: 2, servicesReplicas: 2, image: PrefectImage.official({ version: PrefectVersion.of('3.6.7') }) }))).toBeUndefined();
});
