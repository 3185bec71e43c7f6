import { readFileSync } from 'fs';
import { join } from 'path';
import Ajv from 'ajv';
import { Duration, Size } from 'cdk8s';
import * as yaml from 'yaml';
import {
  DaskScratch, DaskScratchProps, PrefectApi, PrefectConnection, PrefectImage, PrefectVersion, PrefectWorkerPool, PrefectWorkerPoolProps,
  WorkerRuntime, WorkPoolType,
} from '../src';
import { problems } from './support/checks';
import { jobAsApplied, renderWithDefaults } from './support/job-template';
import { kubernetes127Errors } from './support/kubernetes-schema';
import { restrictedViolations } from './support/pod-security';
import { envOf, kinds, only, synth } from './support/synth';

type Json = any;

const image = PrefectImage.fromRegistry('registry.example.com/data/flows-dask:2026.11.1', PrefectVersion.V3_8_3);

/** A server, a DaskScratch and a kubernetes pool using it; the objects, with the pool's flow-run Job as applied. */
function scratch(props: Partial<DaskScratchProps> = {}, poolProps: Partial<PrefectWorkerPoolProps> = {}) {
  let pool: PrefectWorkerPool | undefined;
  const objects = synth(chart => {
    const api = new PrefectApi(chart, 'Server');
    const dask = new DaskScratch(chart, 'Dask', { image, ...props });
    pool = new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), poolName: 'etl', dask, ...poolProps });
  });
  const job = jobAsApplied(renderWithDefaults(pool!.baseJobTemplate));
  return { objects, job, pod: job.spec.template.spec };
}

/** The DaskCluster a flow run creates: the spec file of the ConfigMap in the flow runs' namespace. */
function clusterOf(objects: Json[], namespace = 'prefect'): Json {
  const configMap = objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'dask-cluster' && o.metadata.namespace === namespace);
  return yaml.parse(configMap.data['daskcluster.yaml']);
}

