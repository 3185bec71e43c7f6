import * as fs from 'fs';
import * as path from 'path';
import { Chart, Duration, Size, Testing } from 'cdk8s';
import { Cpu, ImagePullPolicy } from 'cdk8s-plus-27';
import {
  EnvironmentVariable, PrefectApi, PrefectConnection, PrefectImage, PrefectLogLevel, PrefectVersion,
  PrefectWorkerPool, PrefectWorkerPoolProps, QueueDeployments, SecretKeyReference, WorkerRuntime, WorkPoolType,
} from '../src';
import { problems } from './support/checks';
import { jobAsApplied, renderWithDefaults } from './support/job-template';
import { containerOf, envOf, kinds, only, podSpecOf, synth } from './support/synth';

const secret = SecretKeyReference.fromSecret;
const cloud = PrefectConnection.cloud({
  accountId: '9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f',
  workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
  apiKey: secret('prefect-cloud', 'api-key'),
});
const external = PrefectConnection.fromUrl('https://prefect.example.com/api');

/** Synthesizes a server and a pool connected to it (or to `connection`), in namespace prefect. */
function pool(props: Partial<PrefectWorkerPoolProps> = {}, serverImage?: PrefectImage) {
  let construct: PrefectWorkerPool | undefined;
  const objects = synth(chart => {
    const connection = props.connection ?? PrefectConnection.inCluster(new PrefectApi(chart, 'server', { image: serverImage }));
    construct = new PrefectWorkerPool(chart, 'pool', { ...props, connection });
  });
  return { objects, construct: construct! };
}

function construct(props: Partial<PrefectWorkerPoolProps>, namespace: string | null = 'prefect'): () => PrefectWorkerPool {
  return () => new PrefectWorkerPool(new Chart(Testing.app(), 'test', { namespace: namespace ?? undefined }), 'pool', { connection: external, ...props });
}

function serviceAccount(name: string, namespace: string) {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

function poolObjects(objects: any[]): any[] {
  return objects.filter(o => o.metadata.labels['app.kubernetes.io/component'] !== 'server');
}

describe('a Prefect 3 worker of a kubernetes pool (the default)', () => {
  const { objects, construct: p } = pool({ poolName: 'kubernetes' });
  const deployment = only(objects, 'Deployment', 'kubernetes-worker');
  const worker = containerOf(deployment, 'prefect-worker');
  const pod = podSpecOf(deployment);
  const config = only(objects, 'ConfigMap', 'kubernetes-worker-pool');

  test('deploys a worker Deployment, its pool ConfigMap and its RBAC', () => {
    expect(kinds(poolObjects(objects))).toEqual([
      'ConfigMap/kubernetes-worker-pool', 'Deployment/kubernetes-worker', 'Role/kubernetes-worker',
      'RoleBinding/kubernetes-worker', 'ServiceAccount/kubernetes-worker',
    ]);
    expect(p.poolName).toBe('kubernetes');
    expect(p.jobNamespace).toBe('prefect');
    expect(p.rbac?.serviceAccountName).toBe('kubernetes-worker');
  });

  test('starts `prefect worker start` with a health check, named after its pod, under the image entrypoint', () => {
    expect(worker.image).toBe('prefecthq/prefect:3.8.3-python3.12-kubernetes');
    expect(worker.command).toBeUndefined();
    expect(worker.args).toEqual([
      'prefect', 'worker', 'start', '--pool', 'kubernetes', '--type', 'kubernetes', '--name', '$(POD_NAME)',
      '--with-healthcheck', '--install-policy', 'never',
    ]);
  });

  test('reaches the server through its Service and watches runs only in its job namespace', () => {
    expect(envOf(worker)).toEqual({
      POD_NAME: undefined,
      HOME: '/home/prefect',
      PREFECT_HOME: '/home/prefect/.prefect',
      PREFECT_API_URL: 'http://prefect-server.prefect.svc.cluster.local:4200/api',
      PREFECT_LOGGING_LEVEL: 'INFO',
      PREFECT_WORKER_WEBSERVER_HOST: '0.0.0.0',
      PREFECT_WORKER_WEBSERVER_PORT: '8080',
      PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES: 'prefect',
    });
    expect(worker.env[0]).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const service = only(objects, 'Service');
    expect(envOf(worker).PREFECT_API_URL).toBe(`http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${service.spec.ports[0].port}/api`);
  });

  test('is restarted when it stops polling, through /health on port 8080', () => {
    const probe = (failureThreshold: number) => ({
      httpGet: { path: '/health', port: 'health' }, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold,
    });
    expect(worker.ports).toEqual([{ name: 'health', containerPort: 8080, protocol: 'TCP' }]);
    expect(worker.startupProbe).toEqual(probe(30));
    expect(worker.livenessProbe).toEqual(probe(3));
  });

  test('runs as its ServiceAccount with a token, restricted, with requests and a memory limit', () => {
    expect(pod.serviceAccountName).toBe('kubernetes-worker');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.enableServiceLinks).toBe(false);
    expect(worker.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(worker.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } });
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  test('creates the pool or updates its template, in an init container, before the worker starts', () => {
    const init = pod.initContainers;
    expect(init.map((c: any) => c.name)).toEqual(['apply-pool']);
    expect(init[0].args).toEqual(['sh', '/etc/prefect-pool/apply-pool.sh', '/etc/prefect-pool/apply-pool.conf']);
    expect(init[0].env).toEqual(worker.env);
    expect(init[0].volumeMounts).toContainEqual({ name: 'pool-config', mountPath: '/etc/prefect-pool', readOnly: true });
    expect(config.data['apply-pool.sh']).toBe(fs.readFileSync(path.join(__dirname, '..', 'src', 'programs', 'apply-pool.sh'), 'utf8'));
    expect(config.data['apply-pool.conf']).toBe([
      'pool kubernetes',
      'type kubernetes',
      'template /etc/prefect-pool/base-job-template.json',
      'queue-update api',
      '',
    ].join('\n'));
  });

  test('keeps the base job template in the ConfigMap, as the worker reads it', () => {
    const template = JSON.parse(config.data['base-job-template.json']);
    expect(template).toEqual(p.baseJobTemplate);
    expect(Object.keys(template.job_configuration)).toEqual([
      'command', 'env', 'labels', 'name', 'namespace', 'job_manifest', 'pod_watch_timeout_seconds', 'stream_output',
    ]);
    const pod0 = template.job_configuration.job_manifest.spec.template.spec;
    expect(pod0.containers[0].name).toBe('prefect-job');
    expect(pod0).toMatchObject({ parallelism: 1, completions: 1, restartPolicy: 'Never' });
  });

  test('its flow-run Job, rendered with the defaults, is valid, restricted and cleaned up', () => {
    const configuration = renderWithDefaults(p.baseJobTemplate);
    expect(configuration.namespace).toBe('prefect');
    expect(configuration.pod_watch_timeout_seconds).toBe(300);
    const job = jobAsApplied(configuration);
    expect(problems([job])).toEqual([]);
    expect(job.metadata.namespace).toBe('prefect');
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.metadata.annotations).toEqual({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' });
    expect(job.spec.template.metadata.annotations).toEqual({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' });
    const runPod = job.spec.template.spec;
    expect(runPod.serviceAccountName).toBeUndefined();
    expect(runPod.automountServiceAccountToken).toBe(false);
    const container = runPod.containers[0];
    expect(container.image).toBe('prefecthq/prefect:3.8.3-python3.12');
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.args).toBeUndefined();
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '2Gi' } });
    expect(envOf(container)).toEqual({ HOME: '/home/prefect' });
    expect(job.spec.template.metadata.labels).toEqual({
      'app.kubernetes.io/name': 'prefect', 'app.kubernetes.io/instance': 'kubernetes-worker', 'app.kubernetes.io/component': 'flow-run',
      'app.kubernetes.io/part-of': 'prefect', 'app.kubernetes.io/managed-by': 'cdk8s-prefect',
    });
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(poolObjects(objects)).toMatchSnapshot();
  });
});

