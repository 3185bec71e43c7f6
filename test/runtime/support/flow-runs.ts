/**
 * A flow run from end to end: a deployment whose code a `git_clone` pull step fetches from a local
 * repository, the Job the real worker submits for its run, what that Job must be, and its pod run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allowed, Endpoint, matchesSelector } from '../../support/network-policies';
import { restrictedViolations } from '../../support/pod-security';
import { NamespacedData } from './kubelet';
import { LocalCluster } from './local-cluster';
import { eventually, PrefectClient } from './runtime';

type Json = any;

/** Labels the Prefect 3 kubernetes worker sets on flow-run pods itself (prefect-kubernetes 0.7.x). */
export const PREFECT_SET_LABELS = /^(prefect\.io\/.*|app\.kubernetes\.io\/(name|managed-by|part-of|version))$/;

/** A git repository with a flow `flows/hello.py:hello`, readable by the pods' user. */
export function flowRepository(dir: string): string {
  const repository = path.join(dir, 'flows-repository');
  // One per scenario: once it belongs to the pods' user, git refuses to change it.
  if (fs.existsSync(path.join(repository, '.git'))) return repository;
  fs.mkdirSync(path.join(repository, 'flows'), { recursive: true });
  fs.writeFileSync(path.join(repository, 'flows', 'hello.py'), [
    'import os',
    'from prefect import flow',
    '',
    '',
    '@flow(log_prints=True)',
    'def hello() -> int:',
    '    print(f"running in {os.getcwd()}")',
    '    return 42',
    '',
  ].join('\n'));
  const git = (...args: string[]) => execFileSync('git', ['-C', repository, ...args], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('-c', 'user.name=runtime', '-c', 'user.email=runtime@localhost', 'commit', '-q', '-m', 'flows');
  // Owned by the pods' user, as git refuses repositories of other owners.
  execFileSync('chown', ['-R', '1001:1001', repository]);
  return repository;
}

/** Deploys the repository's flow to the pool (and queue) and starts a run of it; returns the run's id. */
export async function runFromGit(client: PrefectClient, repository: string, pool: string, queue?: string,
  jobVariables?: Record<string, unknown>, name = `from-git-${pool}`): Promise<string> {
  const flow = await client.call('POST', '/flows/', { name: 'hello' });
  const deployment = await client.call('POST', '/deployments/', {
    name,
    ...(jobVariables ? { job_variables: jobVariables } : {}),
    flow_id: flow.id,
    work_pool_name: pool,
    ...(queue ? { work_queue_name: queue } : {}),
    entrypoint: 'flows/hello.py:hello',
    pull_steps: [{ 'prefect.deployments.steps.git_clone': { repository: `file://${repository}`, branch: 'main' } }],
  });
  return (await client.call('POST', `/deployments/${deployment.id}/create_flow_run`, {})).id;
}

/**
 * What is wrong with a submitted Job: Pod Security "restricted", Secrets and ConfigMaps it needs
 * that its namespace lacks, and the network policies (which must select its pod by labels Prefect
 * does not set, let it reach the server, and let nothing reach it).
 */
export function jobProblems(job: Json, objects: Json[], secrets: NamespacedData, server: Endpoint): string[] {
  const problems: string[] = [];
  const spec = job.spec.template.spec;
  const namespace = job.metadata.namespace;
  problems.push(...restrictedViolations(spec, job.spec.template.metadata.annotations));
  for (const c of spec.containers) {
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && secrets[namespace]?.[ref.name]?.[ref.key] === undefined) problems.push(`env ${e.name}: Secret ${ref.name} is not in namespace ${namespace}`);
    }
  }
  for (const v of spec.volumes ?? []) {
    if (v.configMap && !objects.some(o => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name && o.metadata.namespace === namespace)) {
      problems.push(`volume ${v.name}: ConfigMap ${v.configMap.name} is not in namespace ${namespace}`);
    }
  }
  problems.push(...flowRunPolicyProblems(job, objects));
  const pod = flowRunEndpoint(job);
  const policies = objects.filter(o => o.kind === 'NetworkPolicy');
  if (!allowed(policies, pod, server, { port: 4200, protocol: 'TCP' })) problems.push('the flow run may not reach the server');
  if (allowed(policies, server, pod, { port: 8080, protocol: 'TCP' })) problems.push('the server may connect to the flow run');
  return problems;
}

/** The Job's pod as the network policies see it (the Job controller adds `job-name`). */
export function flowRunEndpoint(job: Json): Endpoint {
  return { id: 'flow-run', namespace: job.metadata.namespace, labels: { ...job.spec.template.metadata.labels, 'job-name': job.metadata.name }, ports: [] };
}

/**
 * Where a selector that matches the pod relies on a label Prefect sets: a label Prefect sets may
 * only exclude other values than Prefect's, as `managed-by NotIn [cdk8s-prefect]` does.
 */
export function selectorProblems(name: string, selector: Json): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(selector.matchLabels ?? {}).filter(k => PREFECT_SET_LABELS.test(k))) {
    problems.push(`${name} selects by ${key}, which Prefect sets`);
  }
  for (const e of (selector.matchExpressions ?? []).filter((x: Json) => PREFECT_SET_LABELS.test(x.key))) {
    if (e.operator !== 'NotIn') problems.push(`${name} selects by ${e.key} ${e.operator}, which Prefect sets`);
  }
  return problems;
}

/** What is wrong with the policies of a submitted Job's pod: one flow-run policy of its namespace must select it, by selectorProblems' rule. */
export function flowRunPolicyProblems(job: Json, objects: Json[]): string[] {
  const pod = flowRunEndpoint(job);
  const selecting = objects.filter(o => o.kind === 'NetworkPolicy' && o.metadata.namespace === pod.namespace
    && o.metadata.name.endsWith('-flow-runs') && matchesSelector(o.spec.podSelector, pod.labels!));
  return [
    ...(selecting.length === 1 ? [] : [`${selecting.length} flow-run policies select the pod`]),
    ...selecting.flatMap(p => selectorProblems(`policy ${p.metadata.name}`, p.spec.podSelector)),
  ];
}

/** Runs the Job's pod to its end; returns the exit code and, when it failed, the log. */
export async function runJobPod(cluster: LocalCluster, job: Json): Promise<{ code: number; log: string }> {
  const pod = cluster.podFromJob(job);
  await pod.startAll();
  const code = await pod.containers[0].exited;
  return { code, log: code === 0 ? '' : pod.logOf(pod.containers[0].name) };
}

/** The flow run's state once it has left the states before and while running. */
export async function finalState(client: PrefectClient, flowRunId: string): Promise<string> {
  const run = await eventually('the flow run to finish', async () => {
    const r = await client.flowRun(flowRunId);
    return ['SCHEDULED', 'PENDING', 'RUNNING'].includes(r.state?.type) ? undefined : r;
  }, 60);
  return run.state.type;
}
