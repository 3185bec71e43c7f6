import { JsonPatch } from 'cdk8s';
import { IConstruct } from 'constructs';
import { IDENTIFYING_LABEL } from '../../core/private/labels';
import { checkAppArmorAnnotations, plainValues } from '../../core/private/pod-options';
import { checkPodSpecRestricted } from '../../core/private/user-containers';
import { checkLists, isOptions, propError } from '../../core/private/validation';
import { ValidationCode } from '../../core/validation-code';
import { placeholdersIn } from './placeholders';

/**
 * Raw JSON patches on the flow-run Job, for what no option covers. The patched Job must still be
 * one the worker and Pod Security "restricted" accept: the flow-run container stays, the labels
 * that select the pods stay, and no new placeholder appears for the worker to fill in.
 */

const PROP = 'jobTemplate.patches';

export function checkPatchList(scope: IConstruct, patches: unknown): void {
  checkLists(scope, { [PROP]: patches }, { type: JsonPatch, what: 'a JsonPatch: JsonPatch.add(path, value), replace(), remove(), copy() or move()' });
}

/** The Job manifest with the patches applied, or an error that names the prop. */
export function applyPatches(scope: IConstruct, job: Record<string, any>, patches: JsonPatch[] | undefined, containerName: string): Record<string, any> {
  if (!patches || patches.length === 0) return job;
  let patched: Record<string, any> = JSON.parse(JSON.stringify(job));
  patches.forEach((patch, i) => {
    // Applied one by one: replace, remove and test need their path, copy and move their source,
    // which the patch library would otherwise create or skip without a word.
    const op = patch._toJson() as { op: string; path: string; from?: string; value?: unknown };
    const needed = op.op === 'copy' || op.op === 'move' ? op.from : op.op === 'add' ? undefined : op.path;
    if (needed !== undefined && !pointerExists(patched, needed)) {
      throw propError(scope, `${PROP}[${i}]`, `${op.op} ${needed}`, 'a path that exists in the flow-run Job at that point (e.g. "/spec/template/spec/containers/0/name"); add creates new fields', ValidationCode.FORMAT);
    }
    try {
      patched = JsonPatch.apply(patched, plainPatch(op));
    } catch (e) {
      throw propError(scope, `${PROP}[${i}]`, `${op.op} ${op.path}`, `a patch that applies to the flow-run Job: ${(e as Error).message.split('\n')[0]}`, ValidationCode.FORMAT);
    }
  });
  const before = new Set(placeholdersIn(job));
  const added = placeholdersIn(patched).find(p => !before.has(p));
  if (added !== undefined) {
    throw propError(scope, PROP, added, 'values without a Prefect placeholder: the worker fills in every placeholder of the job template, from its own environment too', ValidationCode.PLACEHOLDER);
  }
  const template = patched?.spec?.template;
  const spec = template?.spec;
  // The worker writes the command, image and environment (the API key's included) into the first container.
  if (!Array.isArray(spec?.containers) || spec.containers[0]?.name !== containerName) {
    throw propError(scope, PROP, 'the patched Job', `a Job whose pod keeps "${containerName}" as its first container, which the worker runs the flow in`, ValidationCode.RESERVED);
  }
  const annotations = template.metadata?.annotations;
  if (annotations !== undefined && typeof annotations !== 'string') {
    if (!isOptions(annotations)) throw propError(scope, PROP, 'the pods\' annotations', 'a map of annotations, or the annotations variable', ValidationCode.FORMAT);
    checkAppArmorAnnotations(scope, PROP, annotations as Record<string, string>);
  }
  const labels = template.metadata?.labels ?? {};
  const changed = Object.keys(job.spec.template.metadata.labels).find(key => IDENTIFYING_LABEL.test(key) && labels[key] !== job.spec.template.metadata.labels[key]);
  if (changed !== undefined) {
    throw propError(scope, PROP, changed, 'patches that keep the flow-run pods\' app.kubernetes.io labels, which their network policies select them by', ValidationCode.RESERVED);
  }
  checkPodSpecRestricted(scope, PROP, spec);
  return patched;
}

/**
 * The patch with its value's quantities and int-or-strings as their values: applied as they are,
 * the patch library would copy them as objects (`{"value": "1"}`).
 */
function plainPatch(op: { op: string; path: string; from?: string; value?: unknown }): JsonPatch {
  const value = plainValues(op.value);
  switch (op.op) {
    case 'add': return JsonPatch.add(op.path, value);
    case 'replace': return JsonPatch.replace(op.path, value);
    case 'test': return JsonPatch.test(op.path, value);
    case 'remove': return JsonPatch.remove(op.path);
    case 'copy': return JsonPatch.copy(op.from!, op.path);
    default: return JsonPatch.move(op.from!, op.path);
  }
}

/** Whether a JSON pointer (RFC 6901) names a value in the document. */
function pointerExists(document: unknown, pointer: string): boolean {
  if (pointer === '') return true;
  if (!pointer.startsWith('/')) return false;
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(key) || Number(key) >= node.length) return false;
      node = node[Number(key)];
    } else if (typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, key)) {
      node = (node as Record<string, unknown>)[key];
    } else {
      return false;
    }
  }
  return true;
}
