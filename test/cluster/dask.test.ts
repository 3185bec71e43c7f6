/**
 * The Dask path against a real API server with the Dask operator's CRDs
 * (../shared/crds/dask/daskcluster.yaml): the flow runs' ServiceAccount creates and deletes its
 * DaskCluster in the Dask namespace and nowhere else, and the cleanup CronJob's script, as the
 * variant ships it in its ConfigMap, run with the cleanup account's own token, deletes what it
 * should and nothing else.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { dask } from '../../src/examples/variants';
import { applyAll, applyProblems, clusters, eventually, namespacesToProvide, provideNamespaces, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';

type Json = any;

const CRD = yaml.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'shared', 'crds', 'dask', 'daskcluster.yaml'), 'utf8'));
const OBJECTS: Json[] = Testing.synth(dask(Testing.app()));
const cronJob = OBJECTS.find(o => o.kind === 'CronJob');
const cleanupPod = cronJob.spec.jobTemplate.spec.template.spec;
const script = OBJECTS.find(o => o.kind === 'ConfigMap' && o.metadata.name === cleanupPod.volumes[0].configMap.name).data['cleanup.py'];
const env: Record<string, string> = Object.fromEntries(cleanupPod.containers[0].env.map((e: Json) => [e.name, e.value]));
/** The flow runs' account: the one the pool's job template names. */
const flowRunAccount = OBJECTS.filter(o => o.kind === 'RoleBinding' && o.roleRef.name === 'dask-client').flatMap(o => o.subjects)[0];

const labelsOf = (selector: string): Record<string, string> => Object.fromEntries(selector.split(',').filter(s => s.includes('=')).map(s => s.split('=')));

