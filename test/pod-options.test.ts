/**
 * The pod options every workload takes (PrefectPodOptions): what each option puts where, on the
 * server, its background services and migration Job, the workers, the flow-run job template, the
 * Dask scheduler and workers and the cleanup CronJob.
 */
import { Chart, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { parse as parseYaml } from 'yaml';
import {
  DaskScratch, PrefectApi, PrefectConnection, PrefectDatabase, PrefectImage, PrefectPodOptions, PrefectVersion, PrefectWorkerPool,
  SecretKeyReference, WorkerRuntime, WorkPoolType,
} from '../src';
import { problems } from './support/checks';
import { flowRunJobsOf, renderWithDefaults } from './support/job-template';
import { only, podSpecOf, synth as synthChart } from './support/synth';

/**
 * Synthesizes, with the ConfigMap the options' volume names (which exists beside the chart's
 * objects), and adds the flow-run Jobs the pools' templates render, so the checks see them too.
 */
function synth(build: (chart: Chart) => void): Json[] {
  let jobs: Json[] = [];
  const objects = synthChart(chart => {
    for (const namespace of ['prefect', 'gpu-runs']) {
      new k8s.KubeConfigMap(chart, `corporate-ca-${namespace}`, { metadata: { name: 'corporate-ca', namespace }, data: { 'ca.crt': '-' } });
    }
    build(chart);
    jobs = flowRunJobsOf(chart);
  });
  return [...objects, ...jobs];
}

/** Native sidecars need Kubernetes 1.29, the first release with them on by default: the checks read that release. */
const SIDECARS = 29;

type Json = any;
const secret = SecretKeyReference.fromSecret;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');
const redis = { host: 'redis.prefect.svc' };
const postgres = PrefectDatabase.postgresUrl(secret('db', 'url'));

const proxy: k8s.Container = {
  name: 'cloud-sql-proxy',
  image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1',
  args: ['--port=5432', 'project:region:instance'],
  resources: { limits: { memory: k8s.Quantity.fromString('256Mi') }, requests: { cpu: k8s.Quantity.fromString('50m') } },
};
const fetchCredentials: k8s.Container = {
  name: 'fetch-credentials',
  image: 'registry.example.com/tools/fetch:1.2.3',
  resources: { limits: { memory: k8s.Quantity.fromString('64Mi') } },
  volumeMounts: [{ name: 'credentials', mountPath: '/credentials' }],
};

/** Every option, with values that are easy to find in the output. */
const everything: PrefectPodOptions = {
  labels: { 'team': 'data', 'sidecar.istio.io/inject': 'false' },
  annotations: { 'vault.hashicorp.com/agent-inject': 'true' },
  nodeSelector: { 'node.kubernetes.io/instance-type': 'm6i.large' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'prefect', effect: 'NoSchedule' }],
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
  topologySpreadConstraints: [{ maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
  priorityClassName: 'prefect-high',
  serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prefect' } },
  volumes: [{ name: 'credentials', emptyDir: {} }, { name: 'ca', configMap: { name: 'corporate-ca' } }],
  volumeMounts: [{ name: 'ca', mountPath: '/etc/ssl/corporate', readOnly: true }],
  initContainers: [fetchCredentials],
  sidecars: [proxy],
  envFrom: [{ configMapRef: { name: 'proxy-settings' } }, { secretRef: { name: 'cloud-credentials' }, prefix: 'CLOUD_' }],
  terminationGracePeriod: Duration.seconds(90),
};

const restricted = {
  runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, allowPrivilegeEscalation: false, privileged: false,
  readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
};

/** The user's parts of a pod spec, as `everything` puts them there. */
function expectEverything(spec: Json, mainContainers: string[]): void {
  expect(spec.nodeSelector).toEqual({ 'node.kubernetes.io/instance-type': 'm6i.large' });
  expect(spec.tolerations).toEqual(everything.tolerations);
  expect(spec.affinity).toEqual(everything.affinity);
  expect(spec.topologySpreadConstraints).toContainEqual(everything.topologySpreadConstraints![0]);
  expect(spec.priorityClassName).toBe('prefect-high');
  expect(spec.terminationGracePeriodSeconds).toBe(90);
  expect(spec.volumes.slice(-2)).toEqual([{ name: 'credentials', emptyDir: {} }, { name: 'ca', configMap: { name: 'corporate-ca' } }]);
  // The sidecar first, native, with the library's security settings; then the user's init container.
  expect(spec.initContainers[0]).toEqual({ ...proxy, resources: { limits: { memory: '256Mi' }, requests: { cpu: '50m' } }, restartPolicy: 'Always', securityContext: restricted });
  expect(spec.initContainers[1]).toMatchObject({ name: 'fetch-credentials', securityContext: restricted });
  expect(spec.initContainers[1].restartPolicy).toBeUndefined();
  for (const name of mainContainers) {
    const container = [...spec.containers, ...spec.initContainers].find((c: Json) => c.name === name);
    expect(container.envFrom).toEqual(everything.envFrom);
    expect(container.volumeMounts).toContainEqual({ name: 'ca', mountPath: '/etc/ssl/corporate', readOnly: true });
  }
  // The user's own containers get neither.
  expect(spec.initContainers[0].envFrom).toBeUndefined();
}

function expectPodMetadata(template: Json): void {
  expect(template.metadata.labels).toMatchObject({ 'team': 'data', 'sidecar.istio.io/inject': 'false', 'app.kubernetes.io/name': 'prefect' });
  expect(template.metadata.annotations).toMatchObject({ 'vault.hashicorp.com/agent-inject': 'true' });
}

describe('the server', () => {
  test('a single server: every option on its pod, the annotations on its own ServiceAccount', () => {
    const objects = synth(chart => new PrefectApi(chart, 'server', { pod: everything }));
    const sts = only(objects, 'StatefulSet', 'prefect-server');
    expectPodMetadata(sts.spec.template);
    // The workload's own labels are the library's: only the pods get the user's.
    expect(sts.metadata.labels.team).toBeUndefined();
    expectEverything(podSpecOf(sts), ['prefect-server']);
    expect(podSpecOf(sts).serviceAccountName).toBe('prefect-server');
    const account = only(objects, 'ServiceAccount', 'prefect-server');
    expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prefect' });
    expect(account.automountServiceAccountToken).toBe(false);
    expect(problems(objects, SIDECARS)).toEqual([]);
  });

  test('highly available: the services and the migration take the server\'s options, or their own', () => {
    const own: PrefectPodOptions = { nodeSelector: { role: 'services' }, labels: { part: 'services' } };
    const objects = synth(chart => new PrefectApi(chart, 'server', { replicas: 2, database: postgres, redis, pod: everything, servicesPod: own }));
    const api = only(objects, 'Deployment', 'prefect-server');
    const migration = objects.find(o => o.kind === 'Job');
    expectEverything(podSpecOf(api), ['prefect-server', 'wait-for-schema']);
    expectEverything(podSpecOf(migration), ['prefect-migrate']);
    // The library's spread over nodes stays first.
    expect(podSpecOf(api).topologySpreadConstraints[0].topologyKey).toBe('kubernetes.io/hostname');
    const services = only(objects, 'Deployment', 'prefect-server-services');
    expect(podSpecOf(services).nodeSelector).toEqual({ role: 'services' });
    expect(services.spec.template.metadata.labels.part).toBe('services');
    expect(podSpecOf(services).initContainers.map((c: Json) => c.name)).toEqual(['wait-for-schema']);
    for (const workload of [api, services, migration]) expect(podSpecOf(workload).serviceAccountName).toBe('prefect-server');
    expect(problems(objects, SIDECARS)).toEqual([]);
  });

  test('a change of the migration\'s pod options is a new Job, whose template is immutable', () => {
    const name = (pod?: PrefectPodOptions) => synth(chart => new PrefectApi(chart, 'server', { replicas: 2, database: postgres, redis, pod }))
      .find(o => o.kind === 'Job').metadata.name;
    expect(name({ priorityClassName: 'a' })).not.toBe(name({ priorityClassName: 'b' }));
    // The same output, whatever the order the labels were written in.
    expect(name({ labels: { a: '1', b: '2' } })).toBe(name({ labels: { b: '2', a: '1' } }));
  });
});

describe('the workers', () => {
  test('a kubernetes pool: every option on the worker pods, the annotations on the AgentRbac account', () => {
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', pod: everything }));
    const deployment = only(objects, 'Deployment', 'etl-worker');
    expectPodMetadata(deployment.spec.template);
    expect(deployment.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expectEverything(podSpecOf(deployment), ['prefect-worker', 'apply-pool']);
    expect(only(objects, 'ServiceAccount', 'etl-worker').metadata.annotations).toEqual(everything.serviceAccount!.annotations);
    expect(problems(objects, SIDECARS)).toEqual([]);
  });

  test('a process pool has no RBAC: its account is made only for the annotations, without a token', () => {
    const plain = synth(chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'local', type: WorkPoolType.PROCESS }));
    expect(plain.filter(o => o.kind === 'ServiceAccount')).toEqual([]);
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', {
      connection, poolName: 'local', type: WorkPoolType.PROCESS, pod: { serviceAccount: { annotations: { 'iam.gke.io/gcp-service-account': 'prefect@p.iam.gserviceaccount.com' } } },
    }));
    const account = only(objects, 'ServiceAccount', 'local-worker');
    expect(account.metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'prefect@p.iam.gserviceaccount.com' });
    expect(account.automountServiceAccountToken).toBe(false);
    const spec = podSpecOf(only(objects, 'Deployment', 'local-worker'));
    expect(spec.serviceAccountName).toBe('local-worker');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(objects.filter(o => o.kind === 'Role')).toEqual([]);
  });
});