// The DaskCluster CRD's schema, generated into imports/ beside its types (npm run import).
const schema = JSON.parse(readFileSync(join(__dirname, '..', 'imports', 'kubernetes.dask.org.schema.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('date-time', { type: 'string', validate: (v: string) => !Number.isNaN(Date.parse(v)) });
// Its type is declared with x-kubernetes-int-or-string beside it, which the schema checks.
ajv.addFormat('int-or-string', true);
const validateCluster = ajv.compile(schema);

describe('DaskScratch in a dedicated namespace', () => {
  const { objects, job, pod } = scratch({ namespace: 'dask-scratch' });
  const cluster = clusterOf(objects);

  test('creates the namespace with Pod Security enforced, its bounds, and the client RBAC', () => {
    expect(problems([...objects, job])).toEqual([]);
    expect(kinds(objects).filter(k => /dask/.test(k))).toEqual([
      'ConfigMap/dask-cleanup', 'ConfigMap/dask-cluster', 'CronJob/dask-cleanup', 'LimitRange/dask', 'Namespace/dask-scratch', 'ResourceQuota/dask',
      // The cleanup's, in the scratch namespace and in the flow runs'.
      'Role/dask-cleanup', 'Role/dask-cleanup', 'Role/dask-client',
      'RoleBinding/dask-cleanup', 'RoleBinding/dask-cleanup', 'RoleBinding/dask-client-etl-worker',
      'ServiceAccount/dask-cleanup', 'ServiceAccount/etl-worker-dask',
    ]);
    const namespace = only(objects, 'Namespace');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(only(objects, 'ResourceQuota').spec.hard).toEqual({
      'pods': 50, 'requests.cpu': '32', 'requests.memory': '128Gi', 'limits.memory': '128Gi',
      'requests.ephemeral-storage': '1024Gi', 'limits.ephemeral-storage': '1024Gi',
    });
    const limits = only(objects, 'LimitRange').spec.limits[0];
    expect(limits.max).toEqual({ 'memory': '4Gi', 'ephemeral-storage': '11264Mi' });
    expect(limits.default).toEqual({ 'memory': '2Gi', 'ephemeral-storage': '1280Mi' });
    expect(limits.defaultRequest).toEqual({ 'cpu': '250m', 'memory': '1Gi', 'ephemeral-storage': '256Mi' });
  });

  test('every pod of the scratch namespace states what its quota counts, so none is rejected', () => {
    const counted = ['requests.cpu', 'requests.memory', 'limits.memory', 'requests.ephemeral-storage', 'limits.ephemeral-storage'];
    expect(Object.keys(only(objects, 'ResourceQuota').spec.hard).filter(k => k !== 'pods').sort()).toEqual([...counted].sort());
    const pods = [cluster.spec.scheduler.spec, cluster.spec.worker.spec, only(objects, 'CronJob').spec.jobTemplate.spec.template.spec];
    for (const container of pods.flatMap(p => p.containers)) {
      for (const key of counted) {
        const [kind, resource] = key.split('.');
        expect([container.name, key, container.resources[kind]?.[resource]]).toEqual([container.name, key, expect.any(String)]);
      }
    }
  });

  test('the Role grants exactly the rules of the dask-kubernetes client', () => {
    const role = only(objects, 'Role', 'dask-client');
    expect(role.metadata.namespace).toBe('dask-scratch');
    // dask-kubernetes' documented client rules (2025.4.3, docs/source/operator_kubecluster.rst), plus pods/log.
    expect(role.rules).toEqual([
      {
        apiGroups: ['kubernetes.dask.org'],
        resources: ['daskclusters', 'daskworkergroups', 'daskworkergroups/scale', 'daskjobs', 'daskautoscalers'],
        verbs: ['get', 'list', 'watch', 'patch', 'create', 'delete'],
      },
      { apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);
    const binding = only(objects, 'RoleBinding', 'dask-client-etl-worker');
    expect(binding.metadata.namespace).toBe('dask-scratch');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dask-client' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'etl-worker-dask', namespace: 'prefect' }]);
  });

  test('flow-run Jobs run under that ServiceAccount, with the spec, the module and the namespace', () => {
    expect(pod.serviceAccountName).toBe('etl-worker-dask');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.volumes).toContainEqual({ name: 'dask-scratch', configMap: { name: 'dask-cluster' } });
    const container = pod.containers[0];
    expect(container.volumeMounts).toContainEqual({ name: 'dask-scratch', mountPath: '/etc/dask-scratch', readOnly: true });
    const env = envOf(container);
    expect(env.DASK_KUBERNETES__NAMESPACE).toBe('dask-scratch');
    expect(env.PYTHONPATH).toBe('/etc/dask-scratch');
    expect(env.USER).toBe('prefect');
  });

  test('the cluster spec validates against the DaskCluster CRD, and its pods pass the 1.27 schema and Pod Security', () => {
    expect(validateCluster(cluster) ? [] : validateCluster.errors).toEqual([]);
    // The schema can fail: a wrong type and a missing scheduler are caught.
    expect(validateCluster({ ...cluster, spec: { ...cluster.spec, idleTimeout: 'soon' } })).toBe(false);
    expect(validateCluster({ ...cluster, spec: { worker: cluster.spec.worker } })).toBe(false);
    expect(cluster.apiVersion).toBe('kubernetes.dask.org/v1');
    for (const [role, spec] of [['scheduler', cluster.spec.scheduler.spec], ['worker', cluster.spec.worker.spec]]) {
      expect(restrictedViolations(spec)).toEqual([]);
      expect(kubernetes127Errors({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `dask-${role}` }, spec })).toEqual([]);
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.containers[0].image).toBe('registry.example.com/data/flows-dask:2026.11.1');
    }
  });

  test('workers spill to a disk-backed scratch volume and stop before its limit; idle clusters are reaped', () => {
    const worker = cluster.spec.worker.spec;
    const container = worker.containers[0];
    expect(worker.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '10240Mi' } });
    expect(worker.volumes.find((v: Json) => v.name === 'scratch').emptyDir.medium).toBeUndefined();
    expect(container.volumeMounts).toContainEqual({ name: 'scratch', mountPath: '/scratch' });
    const env = envOf(container);
    expect(env.DASK_TEMPORARY_DIRECTORY).toBe('/scratch');
    expect(env.DASK_DISTRIBUTED__WORKER__MEMORY__MAX_SPILL).toBe('8192MiB');
    expect(container.resources.requests['ephemeral-storage']).toBe('10240Mi');
    expect(container.resources.limits['ephemeral-storage']).toBe('11264Mi');
    expect(container.args).toEqual(['dask', 'worker', '--name', '$(DASK_WORKER_NAME)', '--dashboard', '--dashboard-address', '8788']);
    expect(cluster.spec.worker.replicas).toBe(2);
    expect(cluster.spec.idleTimeout).toBe(3600);
  });

  test('the scheduler Service selects the cluster by the name the module gives it', () => {
    expect(cluster.metadata.name).toBe('dask-scratch-cluster');
    expect(cluster.spec.scheduler.service.selector).toEqual({ 'dask.org/cluster-name': 'dask-scratch-cluster', 'dask.org/component': 'scheduler' });
    expect(cluster.spec.scheduler.service.ports.map((p: Json) => p.name)).toEqual(['tcp-comm', 'http-dashboard']);
    const module = objects.find(o => o.kind === 'ConfigMap' && o.metadata.name === 'dask-cluster').data['dask_scratch.py'];
    expect(module).toContain('spec["metadata"]["name"] = name');
    expect(module).toContain('spec["spec"]["scheduler"]["service"]["selector"]["dask.org/cluster-name"] = name');
    expect(module).toContain('os.environ.get("PREFECT__FLOW_RUN_ID")');
  });
});

