/**
 * Applying synthesized output to a control plane as a GitOps tool does, and cleaning up after it,
 * for the cluster suite.
 */
import * as fs from 'node:fs';
import type { ClusterInfo } from './control-plane';
import { Answer, FIELD_MANAGER, KubeClient } from './kube-client';

type Json = any;

/** The control planes the global setup started, oldest release first. */
export function clusters(): ClusterInfo[] {
  const file = process.env.CDK8S_PREFECT_CLUSTERS;
  if (!file) throw new Error('CDK8S_PREFECT_CLUSTERS is unset: run the suite with npm run test:cluster');
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** The oldest minor release each variant needs (README): the enterprise one has native sidecars. */
const MINIMUM_MINOR: Record<string, number> = { enterprise: 29 };

/** The oldest minor release a variant needs. */
export function minimumMinor(variant: string): number {
  return MINIMUM_MINOR[variant] ?? 27;
}

/** The minor release of an API server's version (`v1.37.2` → 37). */
export function minorOf(version: string): number {
  return Number(/^v?1\.(\d+)\./.exec(version)![1]);
}

export const describeName = (o: Json) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** Namespaces and definitions first, as `kubectl apply` of a folder would need them. */
function applyOrder(objects: Json[]): Json[] {
  const first = (o: Json) => (o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition' ? 0 : 1);
  return [...objects].sort((a, b) => first(a) - first(b));
}

export interface Applied {
  readonly object: Json;
  readonly answer: Answer;
}

/** Applies each object; the answers, in the order applied. */
export async function applyAll(kube: KubeClient, objects: Json[]): Promise<Applied[]> {
  const applied: Applied[] = [];
  for (const object of applyOrder(objects)) applied.push({ object, answer: await kube.apply(object) });
  return applied;
}

/** What went wrong applying: refused objects and warnings, one line each. */
export function applyProblems(applied: Applied[]): string[] {
  return applied.flatMap(({ object, answer }) => [
    ...(answer.status === 200 || answer.status === 201 ? [] : [`${describeName(object)}: ${answer.status} ${answer.body?.message ?? JSON.stringify(answer.body)}`]),
    ...answer.warnings.map(w => `${describeName(object)}: warning ${w}`),
  ]);
}

/** Annotations the controllers write on the objects the suite applies. */
const CONTROLLER_ANNOTATIONS = ['deployment.kubernetes.io/revision'];

/** An object without what its controllers and the API server write: status, versions, field owners. */
function desired(o: Json): Json {
  const { status: _status, metadata, ...rest } = o;
  const { resourceVersion: _v, managedFields: _m, ...kept } = metadata;
  return { ...rest, metadata: kept };
}

/**
 * What changed in a second apply of the same output: the spec (generation) of objects that have
 * one, the object but for its status of those that have none, or the fields the suite owns.
 */
export function reapplyChanges(first: Applied[], second: Applied[]): string[] {
  const owned = (o: Json) => JSON.stringify((o.metadata?.managedFields ?? []).find((f: Json) => f.manager === FIELD_MANAGER && f.operation === 'Apply')?.fieldsV1);
  return second.flatMap(({ object, answer }, i) => {
    const before = first[i].answer.body;
    const after = answer.body;
    const changed = before.metadata.generation !== undefined
      ? before.metadata.generation !== after.metadata.generation
      : JSON.stringify(desired(before)) !== JSON.stringify(desired(after));
    // Labels and annotations are no part of the generation; what controllers add is left out.
    const meta = (o: Json) => JSON.stringify([o.metadata.labels ?? {}, Object.fromEntries(Object.entries(o.metadata.annotations ?? {})
      .filter(([k]) => !CONTROLLER_ANNOTATIONS.includes(k)))]);
    return [
      ...(meta(before) !== meta(after) ? [`${describeName(object)}: its labels or annotations changed`] : []),
      ...(changed ? [`${describeName(object)} changed (generation ${before.metadata.generation} -> ${after.metadata.generation}, resourceVersion ${before.metadata.resourceVersion} -> ${after.metadata.resourceVersion})`] : []),
      ...(owned(before) !== owned(after) ? [`${describeName(object)}: the fields applied changed`] : []),
    ];
  });
}

/**
 * The objects as they are now, in the shape of applied answers: controllers may have changed them
 * since they were applied (an autoscaler sets a Deployment's replicas), which a second apply must
 * not be blamed for.
 */
export async function liveAll(kube: KubeClient, applied: Applied[]): Promise<Applied[]> {
  const live: Applied[] = [];
  for (const { object } of applied) {
    const path = await kube.pathOf(object.apiVersion, object.kind, object.metadata?.namespace, object.metadata?.name);
    live.push({ object, answer: await kube.request('GET', path) });
  }
  return live;
}

/**
 * The PriorityClasses the pods name: cluster-scoped, a cluster admin's (the README's
 * prerequisites), without which no pod of theirs is admitted.
 */
export function priorityClassesToProvide(objects: Json[]): string[] {
  const names = new Set<string>();
  JSON.stringify(objects, (key, value) => {
    if (key === 'priorityClassName' && typeof value === 'string') names.add(value);
    return value;
  });
  return [...names].sort();
}

export async function providePriorityClasses(kube: KubeClient, names: string[]): Promise<void> {
  for (const name of names) {
    const answer = await kube.apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 100000 });
    if (answer.status > 201) throw new Error(`PriorityClass ${name}: ${answer.body?.message}`);
  }
}

export async function removePriorityClasses(kube: KubeClient, names: string[]): Promise<void> {
  for (const name of names) await kube.request('DELETE', `/apis/scheduling.k8s.io/v1/priorityclasses/${name}`);
}

/**
 * The namespaces the objects are in or send work to that they do not create: a cluster admin makes
 * those first (the README's prerequisites), here enforcing Pod Security "restricted".
 */
export function namespacesToProvide(objects: Json[], extra: string[] = []): string[] {
  const created = new Set(objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name));
  const used = new Set([...objects.map(o => o.metadata?.namespace).filter(Boolean), ...extra]);
  return [...used].filter(ns => !created.has(ns)).sort();
}

export async function provideNamespaces(kube: KubeClient, names: string[]): Promise<void> {
  for (const name of names) {
    const answer = await kube.apply({
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } },
    });
    if (answer.status > 201) throw new Error(`namespace ${name}: ${answer.body?.message}`);
  }
}

/** Waits until `check` gives true, or fails with what `explain` says. */
export async function eventually(what: string, check: () => Promise<boolean>, explain: () => Promise<string>, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`${what} within ${seconds} s: ${await explain()}`);
}

/**
 * Deletes what an apply made, namespaces with everything in them, and waits until they are gone,
 * so the next output starts from an empty cluster.
 */
export async function removeAll(kube: KubeClient, objects: Json[], namespaces: string[]): Promise<void> {
  const clusterScoped = objects.filter(o => !o.metadata?.namespace && o.kind !== 'Namespace');
  const all = [...new Set([...namespaces, ...objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)])];
  for (const o of clusterScoped) await kube.request('DELETE', await kube.pathOf(o.apiVersion, o.kind, undefined, o.metadata.name));
  for (const ns of all) await kube.request('DELETE', `/api/v1/namespaces/${ns}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
  for (const ns of all) {
    await eventually(`namespace ${ns} deleted`, async () => (await kube.request('GET', `/api/v1/namespaces/${ns}`)).status === 404,
      async () => JSON.stringify((await kube.request('GET', `/api/v1/namespaces/${ns}`)).body?.status), 120);
  }
}