test('the pods roll when the job template changes, and only then', () => {
  const hash = (props: Partial<PrefectWorkerPoolProps>) =>
    only(pool(props).objects, 'Deployment').spec.template.metadata.annotations['checksum/config'];
  expect(hash({})).toBe(hash({}));
  expect(hash({ jobTemplate: { backoffLimit: 1 } })).not.toBe(hash({}));
  expect(hash({ queues: [{ name: 'a' }] })).not.toBe(hash({}));
});

test('the job template takes every option, and deployments can override through its variables', () => {
  const { objects, construct: p } = pool({
    imagePullSecrets: ['regcred'],
    timeZone: 'Europe/Berlin',
    jobTemplate: {
      namespace: 'runs',
      image: PrefectImage.fromRegistry('registry.example.com/flows:1.2.3', PrefectVersion.V3_8_3),
      serviceAccountName: 'flow-runner',
      imagePullPolicy: ImagePullPolicy.ALWAYS,
      resources: { cpu: { request: Cpu.units(1), limit: Cpu.units(2) }, memory: { request: Size.gibibytes(1), limit: Size.gibibytes(4) } },
      env: [EnvironmentVariable.fromValue('STAGE', 'prod'), EnvironmentVariable.fromSecret('DB_PASSWORD', secret('warehouse', 'password'))],
      labels: { team: 'data' },
      annotations: { 'example.com/cost-center': '42' },
      finishedJobTtl: Duration.hours(2),
      backoffLimit: 2,
      podWatchTimeout: Duration.minutes(10),
    },
  });
  const variables = p.baseJobTemplate!.variables as any;
  expect(Object.fromEntries(Object.entries<any>(variables.properties).map(([k, v]) => [k, v.default]))).toEqual({
    name: undefined,
    namespace: 'runs',
    image: 'registry.example.com/flows:1.2.3',
    image_pull_policy: 'Always',
    service_account_name: 'flow-runner',
    automount_service_account_token: true,
    command: undefined,
    env: undefined,
    labels: { team: 'data' },
    annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', 'example.com/cost-center': '42' },
    backoff_limit: 2,
    finished_job_ttl: 7200,
    pod_watch_timeout_seconds: 600,
    stream_output: true,
    cpu_request: '1',
    cpu_limit: '2',
    memory_request: '1Gi',
    memory_limit: '4Gi',
  });
  const job = jobAsApplied(renderWithDefaults(p.baseJobTemplate));
  // The flow runs' ServiceAccount is the user's own.
  expect(problems([job, serviceAccount('flow-runner', 'runs')])).toEqual([]);
  expect(job.metadata.namespace).toBe('runs');
  expect(job.metadata.labels).toEqual({ team: 'data' });
  const runPod = job.spec.template.spec;
  expect(runPod.serviceAccountName).toBe('flow-runner');
  expect(runPod.automountServiceAccountToken).toBe(true);
  expect(runPod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  expect(envOf(runPod.containers[0])).toEqual({ HOME: '/home/prefect', TZ: 'Europe/Berlin', STAGE: 'prod', DB_PASSWORD: 'secret:warehouse/password' });
  expect(job.spec.backoffLimit).toBe(2);

  // The worker's permissions and watch follow the job namespace.
  const roles = objects.filter(o => o.kind === 'Role');
  expect(roles.map(r => r.metadata.namespace)).toEqual(['runs']);
  expect(envOf(containerOf(only(objects, 'Deployment', 'default-worker'), 'prefect-worker')).PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES).toBe('runs');
  expect(problems(objects)).toEqual([]);
});

test('ephemeral storage of flow runs is set in the template itself, for workers and the Prefect 1 agent', () => {
  const resources = {
    memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
    ephemeralStorage: { request: Size.gibibytes(5), limit: Size.gibibytes(10) },
  };
  const { construct: p } = pool({ jobTemplate: { resources } });
  const job = jobAsApplied(renderWithDefaults(p.baseJobTemplate));
  expect(job.spec.template.spec.containers[0].resources).toEqual({
    requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '5Gi' },
    limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
  });
  expect(problems([job])).toEqual([]);
  const { objects } = pool({
    connection: PrefectConnection.fromUrl('http://prefect-apollo:4200/graphql'),
    runtime: WorkerRuntime.prefect1KubernetesAgent(),
    image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    jobTemplate: { resources },
  });
  const template = JSON.parse(only(objects, 'ConfigMap', 'prefect-agent-pool').data['job-template.yaml']);
  expect(template.spec.template.spec.containers[0].resources).toEqual({
    requests: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '5Gi' },
    limits: { memory: '2Gi', 'ephemeral-storage': '10Gi' },
  });
});