describe('the cleanup', () => {
  const { objects, job } = scratch({ namespace: 'dask-scratch' }, { additionalJobNamespaces: ['team-b'] });
  const cronJob = only(objects, 'CronJob');
  const pod = cronJob.spec.jobTemplate.spec.template.spec;

  test('a CronJob that never overlaps, with a pinned image, restricted, under its own account', () => {
    expect(problems([...objects, job, { ...job, metadata: { ...job.metadata, namespace: 'team-b' } }])).toEqual([]);
    expect(cronJob.metadata.namespace).toBe('dask-scratch');
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.schedule).toBe('*/15 * * * *');
    expect(pod.containers[0].image).toBe('prefecthq/prefect:3.8.3-python3.12');
    expect(pod.serviceAccountName).toBe('dask-cleanup');
    expect(pod.automountServiceAccountToken).toBe(true);
    const env = envOf(pod.containers[0]);
    expect(env.CLUSTER_NAMESPACES).toBe('dask-scratch');
    expect(env.RUN_NAMESPACES).toBe('prefect,team-b');
    expect([env.MAX_CLUSTER_AGE, env.POD_AGE, env.JOB_AGE]).toEqual(['86400', '21600', '86400']);
    expect(env.CLUSTER_SELECTOR).toBe('app.kubernetes.io/instance=dask,app.kubernetes.io/component=dask-cluster');
    expect(clusterOf(objects).metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'dask', 'app.kubernetes.io/component': 'dask-cluster' });
  });

  test('its Roles: delete Dask clusters where they live, finished pods and Jobs where flows run', () => {
    const roles = objects.filter(o => o.kind === 'Role' && o.metadata.name === 'dask-cleanup');
    expect(Object.fromEntries(roles.map(r => [r.metadata.namespace, r.rules]))).toEqual({
      'dask-scratch': [{ apiGroups: ['kubernetes.dask.org'], resources: ['daskclusters'], verbs: ['list', 'delete'] }],
      'prefect': [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] }, { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list', 'delete'] }],
      'team-b': [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'delete'] }, { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list', 'delete'] }],
    });
    for (const binding of objects.filter(o => o.kind === 'RoleBinding' && o.metadata.name === 'dask-cleanup')) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'dask-cleanup', namespace: 'dask-scratch' }]);
    }
  });

  test('the shipped cleanup program selects by these labels (its selection: test/programs, npm run test:programs)', () => {
    const script = only(objects, 'ConfigMap', 'dask-cleanup').data['cleanup.py'];
    expect(script).toBe(readFileSync(join(__dirname, '..', 'src', 'programs', 'cleanup.py'), 'utf8'));
    const env = envOf(pod.containers[0]);
    // Only this spec's pools' runs and this spec's Dask pods.
    expect(env.RUN_POD_SELECTOR).toBe('app.kubernetes.io/component=flow-run,app.kubernetes.io/instance in (etl-worker)');
    expect(env.JOB_SELECTOR).toBe('prefect.io/flow-run-id,prefect.io/work-pool-name in (etl)');
    expect(env.DASK_POD_SELECTOR).toBe('dask.org/component,app.kubernetes.io/instance=dask');
  });

  test('errors', () => {
    expect(() => scratch({ maxClusterLifetime: Duration.minutes(30) })).toThrow(/maxClusterLifetime "1800s" is not accepted: more than idleTimeout \(3600s\)/);
    expect(() => scratch({ cleanupSchedule: 'hourly' })).toThrow(/\[CRON\] DaskScratch '[^']+': cleanupSchedule "hourly" is not accepted: a CronJob schedule such as "\*\/15 \* \* \* \*" or "@hourly", as Kubernetes reads it: exactly 5 fields, not 1/);
    expect(() => scratch({ finishedPodAge: Duration.seconds(10) })).toThrow(/finishedPodAge "10s" is not accepted/);
  });
});