describe('the flow runs', () => {
  const template = (objects: Json[], name = 'etl-worker-pool') => JSON.parse(only(objects, 'ConfigMap', name).data['base-job-template.json']);

  test('the scheduling options and the grace period the pool sets are job variables with its values as defaults; the rest is fixed in the template', () => {
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate: { pod: everything } }));
    const base = template(objects);
    const variables = base.variables.properties;
    expect(variables.node_selector.default).toEqual(everything.nodeSelector);
    expect(variables.tolerations.default).toEqual(everything.tolerations);
    expect(variables.affinity.default).toEqual(everything.affinity);
    expect(variables.topology_spread_constraints.default).toEqual(everything.topologySpreadConstraints);
    expect(variables.priority_class_name.default).toBe('prefect-high');
    expect(variables.termination_grace_period_seconds.default).toBe(90);
    // Not a variable: a deployment could name any Secret of the job namespace.
    expect(variables.env_from).toBeUndefined();
    // Pod annotations join the annotations variable, beside the library's default.
    expect(variables.annotations.default).toEqual({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', 'vault.hashicorp.com/agent-inject': 'true' });
    const pod = base.job_configuration.job_manifest.spec.template;
    expect(pod.metadata.labels).toMatchObject({ 'team': 'data', 'app.kubernetes.io/component': 'flow-run' });
    expect(pod.spec).toMatchObject({
      nodeSelector: '{{ node_selector }}', tolerations: '{{ tolerations }}', affinity: '{{ affinity }}',
      topologySpreadConstraints: '{{ topology_spread_constraints }}', priorityClassName: '{{ priority_class_name }}',
      terminationGracePeriodSeconds: '{{ termination_grace_period_seconds }}',
    });
    expect(pod.spec.containers[0].envFrom).toEqual(everything.envFrom);
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'ca', mountPath: '/etc/ssl/corporate', readOnly: true });
    expect(pod.spec.volumes.map((v: Json) => v.name)).toEqual(['tmp', 'home', 'credentials', 'ca']);
    expect(pod.spec.initContainers.map((c: Json) => [c.name, c.restartPolicy])).toEqual([['cloud-sql-proxy', 'Always'], ['fetch-credentials', undefined]]);
    // The Job the worker renders from the defaults has the options in place.
    const job = renderWithDefaults(base).job_manifest;
    expect(job.spec.template.spec.nodeSelector).toEqual(everything.nodeSelector);
    expect(job.spec.template.spec.terminationGracePeriodSeconds).toBe(90);
    expect(job.spec.template.spec.containers[0].envFrom).toEqual(everything.envFrom);
    expectEverything(job.spec.template.spec, ['prefect-job']);
    expect(problems(objects, SIDECARS)).toEqual([]);
  });

  test('an option the pool does not set is no variable, so no deployment can set it; the rendered Job has none of the fields', () => {
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate: { pod: { nodeSelector: { a: 'b' } } } }));
    const base = template(objects);
    expect(base.variables.properties.node_selector.default).toEqual({ a: 'b' });
    for (const name of ['tolerations', 'affinity', 'topology_spread_constraints', 'priority_class_name', 'termination_grace_period_seconds', 'env_from']) {
      expect([name, base.variables.properties[name]]).toEqual([name, undefined]);
    }
    expect(base.job_configuration.job_manifest.spec.template.spec.tolerations).toBeUndefined();
    const spec = renderWithDefaults(template(synth(chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl' })))).job_manifest.spec.template.spec;
    for (const field of ['nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints', 'priorityClassName', 'terminationGracePeriodSeconds', 'initContainers']) {
      expect(spec[field]).toBeUndefined();
    }
    expect(spec.containers[0].envFrom).toBeUndefined();
  });

  test('a serviceAccount makes the flow runs\' account in every job namespace, without a token by default', () => {
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', {
      connection, poolName: 'etl', additionalJobNamespaces: ['gpu-runs'],
      jobTemplate: { pod: { serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/flows' } } } },
    }));
    const accounts = objects.filter(o => o.kind === 'ServiceAccount' && o.metadata.name === 'etl-worker-flow-run');
    expect(accounts.map(a => a.metadata.namespace)).toEqual(['prefect', 'gpu-runs']);
    for (const account of accounts) {
      expect(account.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/flows' });
      expect(account.automountServiceAccountToken).toBe(false);
    }
    const variables = template(objects).variables.properties;
    expect(variables.service_account_name.default).toBe('etl-worker-flow-run');
    expect(variables.automount_service_account_token.default).toBe(false);
    expect(problems(objects, SIDECARS)).toEqual([]);
  });

  test('a change of the flow-run pod options rolls the workers, which re-apply the template', () => {
    const checksum = (pod: PrefectPodOptions) => only(synth(chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate: { pod } })),
      'Deployment', 'etl-worker').spec.template.metadata.annotations['checksum/config'];
    expect(checksum({ nodeSelector: { a: 'b' } })).not.toBe(checksum({ nodeSelector: { a: 'c' } }));
  });

  test('the Prefect 1 agent\'s job template has the options as literal values', () => {
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', {
      connection: PrefectConnection.fromUrl('http://apollo.example.com:4200/graphql'), runtime: WorkerRuntime.prefect1KubernetesAgent(),
      image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }), jobTemplate: { pod: everything },
    }));
    const file = parseYaml(only(objects, 'ConfigMap', 'prefect-agent-pool').data['job-template.yaml']);
    expectEverything(file.spec.template.spec, ['flow']);
    expect(file.spec.template.metadata.labels.team).toBe('data');
  });
});