const daskCluster = (name: string, labels: Record<string, string>): Json => ({
  apiVersion: 'kubernetes.dask.org/v1', kind: 'DaskCluster', metadata: { name, labels },
  spec: {
    idleTimeout: 600,
    scheduler: {
      spec: { containers: [{ name: 'scheduler', image: 'ghcr.io/dask/dask:2024.12.1', args: ['dask-scheduler'] }] },
      service: { selector: { 'dask.org/cluster-name': name, 'dask.org/component': 'scheduler' }, ports: [{ name: 'tcp-comm', port: 8786, protocol: 'TCP', targetPort: 'tcp-comm' }] },
    },
    worker: { replicas: 1, spec: { containers: [{ name: 'worker', image: 'ghcr.io/dask/dask:2024.12.1', args: ['dask-worker'] }] } },
  },
});

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (_version, cluster) => {
  const kube = new KubeClient(cluster);
  const provided = namespacesToProvide(OBJECTS);

  beforeAll(async () => {
    const crd = await kube.apply(CRD);
    if (crd.status > 201) throw new Error(`the DaskCluster CRD: ${crd.body?.message}`);
    await eventually('the DaskCluster CRD established', async () => {
      const live = await kube.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, CRD.metadata.name);
      return (live?.status?.conditions ?? []).some((c: Json) => c.type === 'Established' && c.status === 'True');
    }, async () => 'not established');
    kube.rediscover();
    await provideNamespaces(kube, provided);
    const problems = applyProblems(await applyAll(kube, OBJECTS));
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
  afterAll(async () => {
    await removeAll(kube, OBJECTS, provided);
    await kube.request('DELETE', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD.metadata.name}`);
  });

  test('the account the RoleBinding grants is the one the pool\'s job template runs flows as', () => {
    const template = JSON.parse(OBJECTS.find(o => o.kind === 'ConfigMap' && o.data?.['base-job-template.json']).data['base-job-template.json']);
    expect(template.variables.properties.service_account_name.default).toBe(flowRunAccount.name);
    expect(template.variables.properties.namespace.default).toBe(flowRunAccount.namespace);
  });

  test('the flow runs\' account creates and deletes its DaskCluster in the Dask namespace, and in no other', async () => {
    const as = kube.as(await kube.tokenOf(flowRunAccount.namespace, flowRunAccount.name));
    const collection = (ns: string) => `/apis/kubernetes.dask.org/v1/namespaces/${ns}/daskclusters`;
    const created = await as.request('POST', collection('dask-scratch'), daskCluster('run-1', labelsOf(env.CLUSTER_SELECTOR)));
    expect(`${created.status} ${created.body?.message ?? ''}`).toBe('201 ');
    expect((await as.request('GET', `${collection('dask-scratch')}/run-1`)).status).toBe(200);
    expect((await as.request('DELETE', `${collection('dask-scratch')}/run-1`)).status).toBe(200);
    expect((await as.request('POST', collection('prefect'), daskCluster('run-2', {}))).status).toBe(403);
  });

  test('the cleanup script, with its own token, deletes the old clusters and finished pods it selects, and nothing else', async () => {
    const clusterLabels = labelsOf(env.CLUSTER_SELECTOR);
    const runLabels = { 'app.kubernetes.io/component': 'flow-run', 'app.kubernetes.io/instance': 'dask-worker' };
    for (const [name, labels] of [['old-run', clusterLabels], ['not-ours', { team: 'other' }]] as const) {
      await kube.ok('POST', '/apis/kubernetes.dask.org/v1/namespaces/dask-scratch/daskclusters', daskCluster(name, labels));
    }
    const pod = (name: string, labels: Record<string, string>) => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
      spec: {
        restartPolicy: 'Never', securityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'c', image: 'registry.example.com/c:1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      },
    });
    const phases: Array<[string, Record<string, string>, string]> = [
      ['finished-run', runLabels, 'Succeeded'], ['failed-run', runLabels, 'Failed'], ['running-run', runLabels, 'Running'], ['finished-other', { app: 'other' }, 'Succeeded'],
    ];
    for (const [name, labels, phase] of phases) {
      await kube.ok('POST', '/api/v1/namespaces/prefect/pods', pod(name, labels));
      await kube.ok('PATCH', `/api/v1/namespaces/prefect/pods/${name}/status`, { status: { phase } }, 'application/merge-patch+json');
    }
    // Old enough: the ages are set to none, so that what was just made counts as past them.
    await new Promise(r => setTimeout(r, 1100));
    const account = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanup-account-'));
    fs.writeFileSync(path.join(account, 'token'), await kube.tokenOf(cronJob.metadata.namespace, cleanupPod.serviceAccountName));
    fs.writeFileSync(path.join(account, 'ca.crt'), cluster.ca);
    fs.writeFileSync(path.join(account, 'cleanup.py'), script);
    const url = new URL(cluster.url);
    // The script reads its token where a pod has it: a sandbox mounts the folder there.
    const output = execFileSync('bwrap', ['--dev-bind', '/', '/', '--tmpfs', '/run/secrets', '--ro-bind', account, '/run/secrets/kubernetes.io/serviceaccount',
      'python3', '/run/secrets/kubernetes.io/serviceaccount/cleanup.py'], {
      env: { ...env, PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, MAX_CLUSTER_AGE: '0', POD_AGE: '0', JOB_AGE: '0' },
      encoding: 'utf8',
    });
    fs.rmSync(account, { recursive: true, force: true });
    expect(output.trim().split('\n').sort()).toEqual([
      'deleted /api/v1/namespaces/prefect/pods/failed-run',
      'deleted /api/v1/namespaces/prefect/pods/finished-run',
      'deleted /apis/kubernetes.dask.org/v1/namespaces/dask-scratch/daskclusters/old-run',
    ]);
    const names = async (p: string) => (await kube.ok('GET', p)).items.filter((i: Json) => !i.metadata.deletionTimestamp).map((i: Json) => i.metadata.name).sort();
    expect(await names('/apis/kubernetes.dask.org/v1/namespaces/dask-scratch/daskclusters')).toEqual(['not-ours']);
    await eventually('the finished pods gone', async () => (await names('/api/v1/namespaces/prefect/pods?labelSelector=app.kubernetes.io/component%3Dflow-run')).join() === 'running-run',
      async () => (await names('/api/v1/namespaces/prefect/pods')).join());
    expect(await names('/api/v1/namespaces/prefect/pods?labelSelector=app%3Dother')).toEqual(['finished-other']);
  });
});