describe('DaskScratch in the flow runs\' namespaces', () => {
  const { objects, job, pod } = scratch({}, { additionalJobNamespaces: ['team-b'], jobTemplate: { namespace: 'runs' } });

  test('a Role, binding, account and spec in each job namespace; the namespace from the pod', () => {
    expect(problems([...objects, job, { ...job, metadata: { ...job.metadata, namespace: 'team-b' } }])).toEqual([]);
    for (const ns of ['runs', 'team-b']) {
      for (const kind of ['Role', 'RoleBinding', 'ServiceAccount', 'ConfigMap']) {
        expect(objects.filter(o => o.kind === kind && o.metadata.namespace === ns && /^(dask-client|dask-cluster|etl-worker-dask)/.test(o.metadata.name))).toHaveLength(1);
      }
      expect(only(objects.filter(o => o.metadata.namespace === ns), 'RoleBinding', 'dask-client-etl-worker').subjects).toEqual([{ kind: 'ServiceAccount', name: 'etl-worker-dask', namespace: ns }]);
    }
    expect(kinds(objects).filter(k => /Quota|LimitRange|Namespace\//.test(k))).toEqual([]);
    expect(pod.containers[0].env).toContainEqual({ name: 'DASK_KUBERNETES__NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
  });
});

describe('DaskScratch shared by pools', () => {
  test('two pools in one job namespace: their own accounts and bindings, one spec and Role there', () => {
    let pools: PrefectWorkerPool[] = [];
    const objects = synth(chart => {
      const api = new PrefectApi(chart, 'Server');
      const dask = new DaskScratch(chart, 'Dask', { image, namespace: 'dask-scratch' });
      pools = ['etl', 'ml'].map(name => new PrefectWorkerPool(chart, name, { connection: PrefectConnection.inCluster(api), poolName: name, dask }));
    });
    const jobs = pools.map((p, i) => {
      const job = jobAsApplied(renderWithDefaults(p.baseJobTemplate));
      return { ...job, metadata: { ...job.metadata, name: `${job.metadata.name}-${i}` } };
    });
    expect(problems([...objects, ...jobs])).toEqual([]);
    expect(jobs.map(j => j.spec.template.spec.serviceAccountName)).toEqual(['etl-worker-dask', 'ml-worker-dask']);
    expect(objects.filter(o => o.kind === 'ConfigMap' && o.metadata.name === 'dask-cluster')).toHaveLength(1);
    expect(objects.filter(o => o.kind === 'RoleBinding' && o.metadata.namespace === 'dask-scratch').map(o => [o.metadata.name, o.subjects[0].name]))
      .toEqual([['dask-cleanup', 'dask-cleanup'], ['dask-client-etl-worker', 'etl-worker-dask'], ['dask-client-ml-worker', 'ml-worker-dask']]);
  });
});

describe('DaskScratch options and errors', () => {
  test('sizes, workers, timeout and quota', () => {
    const { objects } = scratch({
      namespace: 'dask-scratch', workers: 4, scratchSize: Size.gibibytes(50), maxSpill: Size.gibibytes(40), idleTimeout: Duration.minutes(10),
      quota: { pods: 20, memory: Size.gibibytes(64) },
    });
    const cluster = clusterOf(objects);
    expect(cluster.spec.worker.replicas).toBe(4);
    expect(cluster.spec.idleTimeout).toBe(600);
    expect(envOf(cluster.spec.worker.spec.containers[0]).DASK_DISTRIBUTED__WORKER__MEMORY__MAX_SPILL).toBe('40960MiB');
    expect(only(objects, 'ResourceQuota').spec.hard.pods).toBe(20);
    expect(only(objects, 'ResourceQuota').spec.hard['requests.memory']).toBe('64Gi');
  });

  test.each<[string, Partial<DaskScratchProps>, RegExp]>([
    ['max-spill at the size limit', { scratchSize: Size.gibibytes(10), maxSpill: Size.gibibytes(10) },
      /DaskScratch 'test\/Dask': maxSpill 10Gi is not accepted: less than scratchSize \(10Gi\)/],
    ['zero workers', { workers: 0 }, /workers 0 is not accepted: a whole number from 1 to 1000/],
    ['no idle timeout', { idleTimeout: Duration.seconds(0) }, /idleTimeout "0s" is not accepted: a whole number of seconds from 60/],
    ['a quota without a namespace', { quota: { pods: 10 } }, /quota "set" is not accepted: unset without a dedicated namespace/],
    ['a bad namespace', { namespace: 'Dask' }, /namespace "Dask" is not accepted: a namespace name/],
    ['a tiny scratch volume', { scratchSize: Size.mebibytes(10) }, /scratchSize 10Mi is not accepted/],
    ['workers without a memory limit', { workerResources: { memory: { request: Size.gibibytes(1) } } }, /workerResources\.memory\.limit \(unset\) is not accepted/],
  ])('%s', (_, props, message) => {
    expect(() => scratch(props)).toThrow(message);
  });

  test('a small scratch volume keeps the LimitRange default within its max', () => {
    const limits = only(scratch({ namespace: 'dask-scratch', scratchSize: Size.mebibytes(200), maxSpill: Size.mebibytes(100) }).objects, 'LimitRange').spec.limits[0];
    expect(limits.default['ephemeral-storage']).toBe('1280Mi');
    expect(limits.max['ephemeral-storage']).toBe('1280Mi');
  });

  test('a pool whose Jobs would land in the Dask namespace, or whose name is no label value', () => {
    expect(() => scratch({ namespace: 'dask-scratch' }, { jobTemplate: { namespace: 'dask-scratch' } }))
      .toThrow(/PrefectWorkerPool 'test\/Pool': jobTemplate\.namespace "dask-scratch" is not accepted: a namespace other than the Dask clusters'/);
    expect(() => scratch({}, { poolName: 'etl pool', name: 'etl-pool' }))
      .toThrow(/poolName "etl pool" is not accepted: with dask, a pool name that is a label value/);
  });

  test('only for kubernetes pools of workers with a managed template, and not with a template ServiceAccount', () => {
    expect(() => scratch({}, { type: WorkPoolType.PROCESS })).toThrow(/PrefectWorkerPool 'test\/Pool': dask "test\/Dask" is not accepted: a kubernetes pool of workers/);
    expect(() => scratch({}, { managePool: false })).toThrow(/dask "test\/Dask" is not accepted/);
    expect(() => scratch({}, { jobTemplate: { serviceAccountName: 'mine' } }))
      .toThrow(/jobTemplate\.serviceAccountName "mine" is not accepted: unset with dask/);
    expect(() => synth(chart => {
      const api = new PrefectApi(chart, 'Server', { image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) });
      const dask = new DaskScratch(chart, 'Dask', { image });
      new PrefectWorkerPool(chart, 'Pool', { connection: PrefectConnection.inCluster(api), runtime: WorkerRuntime.prefect2Agent(), dask });
    })).toThrow(/dask "test\/Dask" is not accepted: a kubernetes pool of workers/);
  });
});