describe('Dask', () => {
  const build = (extra: object = {}) => synth(chart => {
    const dask = new DaskScratch(chart, 'dask', { image: PrefectImage.official(), namespace: 'dask', ...extra });
    new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', dask });
  });
  const cluster = (objects: Json[]) => parseYaml(only(objects, 'ConfigMap', 'dask-cluster').data['daskcluster.yaml']);

  test('the scheduler\'s and the workers\' options are in the cluster spec, their accounts where the clusters run', () => {
    const gpu: PrefectPodOptions = {
      nodeSelector: { 'nvidia.com/gpu.present': 'true' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
      labels: { team: 'ml' },
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/dask' } },
    };
    const objects = build({ workerPod: gpu, schedulerPod: { priorityClassName: 'dask' } });
    const spec = cluster(objects).spec;
    expect(spec.worker.spec).toMatchObject({ nodeSelector: gpu.nodeSelector, tolerations: gpu.tolerations, serviceAccountName: 'dask-worker' });
    expect(spec.worker.metadata.labels.team).toBe('ml');
    expect(spec.scheduler.spec.priorityClassName).toBe('dask');
    expect(spec.scheduler.spec.serviceAccountName).toBeUndefined();
    const account = only(objects, 'ServiceAccount', 'dask-worker');
    expect(account.metadata.namespace).toBe('dask');
    expect(account.metadata.annotations).toEqual(gpu.serviceAccount!.annotations);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(problems(objects, SIDECARS)).toEqual([]);
  });

  test('the cleanup CronJob takes every option, its sidecars native in the output', () => {
    const objects = build({ cleanupPod: everything });
    const cronJob = only(objects, 'CronJob', 'dask-cleanup');
    const template = cronJob.spec.jobTemplate.spec.template;
    expectPodMetadata(template);
    expectEverything(template.spec, ['cleanup']);
    expect(only(objects, 'ServiceAccount', 'dask-cleanup').metadata.annotations).toEqual(everything.serviceAccount!.annotations);
  });
});