test('additional job namespaces get RBAC and are watched', () => {
  const { objects } = pool({ additionalJobNamespaces: ['team-a', 'team-b'] });
  expect(objects.filter(o => o.kind === 'RoleBinding').map(o => o.metadata.namespace)).toEqual(['prefect', 'team-a', 'team-b']);
  expect(envOf(containerOf(only(objects, 'Deployment', 'default-worker'), 'prefect-worker')).PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES)
    .toBe('prefect,team-a,team-b');
});

describe('queues', () => {
  const queues = [{ name: 'prod-main', priority: 1, concurrencyLimit: 20 }, { name: 'Prod Secondary', priority: 2 }];

  test('one Deployment polling every queue by default', () => {
    const { objects } = pool({ queues });
    const worker = containerOf(only(objects, 'Deployment', 'default-worker'), 'prefect-worker');
    expect(worker.args).toEqual(expect.arrayContaining(['--work-queue', 'prod-main']));
    expect(worker.args.join(' ')).toContain('--work-queue prod-main --work-queue Prod Secondary');
  });

  test('one Deployment per queue, each polling its own queue', () => {
    const { objects, construct: p } = pool({ queues, queueDeployments: QueueDeployments.PER_QUEUE, replicas: 2 });
    const deployments = objects.filter(o => o.kind === 'Deployment' && o.metadata.labels['app.kubernetes.io/component'] === 'worker');
    expect(deployments.map(d => d.metadata.name)).toEqual(['default-worker-prod-main', 'default-worker-prod-secondary']);
    expect(p.deployments).toHaveLength(2);
    for (const [d, queue] of [[deployments[0], 'prod-main'], [deployments[1], 'Prod Secondary']]) {
      const args = containerOf(d, 'prefect-worker').args;
      expect(args.filter((a: string) => a === '--work-queue')).toHaveLength(1);
      expect(args[args.indexOf('--work-queue') + 1]).toBe(queue);
      expect(d.spec.replicas).toBe(2);
      expect(podSpecOf(d).serviceAccountName).toBe('default-worker');
    }
    expect(deployments[0].spec.selector.matchLabels).not.toEqual(deployments[1].spec.selector.matchLabels);
    expect(problems(objects)).toEqual([]);
  });

  test('are created with priority and limit, and brought in line through `prefect api` (3.4.23+)', () => {
    const conf = only(pool({ queues }).objects, 'ConfigMap', 'default-worker-pool').data['apply-pool.conf'];
    expect(conf.split('\n').slice(3)).toEqual([
      'queue-update api',
      'queue prod-main',
      'queue-path /work_pools/default/queues/prod-main',
      'priority 1',
      'limit 20',
      'queue Prod Secondary',
      'queue-path /work_pools/default/queues/Prod%20Secondary',
      'priority 2',
      '',
    ]);
  });

  test('before 3.4.23 only the limit of an existing queue is updated', () => {
    const image = PrefectImage.official({ version: PrefectVersion.of('3.4.20') });
    const conf = only(pool({ queues }, image).objects, 'ConfigMap', 'default-worker-pool').data['apply-pool.conf'];
    expect(conf.split('\n').slice(3)).toEqual([
      'queue-update cli', 'queue prod-main', 'priority 1', 'limit 20', 'queue Prod Secondary', 'priority 2', '',
    ]);
  });
});

