/**
 * The pods the controllers make of applied workloads: how many each should have before any is
 * ready (no node runs them), and what the API server said where one is missing.
 */
import { describeName } from './apply';
import { KubeClient } from './kube-client';

type Json = any;

/** A label selector of the API (matchLabels, matchExpressions) as a query string. */
export function selectorQuery(selector: Json): string {
  const labels = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const expressions = (selector?.matchExpressions ?? []).map((e: Json) => {
    switch (e.operator) {
      case 'In': return `${e.key} in (${e.values.join(',')})`;
      case 'NotIn': return `${e.key} notin (${e.values.join(',')})`;
      case 'Exists': return e.key;
      default: return `!${e.key}`;
    }
  });
  return [...labels, ...expressions].join(',');
}

/**
 * The pods a workload has once its controller acted, none being ready: all replicas of a
 * Deployment or a Job's parallelism; a StatefulSet's first pod only, unless it starts them in
 * parallel (OrderedReady waits for each pod to be ready).
 */
function expectedPods(live: Json): number {
  const spec = live.spec ?? {};
  switch (live.kind) {
    case 'Deployment': return spec.replicas ?? 1;
    case 'StatefulSet': return spec.podManagementPolicy === 'Parallel' ? spec.replicas ?? 1 : Math.min(1, spec.replicas ?? 1);
    case 'Job': return Math.min(spec.parallelism ?? 1, spec.completions ?? 1);
    default: return 0;
  }
}

/** Jobs made from each CronJob's template, owned by it, as `kubectl create job --from=cronjob/...` makes them. */
export async function runCronJobs(kube: KubeClient, objects: Json[]): Promise<Json[]> {
  const jobs: Json[] = [];
  for (const cron of objects.filter(o => o.kind === 'CronJob')) {
    const live = await kube.get('batch/v1', 'CronJob', cron.metadata.namespace, cron.metadata.name);
    const job = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name: `${cron.metadata.name}-manual`, namespace: cron.metadata.namespace,
        labels: live.spec.jobTemplate.metadata?.labels, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: live.metadata.name, uid: live.metadata.uid, controller: true }],
      },
      spec: live.spec.jobTemplate.spec,
    };
    const answer = await kube.apply(job);
    if (answer.status > 201) throw new Error(`a run of ${describeName(cron)}: ${answer.status} ${answer.body?.message}`);
    if (answer.warnings.length > 0) throw new Error(`a run of ${describeName(cron)}: ${answer.warnings.join('; ')}`);
    jobs.push(job);
  }
  return jobs;
}

/**
 * A workload's pods of its current template: a Deployment's of its newest ReplicaSet (an old
 * revision's Pending pod would stand in for a refused new one), the others' by their selector.
 */
async function currentPods(kube: KubeClient, live: Json): Promise<{ pods: Json[]; rolling: boolean }> {
  const namespace = live.metadata.namespace;
  const pods = await kube.list('v1', 'Pod', namespace, selectorQuery(live.spec.selector));
  if (live.kind !== 'Deployment') return { pods, rolling: false };
  const revision = live.metadata.annotations?.['deployment.kubernetes.io/revision'];
  const sets = await kube.list('apps/v1', 'ReplicaSet', namespace, selectorQuery(live.spec.selector));
  const current = sets.find(rs => rs.metadata.ownerReferences?.some((o: Json) => o.uid === live.metadata.uid)
    && rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision);
  const hash = current?.metadata.labels?.['pod-template-hash'];
  const owned = sets.filter(rs => rs.metadata.ownerReferences?.some((o: Json) => o.uid === live.metadata.uid));
  return { pods: hash === undefined ? [] : pods.filter(p => p.metadata.labels?.['pod-template-hash'] === hash), rolling: owned.length > 1 };
}

/** The workloads of the objects (and the CronJobs' runs) that lack pods, with the reason given. */
export async function controllerPodProblems(kube: KubeClient, objects: Json[]): Promise<string[]> {
  const problems: string[] = [];
  const runs = objects.filter(o => o.kind === 'CronJob').map(o => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { namespace: o.metadata.namespace, name: `${o.metadata.name}-manual` } }));
  for (const workload of [...objects.filter(o => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)), ...runs]) {
    const { namespace, name } = workload.metadata;
    const live = await kube.get(workload.apiVersion, workload.kind, namespace, name);
    if (!live) {
      problems.push(`${describeName(workload)} does not exist`);
      continue;
    }
    const { pods, rolling } = await currentPods(kube, live);
    // A rollout adds new pods as old ones become ready, which none does here: the first new pod
    // shows that the new template is admitted.
    const expected = rolling ? Math.min(1, expectedPods(live)) : expectedPods(live);
    if (pods.length >= expected) continue;
    const events = await kube.list('v1', 'Event', namespace);
    const refused = events.filter(e => e.reason === 'FailedCreate' || e.type === 'Warning').map(e => `${e.involvedObject.kind} ${e.involvedObject.name}: ${e.message}`);
    problems.push(`${describeName(workload)} has ${pods.length} of ${expected} pods${refused.length > 0 ? `; ${[...new Set(refused)].join('; ')}` : ''}`);
  }
  return problems;
}
