/**
 * A Prefect 3 pool whose base job template is managed elsewhere (`managePool: false`), with
 * Prefect's own default template: the real worker's flow-run pod carries none of this library's
 * labels, and the server must still admit it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Testing } from 'cdk8s';
import { PrefectPlatform } from '../../src';
import { allowed, matchesSelector } from '../support/network-policies';
import { flowRepository, flowRunEndpoint, runFromGit, selectorProblems } from './support/flow-runs';
import { environment, eventually } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

function objects(): Json[] {
  const platform = new PrefectPlatform(new App(), 'elsewhere', { workerPools: [{ poolName: 'external', managePool: false }] });
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

describe('a pool managed elsewhere, with Prefect\'s default job template', () => {
  const synthesized = objects();
  let scenario: Scenario;
  let job: Json;

  beforeAll(async () => {
    scenario = await Scenario.start('pool-managed-elsewhere', synthesized);
  });

  afterAll(async () => {
    await scenario?.stop();
  });

  test('the real worker submits a Job from the pool\'s template', async () => {
    const { client } = await scenario.startServer('StatefulSet', 'prefect-server');
    // As Terraform or the CLI would make it: Prefect's template, its runs in the pool's namespace.
    const template = defaultTemplate(scenario.dir);
    template.variables.properties.namespace.default = 'prefect';
    await client.call('POST', '/work_pools/', { name: 'external', type: 'kubernetes', base_job_template: template });
    await scenario.startWorker('external-worker');
    const flowRunId = await runFromGit(client, flowRepository(scenario.dir), 'external');
    job = await eventually('the flow run\'s Job', async () => scenario.kubernetes.jobs[0], 120);
    expect(job.spec.template.metadata.labels['prefect.io/flow-run-id']).toBe(flowRunId);
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