test('a process pool runs flows in the worker pod: no RBAC, no token, no job template', () => {
  const { objects, construct: p } = pool({ type: WorkPoolType.PROCESS, poolName: 'local' });
  expect(kinds(poolObjects(objects))).toEqual(['ConfigMap/local-worker-pool', 'Deployment/local-worker']);
  const deployment = only(objects, 'Deployment', 'local-worker');
  const worker = containerOf(deployment, 'prefect-worker');
  expect(worker.image).toBe('prefecthq/prefect:3.8.3-python3.12');
  expect(worker.args.slice(3, 7)).toEqual(['--pool', 'local', '--type', 'process']);
  expect(podSpecOf(deployment).automountServiceAccountToken).toBe(false);
  expect(podSpecOf(deployment).serviceAccountName).toBeUndefined();
  expect(envOf(worker)).not.toHaveProperty('PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES');
  const config = only(objects, 'ConfigMap');
  expect(Object.keys(config.data)).toEqual(['apply-pool.conf', 'apply-pool.sh']);
  expect(config.data['apply-pool.conf']).toBe('pool local\ntype process\nqueue-update api\n');
  expect(p.rbac).toBeUndefined();
  expect(problems(objects)).toEqual([]);
});

describe('connections', () => {
  test('Prefect Cloud: the workspace URL, the API key from its Secret, and Jobs that reference it', () => {
    const { objects } = pool({ connection: cloud });
    const env = envOf(containerOf(only(objects, 'Deployment'), 'prefect-worker'));
    expect(env).toMatchObject({
      PREFECT_API_URL: 'https://api.prefect.cloud/api/accounts/9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f/workspaces/4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
      PREFECT_API_KEY: 'secret:prefect-cloud/api-key',
      PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_NAME: 'prefect-cloud',
      PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_KEY_SECRET_KEY: 'api-key',
    });
    expect(env).not.toHaveProperty('PREFECT_API_AUTH_STRING');
    expect(problems(objects)).toEqual([]);
  });

  test('a server with basic auth: the auth string from its Secret, and Jobs that reference it', () => {
    let objects: any[] = [];
    objects = synth(chart => {
      const server = new PrefectApi(chart, 'server', { basicAuth: secret('basic-auth', 'auth-string') });
      new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.inCluster(server) });
    });
    expect(envOf(containerOf(only(objects, 'Deployment'), 'prefect-worker'))).toMatchObject({
      PREFECT_API_AUTH_STRING: 'secret:basic-auth/auth-string',
      PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_NAME: 'basic-auth',
      PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_KEY: 'auth-string',
    });
  });

  test('any URL, with an API key', () => {
    const { objects } = pool({ connection: PrefectConnection.fromUrl('https://prefect.example.com/api', { apiKey: secret('k', 'key') }) });
    expect(envOf(containerOf(only(objects, 'Deployment'), 'prefect-worker'))).toMatchObject({
      PREFECT_API_URL: 'https://prefect.example.com/api', PREFECT_API_KEY: 'secret:k/key',
    });
  });
});

test('workers before 3.4.1 get a stable cluster id instead of reading kube-system, and no observer setting', () => {
  const image = PrefectImage.official({ version: PrefectVersion.of('3.2.0') });
  const env = (props: Partial<PrefectWorkerPoolProps>) => envOf(containerOf(only(pool(props, image).objects, 'Deployment'), 'prefect-worker'));
  expect(env({}).PREFECT_KUBERNETES_CLUSTER_UID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(env({}).PREFECT_KUBERNETES_CLUSTER_UID).toBe(env({}).PREFECT_KUBERNETES_CLUSTER_UID);
  expect(env({ clusterUid: 'c0ffee00-0000-4000-8000-000000000001' }).PREFECT_KUBERNETES_CLUSTER_UID).toBe('c0ffee00-0000-4000-8000-000000000001');
  expect(env({})).not.toHaveProperty('PREFECT_INTEGRATIONS_KUBERNETES_OBSERVER_NAMESPACES');
  expect(env({})).not.toHaveProperty('PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_NAME');
});

test('worker options: replicas, limit, name, prefetch, query interval, log level, scheduling, resources, env', () => {
  const { objects } = pool({
    replicas: 1,
    limit: 5,
    workerName: 'etl-worker',
    prefetch: Duration.seconds(30),
    queryInterval: Duration.seconds(5),
    logLevel: PrefectLogLevel.DEBUG,
    pod: {
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'prefect', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['etl'] }] }] } } },
    },
    resources: { cpu: { request: Cpu.millis(250) }, memory: { request: Size.mebibytes(512), limit: Size.gibibytes(2) } },
    env: [EnvironmentVariable.fromValue('EXTRA', '1')],
  });
  const deployment = only(objects, 'Deployment', 'default-worker');
  const worker = containerOf(deployment, 'prefect-worker');
  expect(worker.args).toEqual([
    'prefect', 'worker', 'start', '--pool', 'default', '--type', 'kubernetes', '--name', 'etl-worker', '--limit', '5',
    '--prefetch-seconds', '30', '--with-healthcheck', '--install-policy', 'never',
  ]);
  expect(envOf(worker)).toMatchObject({ PREFECT_WORKER_QUERY_SECONDS: '5', PREFECT_LOGGING_LEVEL: 'DEBUG', EXTRA: '1' });
  expect(worker.resources).toEqual({ requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } });
  const pod = podSpecOf(deployment);
  expect(pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
  expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'prefect', effect: 'NoSchedule' }]);
  expect(pod.affinity.nodeAffinity).toBeDefined();
  expect(problems(objects)).toEqual([]);
});

