/**
 * Validation of synthesized objects against what a Kubernetes 1.27 API server accepts:
 * - the OpenAPI schema as compiled by kubernetes-models 4.5.x (types, required fields, enums);
 *   it merges Kubernetes releases, so on its own it neither pins 1.27 nor rejects unknown fields;
 * - unknown fields, which `kubectl apply` (strict field validation) rejects, checked against the
 *   field lists of cdk8s-plus-27's serializers, generated from the 1.27 schema: a field newer
 *   than 1.27 is unknown there;
 * - the API version is one a 1.27 server serves (and not an alpha API, off by default).
 */
import { readFileSync } from 'fs';
import { k8s } from 'cdk8s-plus-27';
import { podTemplates } from './pod-security';

type Json = any;

const MAP_OF = 'map:';

/** Field name → type name (undefined for a leaf), per serializer type. */
const FIELDS = new Map<string, Map<string, string | undefined>>();

function loadFields(): void {
  const source = readFileSync(require.resolve('cdk8s-plus-27/lib/imports/k8s.js'), 'utf8');
  const fn = /function toJson_(\w+)\(obj\) \{[\s\S]*?const result = \{([\s\S]*?)\n {4}\};/g;
  for (const match of source.matchAll(fn)) {
    const fields = new Map<string, string | undefined>();
    for (const line of match[2].split('\n')) {
      const entry = /^\s*'([^']+)': (.*),$/.exec(line);
      if (!entry) continue;
      const nested = /toJson_(\w+)\(/.exec(entry[2]);
      // A map of objects serializes each value: mark it so its keys are not taken for fields.
      const isMap = entry[2].includes('Object.entries(');
      fields.set(entry[1], nested ? `${isMap ? MAP_OF : ''}${nested[1]}` : undefined);
    }
    FIELDS.set(match[1], fields);
  }
}

/** apiVersion/kind → serializer type of the whole object, for every kind cdk8s-plus-27 knows. */
function servedKinds(): Map<string, string> {
  const kinds = new Map<string, string>();
  for (const [name, value] of Object.entries(k8s)) {
    const gvk = (value as any)?.GVK;
    if (gvk && name.startsWith('Kube')) kinds.set(`${gvk.apiVersion}/${gvk.kind}`, `${name}Props`);
  }
  return kinds;
}

let KINDS: Map<string, string> | undefined;

/**
 * The one field newer than 1.27 that the output may have, and the release that added it: an init
 * container's `restartPolicy: Always` makes it a native sidecar (1.28 alpha, on by default from
 * 1.29).
 */
const NATIVE_SIDECAR_RELEASE = 29;

function newerField(type: string, key: string, child: Json, path: string, minor: number): boolean {
  return minor >= NATIVE_SIDECAR_RELEASE && type === 'Container' && key === 'restartPolicy' && child === 'Always' && /\.initContainers\[\d+\]$/.test(path);
}

function unknownFields(value: Json, type: string, path: string, errors: string[], minor = 27): void {
  if (type.startsWith(MAP_OF)) {
    for (const [key, child] of Object.entries(value ?? {})) unknownFields(child, type.slice(MAP_OF.length), `${path}[${key}]`, errors, minor);
    return;
  }
  const fields = FIELDS.get(type);
  if (!fields || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, i) => unknownFields(item, type, `${path}[${i}]`, errors, minor));
    return;
  }
  // Types with no fields of their own (Quantity, IntOrString, maps) are leaves.
  if (fields.size === 0) return;
  for (const [key, child] of Object.entries(value)) {
    if (!fields.has(key)) {
      if (!newerField(type, key, child, path, minor)) errors.push(`${path}.${key}: unknown field`);
      continue;
    }
    const childType = fields.get(key);
    if (childType) unknownFields(child, childType, `${path}.${key}`, errors, minor);
  }
}

function modelClass(apiVersion: string, kind: string): any {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [undefined, apiVersion];
  const module = group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  return require(module)[kind];
}

/**
 * Every reason a Kubernetes 1.27 API server would reject the object; empty when it is accepted.
 * With `minor` 29 or more, native sidecars are accepted too (the only newer field the checks know).
 */
