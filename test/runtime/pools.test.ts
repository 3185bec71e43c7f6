/**
 * Pools beyond the variants, run for real against one server (Prefect 3.8.3):
 *  - pipPackages: the init container installs with the image's pip from a package index that
 *    offers a newer Prefect than the image's (as the public index does), and the worker still
 *    runs, and imports, the image's pinned Prefect;
 *  - a pool managed elsewhere (`managePool: false`) with Prefect's own default job template: the
 *    real worker's flow-run pod carries none of this library's labels, and the server must still
 *    admit it;
 *  - names and values full of `$(...)`: the pool and queue the set-up creates, the worker that
 *    joins, and the variable of the flow-run Job the real worker renders are exactly what was
 *    written, after the kubelet's expansion (and Prefect's placeholders);
 *  - flow-run pod options: the Job the real worker renders has them where the options put them,
 *    a deployment's job variables replace the scheduling ones, and a pool without options gets
 *    none of their fields.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, JsonPatch, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { EnvironmentVariable, PrefectPlatform, PrefectPodOptions } from '../../src';
import { allowed, matchesSelector } from '../support/network-policies';
import { only } from '../support/synth';
import { flowRepository, flowRunEndpoint, runFromGit, selectorProblems } from './support/flow-runs';
import { expand } from './support/kubelet';
import { Pod } from './support/local-cluster';
import { environment, PrefectClient, RUNTIME_HOME } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

// References to variables the containers have (a Secret's among them), escapes and a brace pair
// that is no placeholder of Prefect's.
const DOLLAR_POOL = 'dollars $(PREFECT_API_KEY)';
const DOLLAR_QUEUE = 'queue $(POD_NAME) $$x';
const DOLLAR_VALUE = 'a $(PREFECT_API_URL) $$(HOME) {{ not a placeholder }} $';

const FLOW_RUN_POD: PrefectPodOptions = {
  labels: { team: 'ml' },
  annotations: { 'example.com/owner': 'ml-platform' },
  nodeSelector: { 'nvidia.com/gpu.present': 'true' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  priorityClassName: 'batch-high',
  terminationGracePeriod: Duration.seconds(90),
  envFrom: [{ configMapRef: { name: 'flow-settings' } }],
  volumes: [{ name: 'scratch', emptyDir: {} }],
  volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
  sidecars: [{ name: 'proxy', image: 'registry.example.com/proxy:1.0.0', resources: { limits: { memory: k8s.Quantity.fromString('64Mi') } } }],
  serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/flows' } },
};

function objects(): Json[] {
  // The cluster's package index: files on disk here, with no other index.
  const env = [
    EnvironmentVariable.fromValue('PIP_NO_INDEX', '1'),
    EnvironmentVariable.fromValue('PIP_FIND_LINKS', path.join(RUNTIME_HOME, 'package-index')),
  ];
  const platform = new PrefectPlatform(new App(), 'pools', {
    workerPools: [
      { poolName: 'kubernetes', pipPackages: ['prefect-shell==0.3.7'], env },
      // All in the image already: nothing to install.
      { poolName: 'satisfied', pipPackages: ['prefect-kubernetes==0.7.12'], env },
      // Another Prefect than the image's, which the index has.
      { poolName: 'conflict', pipPackages: ['prefect==3.9.1'], env },
      // Polled often, to keep the scenario short.
      { poolName: 'external', managePool: false, queryInterval: Duration.seconds(2) },
      { poolName: 'options', queryInterval: Duration.seconds(2), jobTemplate: { pod: FLOW_RUN_POD, extendedResources: { 'nvidia.com/gpu': 1 }, patches: [JsonPatch.add('/spec/activeDeadlineSeconds', 7200)] } },
      {
        poolName: DOLLAR_POOL, name: 'dollars', queues: [{ name: DOLLAR_QUEUE }], queryInterval: Duration.seconds(2),
        jobTemplate: { env: [EnvironmentVariable.fromValue('LITERAL', DOLLAR_VALUE)] },
      },
    ],
  });
  return Testing.synth(platform);
}

/** prefect-kubernetes' default base job template, as `prefect work-pool get-default-base-job-template` prints it. */
function defaultTemplate(dir: string): Json {
  const home = path.join(dir, 'cli-home');
  fs.mkdirSync(home, { recursive: true });
  const out = execFileSync(path.join(environment(3), 'bin', 'prefect'), ['work-pool', 'get-default-base-job-template', '--type', 'kubernetes'],
    { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, PREFECT_HOME: home } });
  return JSON.parse(out);
}