test('pip packages are installed by an init container into a volume on PYTHONPATH', () => {
  const { objects } = pool({ pipPackages: ['prefect-aws==0.5.10', 's3fs[boto3]>=2024.1,<2025'], env: [EnvironmentVariable.fromValue('PIP_INDEX_URL', 'https://pypi.example.com/simple')] });
  const deployment = only(objects, 'Deployment');
  const [install, apply] = podSpecOf(deployment).initContainers;
  expect(install.name).toBe('install-packages');
  expect(apply.name).toBe('apply-pool');
  // The program itself runs in the runtime suite (test/runtime/pools.test.ts).
  expect(install.args.slice(0, 2)).toEqual(['python', '-c']);
  expect(install.args[2]).toContain("'--prefix', prefix, '--constraint', constraints");
  expect(install.args[2]).not.toContain('--target');
  expect(install.args.slice(3)).toEqual(['prefect-aws==0.5.10', 's3fs[boto3]>=2024.1,<2025']);
  expect(envOf(install)).toEqual({ HOME: '/home/prefect', PIP_INDEX_URL: 'https://pypi.example.com/simple' });
  expect(install.securityContext.readOnlyRootFilesystem).toBe(true);
  const worker = containerOf(deployment, 'prefect-worker');
  expect(envOf(worker).PYTHONPATH).toBe('/opt/prefect-packages/site-packages:/opt/prefect-packages/platform-packages');
  expect(worker.volumeMounts).toContainEqual({ name: 'packages', mountPath: '/opt/prefect-packages' });
  expect(podSpecOf(deployment).volumes).toContainEqual({ name: 'packages', emptyDir: { sizeLimit: '2Gi' } });
  expect(problems(objects)).toEqual([]);
});

test('configuration files are mounted into the workers and the flow runs, also in another job namespace', () => {
  const files = [{ path: '/etc/krb5.conf', content: '[libdefaults]\n  default_realm = EXAMPLE.COM\n' }];
  const { objects, construct: p } = pool({ configFiles: files, jobTemplate: { namespace: 'runs' } });
  const maps = objects.filter(o => o.kind === 'ConfigMap' && o.metadata.name === 'default-worker-files');
  expect(maps.map(m => m.metadata.namespace)).toEqual(['prefect', 'runs']);
  for (const m of maps) expect(m.data).toEqual({ '0-krb5.conf': files[0].content });
  const mount = { name: 'config-files', mountPath: '/etc/krb5.conf', subPath: '0-krb5.conf', readOnly: true };
  expect(containerOf(only(objects, 'Deployment'), 'prefect-worker').volumeMounts).toContainEqual(mount);
  const job = jobAsApplied(renderWithDefaults(p.baseJobTemplate));
  expect(job.spec.template.spec.containers[0].volumeMounts).toContainEqual(mount);
  expect(job.spec.template.spec.volumes).toContainEqual({ name: 'config-files', configMap: { name: 'default-worker-files' } });
  expect(problems([...objects, job])).toEqual([]);
});

test('managePool: false leaves the pool alone: no set-up, no ConfigMap', () => {
  const { objects } = pool({ managePool: false });
  expect(objects.some(o => o.kind === 'ConfigMap')).toBe(false);
  expect(podSpecOf(only(objects, 'Deployment')).initContainers).toBeUndefined();
});

