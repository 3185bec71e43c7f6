/**
 * The flow-run template's extended resources (GPUs) and raw JSON patches: where they land, and
 * which patched Jobs are refused.
 */
import { Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { parse as parseYaml } from 'yaml';
import { KubernetesJobTemplateOptions, PrefectConnection, PrefectImage, PrefectVersion, PrefectWorkerPool, WorkerRuntime } from '../src';
import { problems } from './support/checks';
import { flowRunJobsOf, jobAsApplied, renderWithDefaults } from './support/job-template';
import { inputErrorOf, only, synth, synthError } from './support/synth';

type Json = any;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');
const pool = (jobTemplate: KubernetesJobTemplateOptions) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate });
const template = (objects: Json[]) => JSON.parse(only(objects, 'ConfigMap', 'etl-worker-pool').data['base-job-template.json']);
const hostAliases = [{ ip: '10.1.2.3', hostnames: ['warehouse.internal'] }];

test('extended resources are requested and limited alike, beside the CPU and memory variables', () => {
  const job = template(synth(pool({ extendedResources: { 'nvidia.com/gpu': 2 } }))).job_configuration.job_manifest;
  expect(job.spec.template.spec.containers[0].resources).toEqual({
    requests: { 'cpu': '{{ cpu_request }}', 'memory': '{{ memory_request }}', 'nvidia.com/gpu': '2' },
    limits: { 'cpu': '{{ cpu_limit }}', 'memory': '{{ memory_limit }}', 'nvidia.com/gpu': '2' },
  });
});

test('add patches land in the Job the worker renders, which stays valid, and a change rolls the workers', () => {
  let jobs: Json[] = [];
  const objects = synth(chart => {
    pool({ patches: [JsonPatch.add('/spec/template/spec/hostAliases', hostAliases), JsonPatch.add('/spec/activeDeadlineSeconds', 7200)] })(chart);
    jobs = flowRunJobsOf(chart);
  });
  const job = jobAsApplied(renderWithDefaults(template(objects)));
  expect(job.spec.template.spec.hostAliases).toEqual(hostAliases);
  expect(job.spec.activeDeadlineSeconds).toBe(7200);
  expect(problems([...objects, ...jobs])).toEqual([]);
  const checksum = (patches: JsonPatch[]) => only(synth(pool({ patches })), 'Deployment', 'etl-worker').spec.template.metadata.annotations['checksum/config'];
  expect(checksum([JsonPatch.add('/spec/activeDeadlineSeconds', 1)])).not.toBe(checksum([JsonPatch.add('/spec/activeDeadlineSeconds', 2)]));
});

test('the Prefect 1 agent\'s template takes the patches too', () => {
  const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', {
    connection: PrefectConnection.fromUrl('http://apollo.example.com:4200/graphql'), runtime: WorkerRuntime.prefect1KubernetesAgent(),
    image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    jobTemplate: { patches: [JsonPatch.add('/spec/template/spec/hostAliases', hostAliases)], extendedResources: { 'nvidia.com/gpu': 1 } },
  }));
  const file = parseYaml(only(objects, 'ConfigMap', 'prefect-agent-pool').data['job-template.yaml']);
  expect(file.spec.template.spec.hostAliases).toEqual(hostAliases);
  expect(file.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
});