export function kubernetes127Errors(object: Json, minor = 27): string[] {
  if (FIELDS.size === 0) loadFields();
  KINDS ??= servedKinds();
  const id = `${object.kind}/${object.metadata?.name}`;
  const gvk = `${object.apiVersion}/${object.kind}`;
  const type = KINDS.get(gvk);
  if (!type) return [`${id}: ${gvk} is not served by Kubernetes 1.27`];
  if (/\/v\d+alpha\d+$/.test(object.apiVersion)) return [`${id}: ${object.apiVersion} is an alpha API, off by default`];
  const errors: string[] = [];
  try {
    new (modelClass(object.apiVersion, object.kind))(object).validate();
  } catch (e: any) {
    errors.push(`${id}: ${e.message}`);
  }
  const { apiVersion, kind, ...rest } = object;
  unknownFields(rest, type, id, errors, minor);
  return errors;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function checkLabels(labels: Record<string, string> | undefined, where: string, errors: string[]): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const [prefix, name] = key.includes('/') ? key.split('/') : [undefined, key];
    if ((prefix !== undefined && (!SUBDOMAIN.test(prefix) || prefix.length > 253)) || !LABEL_NAME.test(name) || name.length > 63) {
      errors.push(`${where}: invalid label key ${key}`);
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) errors.push(`${where}: invalid label value ${key}=${value}`);
  }
}

/**
 * The API server's own validation beyond the schema: names, labels, container and port names,
 * and the name lengths controllers need (StatefulSet and Job names end up in label values).
 */
const CLUSTER_SCOPED = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'IngressClass', 'PriorityClass'];

export function apiServerRuleErrors(object: Json): string[] {
  const errors: string[] = [];
  const name: string = object.metadata?.name ?? '';
  const id = `${object.kind}/${name}`;
  const nameRule = object.kind === 'Service' ? LABEL_1035 : object.kind === 'Namespace' ? LABEL_1123 : SUBDOMAIN;
  const maxName = { Service: 63, Namespace: 63, StatefulSet: 52, Job: 63, CronJob: 52 }[object.kind as string] ?? 253;
  if (!nameRule.test(name) || name.length > maxName) errors.push(`${id}: invalid name`);
  if (object.metadata?.namespace !== undefined && !LABEL_1123.test(object.metadata.namespace)) errors.push(`${id}: invalid namespace`);
  // kubectl refuses a namespace on objects that have none (cluster-scoped kinds).
  if (object.metadata?.namespace !== undefined && CLUSTER_SCOPED.includes(object.kind)) errors.push(`${id}: cluster-scoped, but has a namespace`);
  checkLabels(object.metadata?.labels, id, errors);
  for (const template of podTemplates(object)) {
    checkLabels(object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template.metadata?.labels : object.spec.template.metadata?.labels, `${id} pod template`, errors);
    const containers = [...(template.spec.initContainers ?? []), ...template.spec.containers];
    const names = new Set<string>();
    for (const c of containers) {
      if (!LABEL_1123.test(c.name) || c.name.length > 63) errors.push(`${id}: invalid container name ${c.name}`);
      if (names.has(c.name)) errors.push(`${id}: duplicate container name ${c.name}`);
      names.add(c.name);
      for (const p of c.ports ?? []) {
        if (p.name !== undefined && (!IANA_SVC_NAME.test(p.name) || p.name.length > 15)) errors.push(`${id}: invalid port name ${p.name}`);
      }
      const mounts = new Set<string>();
      for (const m of c.volumeMounts ?? []) {
        if (mounts.has(m.mountPath)) errors.push(`${id}: container ${c.name} mounts ${m.mountPath} twice`);
        mounts.add(m.mountPath);
      }
    }
    const volumes = (template.spec.volumes ?? []).map((v: Json) => v.name);
    if (new Set(volumes).size !== volumes.length) errors.push(`${id}: duplicate volume names`);
  }
  for (const p of object.kind === 'Service' ? object.spec.ports ?? [] : []) {
    if (p.name !== undefined && (!LABEL_1123.test(p.name) || p.name.length > 63)) errors.push(`${id}: invalid port name ${p.name}`);
  }
  return errors;
}