describe('Prefect 2 agents', () => {
  const image = PrefectImage.official({ version: PrefectVersion.V2_20_25 });
  const { objects } = pool({
    runtime: WorkerRuntime.prefect2Agent(),
    poolName: 'production',
    queues: [{ name: 'prod-main' }, { name: 'prod-secondary' }],
    queueDeployments: QueueDeployments.PER_QUEUE,
    queryInterval: Duration.seconds(20),
  }, image);
  const deployment = only(objects, 'Deployment', 'production-agent-prod-main');
  const agent = containerOf(deployment, 'prefect-agent');

  test('run `prefect agent start` per queue, with the Prefect 2 settings', () => {
    expect(agent.image).toBe('prefecthq/prefect:2.20.25-python3.12');
    expect(agent.args).toEqual(['prefect', 'agent', 'start', '--pool', 'production', '--work-queue', 'prod-main']);
    expect(envOf(agent)).toMatchObject({
      PREFECT_API_URL: 'http://prefect-server.prefect.svc.cluster.local:4200/api',
      PREFECT_AGENT_QUERY_INTERVAL: '20',
      PREFECT_KUBERNETES_CLUSTER_UID: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(envOf(agent)).not.toHaveProperty('PREFECT_WORKER_WEBSERVER_PORT');
  });

  test('have no health endpoint, hence no probes', () => {
    expect(agent.livenessProbe).toBeUndefined();
    expect(agent.ports).toBeUndefined();
  });

  test('create a prefect-agent pool and its queues', () => {
    expect(only(objects, 'ConfigMap', 'production-agent-pool').data['apply-pool.conf'].split('\n').slice(0, 4)).toEqual([
      'pool production', 'type prefect-agent', 'queue-update cli', 'queue prod-main',
    ]);
  });

  test('get the agent rules, and pass every check', () => {
    expect(only(objects, 'Role').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
    ]);
    expect(problems(objects)).toEqual([]);
    expect(poolObjects(objects)).toMatchSnapshot();
  });
});

describe('the Prefect 1 Kubernetes agent', () => {
  const { objects, construct: p } = pool({
    connection: PrefectConnection.fromUrl('http://prefect-apollo.prefect-server:4200/graphql', { apiKey: secret('prefect1', 'key'), tenantId: secret('prefect1', 'tenant') }),
    runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: ['dev', 'staging'] }),
    image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    imagePullSecrets: ['regcred'],
    jobTemplate: { serviceAccountName: 'flows', env: [EnvironmentVariable.fromSecret('TOKEN', secret('t', 'k'))] },
  });
  const deployment = only(objects, 'Deployment', 'prefect-agent');
  const agent = containerOf(deployment, 'prefect-agent');

  test('is configured as `prefect agent kubernetes install` does, with its labels as a Python list', () => {
    expect(p.poolName).toBeUndefined();
    expect(agent.image).toBe('prefecthq/prefect:1.4.1-python3.10');
    expect(agent.args).toEqual(['prefect', 'agent', 'kubernetes', 'start', '--job-template', '/etc/prefect-pool/job-template.yaml']);
    expect(envOf(agent)).toEqual({
      POD_NAME: undefined,
      HOME: '/home/prefect',
      PREFECT__BACKEND: 'server',
      PREFECT__CLOUD__API: 'http://prefect-apollo.prefect-server:4200/graphql',
      PREFECT__CLOUD__API_KEY: 'secret:prefect1/key',
      PREFECT__CLOUD__TENANT_ID: 'secret:prefect1/tenant',
      PREFECT__CLOUD__AGENT__LABELS: "['dev', 'staging']",
      PREFECT__CLOUD__AGENT__NAME: '$(POD_NAME)',
      PREFECT__CLOUD__AGENT__LEVEL: 'INFO',
      PREFECT__CLOUD__AGENT__AGENT_ADDRESS: 'http://:8080',
      NAMESPACE: 'prefect',
      SERVICE_ACCOUNT_NAME: 'flows',
      IMAGE_PULL_SECRETS: 'regcred',
      DELETE_FINISHED_JOBS: 'True',
    });
    expect(podSpecOf(deployment).initContainers).toBeUndefined();
  });

  test('is restarted through its health server on 8080', () => {
    expect(agent.livenessProbe.httpGet).toEqual({ path: '/api/health', port: 'health' });
    expect(agent.ports).toEqual([{ name: 'health', containerPort: 8080, protocol: 'TCP' }]);
  });

  test('has least-privilege RBAC with current API versions instead of wildcards on the default ServiceAccount', () => {
    expect(only(objects, 'Role').apiVersion).toBe('rbac.authorization.k8s.io/v1');
    expect(only(objects, 'Role').rules).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list', 'delete'] },
      { apiGroups: [''], resources: ['pods', 'events'], verbs: ['list'] },
    ]);
    expect(podSpecOf(deployment).serviceAccountName).toBe('prefect-agent');
  });

  test('creates flow runs from a restricted job template', () => {
    const template = JSON.parse(only(objects, 'ConfigMap', 'prefect-agent-pool').data['job-template.yaml']);
    const job = { ...template, metadata: { ...template.metadata, namespace: 'prefect' } };
    expect(problems([job, serviceAccount('flows', 'prefect')])).toEqual([]);
    const container = job.spec.template.spec.containers[0];
    expect(container.name).toBe('flow');
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '2Gi' } });
    expect(envOf(container)).toEqual({ HOME: '/home/prefect', TOKEN: 'secret:t/k' });
    expect(job.spec.template.spec.serviceAccountName).toBe('flows');
    expect(job.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(job.spec.ttlSecondsAfterFinished).toBe(86400);
  });

  test('has no problems and matches the snapshot', () => {
    expect(problems(objects)).toEqual([]);
    expect(objects).toMatchSnapshot();
  });
});