const CASES: Array<[string, KubernetesJobTemplateOptions, string, string]> = [
  ['an extended resource without a domain', { extendedResources: { gpu: 1 } }, 'FORMAT', 'jobTemplate.extendedResources'],
  ['a kubernetes.io resource', { extendedResources: { 'kubernetes.io/gpu': 1 } }, 'FORMAT', 'jobTemplate.extendedResources'],
  ['a count of 0', { extendedResources: { 'nvidia.com/gpu': 0 } }, 'QUANTITY', 'jobTemplate.extendedResources[nvidia.com/gpu]'],
  ['extended resources that are a list', { extendedResources: ['nvidia.com/gpu'] as Json }, 'FORMAT', 'jobTemplate.extendedResources'],
  ['a patch that is a plain object', { patches: [{ op: 'add', path: '/x', value: 1 }] as Json }, 'FORMAT', 'jobTemplate.patches[0]'],
  ['a replace whose path does not exist', { patches: [JsonPatch.replace('/spec/activeDeadlineSeconds', 1)] }, 'FORMAT', 'jobTemplate.patches[0]'],
  ['a remove whose path does not exist', { patches: [JsonPatch.add('/spec/x', 1), JsonPatch.remove('/spec/template/spec/containers/3')] }, 'FORMAT', 'jobTemplate.patches[1]'],
  ['a move from nowhere', { patches: [JsonPatch.move('/spec/nothing', '/spec/x')] }, 'FORMAT', 'jobTemplate.patches[0]'],
  ['an add under a path that does not exist', { patches: [JsonPatch.add('/spec/template/nothing/x', 1)] }, 'FORMAT', 'jobTemplate.patches[0]'],
  ['a patch that adds a placeholder', { patches: [JsonPatch.add('/spec/template/spec/hostname', '{{ $PREFECT_API_KEY }}')] }, 'PLACEHOLDER', 'jobTemplate.patches'],
  ['a patch that removes the flow-run container', { patches: [JsonPatch.remove('/spec/template/spec/containers/0')] }, 'RESERVED', 'jobTemplate.patches'],
  ['a patch that renames the flow-run container', { patches: [JsonPatch.replace('/spec/template/spec/containers/0/name', 'main')] }, 'RESERVED', 'jobTemplate.patches'],
  ['a patch that relabels the pods', { patches: [JsonPatch.replace('/spec/template/metadata/labels/app.kubernetes.io~1instance', 'x')] }, 'RESERVED', 'jobTemplate.patches'],
  ['a privileged container', { patches: [JsonPatch.replace('/spec/template/spec/containers/0/securityContext/privileged', true)] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['the host network', { patches: [JsonPatch.add('/spec/template/spec/hostNetwork', true)] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['a hostPath volume', { patches: [JsonPatch.add('/spec/template/spec/volumes/-', { name: 'h', hostPath: { path: '/' } })] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['root', { patches: [JsonPatch.replace('/spec/template/spec/securityContext/runAsNonRoot', false)] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['a container before the flow-run one', { patches: [JsonPatch.add('/spec/template/spec/containers/0', { name: 'logger', image: 'r.example.com/l:1.0.0',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } })] }, 'RESERVED', 'jobTemplate.patches'],
  ['an unsafe sysctl', { patches: [JsonPatch.add('/spec/template/spec/securityContext/sysctls', [{ name: 'kernel.msgmax', value: '1' }])] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['a pod SELinux type', { patches: [JsonPatch.add('/spec/template/spec/securityContext/seLinuxOptions', { type: 'spc_t' })] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['a host process pod', { patches: [JsonPatch.add('/spec/template/spec/securityContext/windowsOptions', { hostProcess: true })] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['an unconfined AppArmor profile field', { patches: [JsonPatch.add('/spec/template/spec/securityContext/appArmorProfile', { type: 'Unconfined' })] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['an unconfined AppArmor annotation', { patches: [JsonPatch.replace('/spec/template/metadata/annotations', { 'container.apparmor.security.beta.kubernetes.io/prefect-job': 'unconfined' })] },
    'POD_SECURITY', 'jobTemplate.patches[container.apparmor.security.beta.kubernetes.io/prefect-job]'],
  ['ephemeral containers', { patches: [JsonPatch.add('/spec/template/spec/ephemeralContainers', [{ name: 'debug', image: 'busybox:1.36' }])] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['ports that are a string', { patches: [JsonPatch.add('/spec/template/spec/containers/0/ports', 'x')] }, 'POD_SECURITY', 'jobTemplate.patches'],
  ['a container without security settings', { patches: [JsonPatch.add('/spec/template/spec/containers/-', { name: 'x', image: 'x:1' })] }, 'POD_SECURITY', 'jobTemplate.patches'],
];

test('a quantity in a patch is written as its value', () => {
  const job = template(synth(pool({ patches: [JsonPatch.add('/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu', k8s.Quantity.fromNumber(1))] })))
    .job_configuration.job_manifest;
  expect(job.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe(1);
});

test.each(CASES)('rejected: %s', (_what, jobTemplate, code, prop) => {
  expect(inputErrorOf(synthError(pool(jobTemplate)))).toEqual({ code, prop });
});