describe('pools beyond the variants, with real Prefect 3.8.3 and pip', () => {
  const synthesized = objects();
  let scenario: Scenario;
  let client: PrefectClient;

  beforeAll(async () => {
    scenario = await Scenario.start('pools', synthesized);
    ({ client } = await scenario.startServer('StatefulSet', 'prefect-server'));
  });

  afterAll(async () => {
    await scenario?.stop();
  });

  describe('pipPackages', () => {
    let worker: Pod;

    test('the packages install, and the worker starts and joins its pool', async () => {
      worker = await scenario.startWorker('kubernetes-worker');
      expect(await client.workerNames('kubernetes', 1)).toEqual([worker.facts.name]);
    });

    test('the worker imports the image\'s Prefect 3.8.3, and the extra package from the volume', async () => {
      const { code, output } = await worker.exec('prefect-worker', ['python', '-c',
        'import json, prefect, prefect_shell; print(json.dumps({"version": prefect.__version__, "prefect": prefect.__file__, "extra": prefect_shell.__file__}))']);
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
      const found = JSON.parse(output.trim().split('\n').pop()!);
      expect(found.version).toBe('3.8.3');
      expect(found.prefect).toBe(path.join(environment(3), 'lib', 'python3.11', 'site-packages', 'prefect', '__init__.py'));
      expect(found.extra.startsWith('/opt/prefect-packages/')).toBe(true);
    });

    test('a package the image has already installs nothing, and the worker\'s set-up goes on', async () => {
      const pod = scenario.cluster.podOf(only(synthesized, 'Deployment', 'satisfied-worker'));
      await pod.runInitContainers();
      expect(pod.logOf('install-packages')).toMatch(/Requirement already satisfied: prefect-kubernetes==0\.7\.12/);
    });

    test('a package that needs another version of one of the image\'s fails the install, naming the conflict', async () => {
      const pod = scenario.cluster.podOf(only(synthesized, 'Deployment', 'conflict-worker'));
      await expect(pod.runInitContainers()).rejects.toThrow(/init container install-packages of conflict-worker-\S+ exited with 1/);
      expect(pod.logOf('install-packages')).toMatch(/The user requested \(constraint\) prefect==3\.8\.3/);
      expect(pod.containers.map(c => c.name)).toEqual(['install-packages']);
    });
  });

  describe('a pool managed elsewhere, with Prefect\'s default job template', () => {
    let job: Json;

    test('the real worker submits a Job from the pool\'s template', async () => {
      // As Terraform or the CLI would make it: Prefect's template, its runs in the pool's namespace.
      const template = defaultTemplate(scenario.dir);
      template.variables.properties.namespace.default = 'prefect';
      await client.call('POST', '/work_pools/', { name: 'external', type: 'kubernetes', base_job_template: template });
      await scenario.startWorker('external-worker');
      const flowRunId = await runFromGit(client, flowRepository(scenario.dir), 'external');
      job = await scenario.jobFor(flowRunId);
      expect(job.spec.template.metadata.labels['app.kubernetes.io/managed-by']).toBe('prefect');
    });

    test('the server admits its pod, by a selector that does not rely on what Prefect sets; no policy isolates it', () => {
      const policies = synthesized.filter(o => o.kind === 'NetworkPolicy');
      const pod = flowRunEndpoint(job);
      const server = scenario.serverEndpoint('StatefulSet', 'prefect-server');
      expect(allowed(policies, pod, server, { port: 4200, protocol: 'TCP' })).toBe(true);
      const ingress = policies.find(p => p.metadata.name === 'prefect-server-ingress');
      const peers = ingress.spec.ingress.flatMap((r: Json) => r.from).filter((peer: Json) => peer.podSelector && matchesSelector(peer.podSelector, pod.labels!));
      expect(peers).toHaveLength(1);
      expect(selectorProblems('the server\'s ingress peer', peers[0].podSelector)).toEqual([]);
      // Pods of templates kept elsewhere stay as their owners made them (README, PrefectNetworkPolicies).
      expect(policies.filter(p => matchesSelector(p.spec.podSelector, pod.labels!)).map(p => p.metadata.name)).toEqual([]);
    });
  });

  describe('flow-run pod options', () => {
    test('the Job the real worker renders has every option where it belongs', async () => {
      await scenario.startWorker('options-worker');
      const defaults = await scenario.jobFor(await runFromGit(client, flowRepository(scenario.dir), 'options'));
      const pod = defaults.spec.template;
      expect(pod.metadata.labels).toMatchObject({ 'team': 'ml', 'app.kubernetes.io/component': 'flow-run' });
      expect(pod.metadata.annotations).toMatchObject({ 'example.com/owner': 'ml-platform', 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' });
      expect(pod.spec).toMatchObject({
        nodeSelector: FLOW_RUN_POD.nodeSelector, tolerations: FLOW_RUN_POD.tolerations, priorityClassName: 'batch-high',
        terminationGracePeriodSeconds: 90, serviceAccountName: 'options-worker-flow-run', automountServiceAccountToken: false,
      });
      expect(pod.spec.affinity).toBeUndefined();
      expect(pod.spec.topologySpreadConstraints).toBeUndefined();
      const container = pod.spec.containers.find((c: Json) => c.name === 'prefect-job');
      expect(container.envFrom).toEqual(FLOW_RUN_POD.envFrom);
      expect(container.volumeMounts).toContainEqual({ name: 'scratch', mountPath: '/scratch' });
      expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
      expect(pod.spec.initContainers.map((c: Json) => [c.name, c.restartPolicy])).toEqual([['proxy', 'Always']]);
      expect(defaults.spec.activeDeadlineSeconds).toBe(7200);
    });

    test('a deployment\'s job variables replace the scheduling options', async () => {
      const job = await scenario.jobFor(await runFromGit(client, flowRepository(scenario.dir), 'options', undefined,
        { node_selector: { pool: 'cpu' }, tolerations: [], priority_class_name: 'batch-low', termination_grace_period_seconds: 5 }, 'overrides'));
      expect(job.spec.template.spec).toMatchObject({ nodeSelector: { pool: 'cpu' }, tolerations: [], priorityClassName: 'batch-low', terminationGracePeriodSeconds: 5 });
      // What it leaves alone keeps the pool's.
      expect(job.spec.template.spec.containers.find((c: Json) => c.name === 'prefect-job').envFrom).toEqual(FLOW_RUN_POD.envFrom);
    });
  });

  describe('names and values with $(...)', () => {
    test('the set-up creates the pool and queue as named, and the worker joins the pool', async () => {
      const worker = await scenario.startWorker('dollars');
      expect(await client.workerNames(DOLLAR_POOL, 1)).toEqual([worker.facts.name]);
      expect((await client.queues(DOLLAR_POOL)).map(q => q.name).sort()).toEqual(['default', DOLLAR_QUEUE]);
    });

    test('the flow-run Job the worker renders carries the value as written, after the kubelet\'s expansion', async () => {
      const flowRunId = await runFromGit(client, flowRepository(scenario.dir), DOLLAR_POOL, DOLLAR_QUEUE);
      const job = await scenario.jobFor(flowRunId);
      // The kubelet expands from the variables before, the worker's own (PREFECT_API_URL) among them.
      const vars = new Map<string, string>();
      for (const e of job.spec.template.spec.containers[0].env) vars.set(e.name, typeof e.value === 'string' ? expand(e.value, vars) : '(from a reference)');
      expect(vars.get('LITERAL')).toBe(DOLLAR_VALUE);
      // A pool without pod options: the worker drops every field whose variable has no value.
      const spec = job.spec.template.spec;
      for (const field of ['nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints', 'priorityClassName', 'terminationGracePeriodSeconds', 'initContainers']) {
        expect([field, spec[field]]).toEqual([field, undefined]);
      }
      expect(spec.containers[0].envFrom).toBeUndefined();
    });
  });
});