describe('rejects', () => {
  const v2 = PrefectImage.official({ version: PrefectVersion.V2_20_25 });
  const v1 = PrefectImage.official({ version: PrefectVersion.V1_4_1 });
  test.each<[string, Partial<PrefectWorkerPoolProps>, string]>([
    ['an agent with Prefect 3', { runtime: WorkerRuntime.prefect2Agent(), image: PrefectImage.official() },
      'runtime "WorkerRuntime.prefect2Agent() with Prefect 3.8.3" is not accepted: Prefect 2: agents were removed in Prefect 3'],
    ['the Prefect 1 agent with Prefect 3', { runtime: WorkerRuntime.prefect1KubernetesAgent(), image: PrefectImage.official() },
      'runtime "WorkerRuntime.prefect1KubernetesAgent() with Prefect 3.8.3" is not accepted: a Prefect 1 image'],
    ['a worker before health checks', { image: PrefectImage.official({ version: PrefectVersion.of('2.10.5') }) },
      'runtime "WorkerRuntime.worker() with Prefect 2.10.5" is not accepted: Prefect 2.10.12 or newer'],
    ['a managed pool before `work-pool update`', { image: PrefectImage.official({ version: PrefectVersion.of('2.12.0') }) },
      'managePool "true with Prefect 2.12.0" is not accepted: Prefect 2.13.3 or newer'],
    ['a process pool with a job template', { type: WorkPoolType.PROCESS, jobTemplate: {} },
      'jobTemplate "set" is not accepted: unset for a process pool'],
    ['an agent with a job template', { runtime: WorkerRuntime.prefect2Agent(), image: v2, jobTemplate: {} },
      'jobTemplate "set" is not accepted: unset for Prefect 2 agents'],
    ['a job template with an unmanaged pool', { managePool: false, jobTemplate: {} },
      'jobTemplate "set" is not accepted: unset when managePool is false'],
    ['an empty queue name', { queues: [{ name: '' }] }, 'queues "" is not accepted: queue names of 1 to 100 characters'],
    ['a queue name with quotes', { queues: [{ name: "it's" }] }, 'queues "it\'s" is not accepted: queue names'],
    ['duplicate queue names', { queues: [{ name: 'a' }, { name: 'a' }] }, 'queues "a" is not accepted: each queue name once'],
    ['queues whose Deployments would clash', { queues: [{ name: 'Prod Main' }, { name: 'prod-main' }], queueDeployments: QueueDeployments.PER_QUEUE },
      'queues "prod-main" is not accepted: with one Deployment per queue, names that differ in more than case and punctuation'],
    ['one Deployment per queue without queues', { queueDeployments: QueueDeployments.PER_QUEUE }, 'queues "(none)" is not accepted: at least one queue'],
    ['a queue priority of 0', { queues: [{ name: 'a', priority: 0 }] }, 'queues[a].priority 0 is not accepted: a whole number from 1'],
    ['a negative queue limit', { queues: [{ name: 'a', concurrencyLimit: -1 }] }, 'queues[a].concurrencyLimit -1 is not accepted'],
    ['queue settings on an unmanaged pool', { managePool: false, queues: [{ name: 'a', priority: 1 }] },
      'queues[a] "priority or concurrencyLimit" is not accepted: neither when managePool is false'],
    ['zero replicas', { replicas: 0 }, 'replicas 0 is not accepted: a whole number from 1 to 100'],
    ['a zero limit', { limit: 0 }, 'limit 0 is not accepted'],
    ['a worker name for several pods', { replicas: 2, workerName: 'w' }, 'workerName "w" is not accepted: unset when there are 2 worker pods'],
    ['a prefetch under a second', { prefetch: Duration.millis(500) }, 'prefetch "0.5s" is not accepted: a whole number of seconds from 1 to 3600'],
    ['a bad pool name', { poolName: 'a/b' }, 'poolName "a/b" is not accepted: a work pool name'],
    ['a bad object name', { name: 'Etl' }, 'name "Etl" is not accepted: a DNS-1035 label of at most 40 characters'],
    ['a reserved env variable', { env: [EnvironmentVariable.fromValue('PREFECT_API_URL', 'x')] },
      'env "PREFECT_API_URL" is not accepted: a variable the construct does not set itself'],
    ['EXTRA_PIP_PACKAGES', { env: [EnvironmentVariable.fromValue('EXTRA_PIP_PACKAGES', 'x')] },
      'env "EXTRA_PIP_PACKAGES" is not accepted: a variable the construct does not set itself; use the pipPackages prop'],
    ['a duplicate env variable', { env: [EnvironmentVariable.fromValue('A', '1'), EnvironmentVariable.fromValue('A', '2')] },
      'env "A" is not accepted: each variable name once'],
    ['a bad pip requirement', { pipPackages: ['prefect-aws; rm -rf /'] }, 'pipPackages "prefect-aws; rm -rf /" is not accepted: pip requirement specifiers'],
    ['a relative config file', { configFiles: [{ path: 'etc/krb5.conf', content: '' }] }, 'configFiles "etc/krb5.conf" is not accepted: absolute file paths'],
    ['a config file over /tmp', { configFiles: [{ path: '/tmp/x', content: '' }] }, 'configFiles "/tmp/x" is not accepted'],
    ['a config file twice', { configFiles: [{ path: '/etc/a', content: '' }, { path: '/etc/a', content: '' }] }, 'configFiles "/etc/a" is not accepted: each path once'],
    ['a bad time zone', { timeZone: 'Europe Warsaw' }, 'timeZone "Europe Warsaw" is not accepted: an IANA time zone name'],
    ['a cluster id where it is not read', { clusterUid: 'abc' }, 'clusterUid "abc with Prefect 3.8.3" is not accepted: unset: Prefect 3.4.1 and newer'],
    ['a cluster id for a process pool', { type: WorkPoolType.PROCESS, clusterUid: 'abc' }, 'clusterUid "abc" is not accepted: unset: only Kubernetes workers'],
    ['additional namespaces for a process pool', { type: WorkPoolType.PROCESS, additionalJobNamespaces: ['a'] },
      'additionalJobNamespaces "a" is not accepted: unset for a process pool'],
    ['a bad job namespace', { jobTemplate: { namespace: 'Runs' } }, 'jobTemplate.namespace "Runs" is not accepted: a namespace name'],
    ['job env that sets the API URL', { jobTemplate: { env: [EnvironmentVariable.fromValue('PREFECT_API_KEY', 'x')] } },
      'jobTemplate.env "PREFECT_API_KEY" is not accepted'],
    ['a job resource without memory limit', { jobTemplate: { resources: { memory: { request: Size.gibibytes(1) } } } },
      'jobTemplate.resources.memory.limit (unset) is not accepted: a memory limit'],
    ['a bad job label', { jobTemplate: { labels: { 'team name': 'x' } } }, 'jobTemplate.labels "team name" is not accepted: a label or annotation key'],
    ['a job label that would rename the flow-run pods', { jobTemplate: { labels: { 'app.kubernetes.io/name': 'etl' } } },
      'jobTemplate.labels "app.kubernetes.io/name" is not accepted: labels other than app.kubernetes.io/{name,instance,component,part-of,managed-by}'],
    ['a negative backoff limit', { jobTemplate: { backoffLimit: -1 } }, 'jobTemplate.backoffLimit -1 is not accepted'],
    ['a worker memory request above its limit', { resources: { memory: { request: Size.gibibytes(2), limit: Size.gibibytes(1) } } },
      'resources.memory.request 2Gi is not accepted: at most the limit (1Gi)'],
    ['an additional namespace that is the job namespace', { additionalJobNamespaces: ['prefect'] },
      'additionalJobNamespaces "prefect" is not accepted: namespaces other than the job template\'s, each once'],
    ['a bad additional namespace', { additionalJobNamespaces: ['Team-A'] }, 'additionalJobNamespaces "Team-A" is not accepted: a namespace name'],
    ['a queue for the Prefect 1 agent', { runtime: WorkerRuntime.prefect1KubernetesAgent(), image: v1, queues: [{ name: 'a' }] },
      'queues "a" is not accepted: unset for the Prefect 1 agent'],
    ['a process Prefect 1 agent', { runtime: WorkerRuntime.prefect1KubernetesAgent(), image: v1, type: WorkPoolType.PROCESS },
      'type "process" is not accepted: WorkPoolType.KUBERNETES'],
    ['a Prefect 1 label with a quote', { runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: ["it's"] }), image: v1 },
      'runtime.labels "it\'s" is not accepted: non-blank labels without quotes'],
    ['the Prefect 1 agent on Prefect Cloud 2', { runtime: WorkerRuntime.prefect1KubernetesAgent(), image: v1, connection: cloud },
      'connection "PrefectConnection.cloud()" is not accepted: for the Prefect 1 agent, PrefectConnection.fromUrl'],
    ['Prefect 1 Cloud for a worker', { connection: PrefectConnection.prefect1Cloud({ apiKey: secret('a', 'b') }) },
      'connection "PrefectConnection.prefect1Cloud()" is not accepted: a connection for Prefect 3'],
    ['a tenant for a worker', { connection: PrefectConnection.fromUrl('https://x.example.com/api', { tenantId: secret('a', 'b') }) },
      'connection.tenantId "a" is not accepted: none: tenants exist only in Prefect 1'],
    ['Prefect Cloud without ids', { connection: PrefectConnection.cloud({ accountId: '', workspaceId: '', apiKey: secret('a', 'b') }) },
      'connection.accountId "" is not accepted: a Prefect Cloud id'],
    ['a URL with credentials', { connection: PrefectConnection.fromUrl('https://user:pw@x.example.com/api') },
      'connection.url "https://***@x.example.com/api" is not accepted: an absolute http(s) URL without credentials'],
    ['a URL that is none', { connection: PrefectConnection.fromUrl('prefect-server:4200') }, 'connection.url "prefect-server:4200" is not accepted'],
  ])('%s', (_, props, message) => {
    expect(construct(props)).toThrow(`PrefectWorkerPool 'test/pool': ${message}`);
  });

  test('a kubernetes pool in a chart without a namespace', () => {
    expect(construct({}, null)).toThrow("PrefectWorkerPool 'test/pool': namespace (unset) is not accepted: a chart with a namespace for a kubernetes pool");
  });

  test('workers of another major release than their server', () => {
    expect(() => synth(chart => {
      const server = new PrefectApi(chart, 'server', { image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) });
      new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.inCluster(server), image: PrefectImage.official() });
    })).toThrow("PrefectWorkerPool 'test/pool': connection \"PrefectConnection.inCluster(test/server) running Prefect 2.20.25 for a Prefect 3.8.3 client\" is not accepted: a server of the same major release");
  });

  test('Prefect 1 images beyond Python 3.10', () => {
    expect(() => PrefectImage.official({ version: PrefectVersion.V1_4_1, pythonVersion: '3.11' }))
      .toThrow('[RELEASE] PrefectImage.official: pythonVersion "3.11 with Prefect 1.4.1" is not accepted: Prefect 1 images exist for Python 3.7 to 3.10');
  });
});

test('the worker image defaults to the server\'s release', () => {
  const image = PrefectImage.official({ version: PrefectVersion.of('3.4.20') });
  expect(containerOf(only(pool({}, image).objects, 'Deployment'), 'prefect-worker').image).toBe('prefecthq/prefect:3.4.20-python3.12-kubernetes');
});
