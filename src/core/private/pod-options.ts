import { ApiObject, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { PrefectPodOptions } from '../pod-options';
import { ValidationCode } from '../validation-code';
import { sortedKeys } from './json';
import { IDENTIFYING_LABEL } from './labels';
import { checkUserContainers, RESTRICTED_VOLUMES, withRestrictedDefaults } from './user-containers';
import {
  checkAnnotations, checkDns1035Label, checkDns1123Subdomain, checkEnvName, checkInteger, checkLabelKey, checkLabels, checkLabelValue, checkLists,
  checkSeconds, checkString, isOptions, propError,
} from './validation';

/**
 * The pod options every workload takes (PrefectPodOptions): checked once here, and added to a pod
 * spec the library built, whatever its type (a workload's, a job template's, a DaskCluster's).
 */

/** The pod options of one workload, with where the user set them. */
export interface PodOptionsUse {
  readonly scope: IConstruct;
  /** The prop that holds them, e.g. `pod` or `jobTemplate.pod`. */
  readonly prop: string;
  readonly options: PrefectPodOptions | undefined;
  /** Volume names the pod gets besides its spec's (a StatefulSet's claim templates). */
  readonly reservedVolumes?: string[];
}

const SYSTEM_DIRECTORIES = ['/proc', '/sys', '/dev'];
const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const AFFINITY_KINDS = ['nodeAffinity', 'podAffinity', 'podAntiAffinity'];
const APPARMOR = 'container.apparmor.security.beta.kubernetes.io/';

/** Annotations that are AppArmor profiles must be ones Pod Security "restricted" allows. */
export function checkAppArmorAnnotations(scope: IConstruct, prop: string, annotations: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (key.startsWith(APPARMOR) && value !== 'runtime/default' && !String(value).startsWith('localhost/')) {
      throw propError(scope, `${prop}[${key}]`, value, 'an AppArmor profile "runtime/default" or "localhost/<profile>", as Pod Security "restricted" requires', ValidationCode.POD_SECURITY);
    }
  }
}

/** Checks the options of one workload up front. */
export function checkPodOptions(use: PodOptionsUse): void {
  const { scope, prop, options } = use;
  if (options === undefined || options === null) return;
  if (!isOptions(options)) throw propError(scope, prop, options, 'a PrefectPodOptions object', ValidationCode.FORMAT);
  checkLists(scope, {
    [`${prop}.tolerations`]: options.tolerations,
    [`${prop}.topologySpreadConstraints`]: options.topologySpreadConstraints,
    [`${prop}.volumes`]: options.volumes,
    [`${prop}.volumeMounts`]: options.volumeMounts,
    [`${prop}.envFrom`]: options.envFrom,
    [`${prop}.initContainers`]: options.initContainers,
    [`${prop}.sidecars`]: options.sidecars,
  }, 'options');
  checkMetadata(scope, prop, options);
  checkLabels(scope, `${prop}.nodeSelector`, options.nodeSelector);
  (options.tolerations ?? []).forEach((t, i) => checkToleration(scope, `${prop}.tolerations[${i}]`, t));
  checkAffinity(scope, `${prop}.affinity`, options.affinity);
  (options.topologySpreadConstraints ?? []).forEach((c, i) => checkSpread(scope, `${prop}.topologySpreadConstraints[${i}]`, c));
  if (options.priorityClassName !== undefined) checkDns1123Subdomain(scope, `${prop}.priorityClassName`, options.priorityClassName);
  if (options.serviceAccount !== undefined && options.serviceAccount !== null) {
    if (!isOptions(options.serviceAccount)) throw propError(scope, `${prop}.serviceAccount`, options.serviceAccount, 'a PrefectServiceAccountOptions object', ValidationCode.FORMAT);
    checkAnnotations(scope, `${prop}.serviceAccount.annotations`, options.serviceAccount.annotations ?? {});
  }
  checkVolumes(scope, prop, options);
  checkUserContainers(scope, `${prop}.initContainers`, options.initContainers, false);
  checkUserContainers(scope, `${prop}.sidecars`, options.sidecars, true);
  const names = [...options.initContainers ?? [], ...options.sidecars ?? []].map(c => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw propError(scope, `${prop}.sidecars`, twice, 'container names not used by an init container too', ValidationCode.DUPLICATE);
  (options.envFrom ?? []).forEach((source, i) => checkEnvFrom(scope, `${prop}.envFrom[${i}]`, source));
  if (options.terminationGracePeriod !== undefined) checkSeconds(scope, `${prop}.terminationGracePeriod`, options.terminationGracePeriod, 0, 86400);
}

function checkMetadata(scope: IConstruct, prop: string, options: PrefectPodOptions): void {
  checkLabels(scope, `${prop}.labels`, options.labels);
  // The version label too: the library sets it on every pod.
  const reserved = Object.keys(options.labels ?? {}).find(key => IDENTIFYING_LABEL.test(key) || key === 'app.kubernetes.io/version');
  if (reserved !== undefined) {
    throw propError(scope, `${prop}.labels`, reserved,
      'labels other than app.kubernetes.io/{name,instance,component,part-of,managed-by,version}, which the library selects and identifies its pods by', ValidationCode.RESERVED);
  }
  checkAnnotations(scope, `${prop}.annotations`, options.annotations ?? {});
  const checksum = Object.keys(options.annotations ?? {}).find(key => key.startsWith('checksum/'));
  if (checksum !== undefined) {
    throw propError(scope, `${prop}.annotations`, checksum, 'annotations outside checksum/, where the library records what rolls the pods', ValidationCode.RESERVED);
  }
  checkAppArmorAnnotations(scope, `${prop}.annotations`, options.annotations);
}

function checkToleration(scope: IConstruct, where: string, toleration: k8s.Toleration): void {
  const { key, operator, value, effect, tolerationSeconds } = toleration;
  if (key !== undefined && key !== '') checkLabelKey(scope, `${where}.key`, key);
  if (operator !== undefined && !TOLERATION_OPERATORS.includes(operator)) {
    throw propError(scope, `${where}.operator`, operator, `one of ${TOLERATION_OPERATORS.join(', ')}`, ValidationCode.CHOICE);
  }
  if (effect !== undefined && effect !== '' && !TAINT_EFFECTS.includes(effect)) {
    throw propError(scope, `${where}.effect`, effect, `one of ${TAINT_EFFECTS.join(', ')}, or unset for every effect`, ValidationCode.CHOICE);
  }
  if (operator === 'Exists' && value !== undefined && value !== '') {
    throw propError(scope, `${where}.value`, value, 'no value with operator Exists', ValidationCode.CONFLICT);
  }
  if ((key === undefined || key === '') && operator !== 'Exists') {
    throw propError(scope, `${where}.key`, key, 'a key, unless the operator is Exists (which then tolerates every taint)', ValidationCode.REQUIRED);
  }
  if (value !== undefined) checkLabelValue(scope, `${where}.value`, value);
  if (tolerationSeconds !== undefined) {
    if (effect !== 'NoExecute') throw propError(scope, `${where}.tolerationSeconds`, tolerationSeconds, 'tolerationSeconds only with effect NoExecute', ValidationCode.CONFLICT);
    checkInteger(scope, `${where}.tolerationSeconds`, tolerationSeconds, 0, Number.MAX_SAFE_INTEGER);
  }
}

function checkAffinity(scope: IConstruct, where: string, affinity: k8s.Affinity | undefined): void {
  if (affinity === undefined || affinity === null) return;
  if (!isOptions(affinity)) throw propError(scope, where, affinity, 'an Affinity options object', ValidationCode.FORMAT);
  const unknown = Object.keys(affinity).find(k => !AFFINITY_KINDS.includes(k));
  if (unknown !== undefined) throw propError(scope, where, unknown, `only ${AFFINITY_KINDS.join(', ')}`, ValidationCode.FORMAT);
}

function checkSpread(scope: IConstruct, where: string, constraint: k8s.TopologySpreadConstraint): void {
  checkInteger(scope, `${where}.maxSkew`, constraint.maxSkew, 1, Number.MAX_SAFE_INTEGER);
  checkString(scope, `${where}.topologyKey`, constraint.topologyKey);
  checkLabelKey(scope, `${where}.topologyKey`, constraint.topologyKey);
  if (!['DoNotSchedule', 'ScheduleAnyway'].includes(constraint.whenUnsatisfiable)) {
    throw propError(scope, `${where}.whenUnsatisfiable`, constraint.whenUnsatisfiable, 'one of DoNotSchedule, ScheduleAnyway', ValidationCode.CHOICE);
  }
}

function checkVolumes(scope: IConstruct, prop: string, options: PrefectPodOptions): void {
  const names = new Set<string>();
  (options.volumes ?? []).forEach((volume, i) => {
    const where = `${prop}.volumes[${i}]`;
    checkDns1035Label(scope, `${where}.name`, volume.name);
    if (names.has(volume.name)) throw propError(scope, `${where}.name`, volume.name, 'each volume name once', ValidationCode.DUPLICATE);
    names.add(volume.name);
    const sources = Object.keys(volume).filter(k => k !== 'name' && (volume as unknown as Record<string, unknown>)[k] !== undefined);
    if (sources.length !== 1 || !RESTRICTED_VOLUMES.has(sources[0]) || !isOptions((volume as unknown as Record<string, unknown>)[sources[0]])) {
      throw propError(scope, where, sources.join(', ') || '(no source)',
        `one volume source of the types Pod Security "restricted" allows: ${[...RESTRICTED_VOLUMES].join(', ')}`, ValidationCode.POD_SECURITY);
    }
  });
  const paths: string[] = [];
  (options.volumeMounts ?? []).forEach((mount, i) => {
    const where = `${prop}.volumeMounts[${i}]`;
    checkString(scope, `${where}.name`, mount.name);
    if (!names.has(mount.name)) {
      throw propError(scope, `${where}.name`, mount.name, `the name of one of ${prop}.volumes (${[...names].join(', ') || 'none'})`, ValidationCode.REQUIRED);
    }
    checkMount(scope, where, mount, paths);
    paths.push(mount.mountPath);
  });
  // The user's own containers mount the extra volumes only, each path once per container.
  for (const list of ['initContainers', 'sidecars'] as const) {
    (options[list] ?? []).forEach((container, i) => {
      const own: string[] = [];
      (container.volumeMounts ?? []).forEach((mount, j) => {
        const where = `${prop}.${list}[${i}].volumeMounts[${j}]`;
        if (!names.has(mount?.name)) {
          throw propError(scope, `${where}.name`, mount?.name, `the name of one of ${prop}.volumes (${[...names].join(', ') || 'none'})`, ValidationCode.REQUIRED);
        }
        checkMount(scope, where, mount, own);
        own.push(mount.mountPath);
      });
    });
  }
}

function checkMount(scope: IConstruct, where: string, mount: k8s.VolumeMount, taken: string[]): void {
  checkMountPath(scope, `${where}.mountPath`, mount.mountPath, taken);
  if (mount.subPath !== undefined && (typeof mount.subPath !== 'string' || mount.subPath.startsWith('/') || mount.subPath.split('/').includes('..'))) {
    throw propError(scope, `${where}.subPath`, mount.subPath, 'a relative path within the volume, without ".."', ValidationCode.PATH);
  }
  // Bidirectional propagation needs a privileged container; HostToContainer reaches the node's mounts.
  if (mount.mountPropagation !== undefined && mount.mountPropagation !== 'None') {
    throw propError(scope, `${where}.mountPropagation`, mount.mountPropagation, 'unset or "None": other propagation reaches the node\'s mounts', ValidationCode.POD_SECURITY);
  }
}

function checkMountPath(scope: IConstruct, where: string, path: string, taken: string[]): void {
  checkString(scope, where, path);
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  if (!/^(\/[^/\0]+)+$/.test(path) || path.split('/').some(p => p === '.' || p === '..') || SYSTEM_DIRECTORIES.some(d => inside(path, d) || inside(d, path))) {
    throw propError(scope, where, path, `an absolute path without "." or "..", neither in nor above ${SYSTEM_DIRECTORIES.join(', ')}`, ValidationCode.PATH);
  }
  if (taken.includes(path)) throw propError(scope, where, path, 'each mount path once', ValidationCode.DUPLICATE);
}

function checkEnvFrom(scope: IConstruct, where: string, source: k8s.EnvFromSource): void {
  const refs = [source.configMapRef, source.secretRef].filter(r => r !== undefined);
  if (refs.length !== 1) throw propError(scope, where, source, 'exactly one of configMapRef and secretRef', ValidationCode.CONFLICT);
  const ref = refs[0]!;
  const kind = source.configMapRef ? 'configMapRef' : 'secretRef';
  if (!isOptions(ref)) throw propError(scope, `${where}.${kind}`, ref, `a ${kind} options object with a name`, ValidationCode.FORMAT);
  checkDns1123Subdomain(scope, `${where}.${kind}.name`, ref.name as string);
  if (source.prefix !== undefined) checkEnvName(scope, `${where}.prefix`, source.prefix);
}

/** The pod template metadata of a workload: the library's labels over the user's, and annotations. */
export function podMetadata(options: PrefectPodOptions | undefined, labels: Record<string, string>,
  annotations: Record<string, string> = {}): { labels: Record<string, string>; annotations?: Record<string, string> } {
  const all = { ...options?.annotations, ...annotations };
  return { labels: { ...options?.labels, ...labels }, ...(Object.keys(all).length > 0 ? { annotations: all } : {}) };
}

/**
 * The options as plain JSON values, for a pod spec that no Kubernetes type renders (a job
 * template in a ConfigMap, a DaskCluster's): quantities and int-or-strings by their values.
 */
export function plainPodOptions(options: PrefectPodOptions | undefined): PrefectPodOptions | undefined {
  return plainValues(options) as PrefectPodOptions | undefined;
}

/** A value with its quantities and int-or-strings as their values, at any depth. */
export function plainValues(value: unknown): unknown {
  if (value instanceof k8s.Quantity || value instanceof k8s.IntOrString) return value.value;
  if (Array.isArray(value)) return value.map(plainValues);
  if (isOptions(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValues(v)]));
  return value;
}

/** A pod spec as the library builds one, of whatever type: the parts the options touch. */
interface SpecParts {
  readonly containers: Array<{ name: string; volumeMounts?: k8s.VolumeMount[] }>;
  readonly initContainers?: Array<{ name: string; volumeMounts?: k8s.VolumeMount[] }>;
  readonly volumes?: Array<{ name: string }>;
  readonly topologySpreadConstraints?: unknown[];
}

/**
 * Adds the options to a pod spec the library built: extra volumes, mounts and `envFrom` on its
 * containers, the user's sidecars and init containers before its own, and the scheduling fields
 * (`scheduling: false` leaves those to the caller, as a job template makes them variables).
 */
export function addPodOptions<S extends SpecParts>(use: PodOptionsUse, spec: S, scheduling = true): S {
  const options = use.options;
  if (!options) return spec;
  checkClashes(use, spec);
  const extend = <C extends { volumeMounts?: k8s.VolumeMount[] }>(c: C): C => ({
    ...c,
    ...(options.envFrom && options.envFrom.length > 0 ? { envFrom: [...options.envFrom] } : {}),
    ...(options.volumeMounts && options.volumeMounts.length > 0 ? { volumeMounts: [...c.volumeMounts ?? [], ...options.volumeMounts] } : {}),
  });
  // A container rendered at synth (the server's, which an ingress changes) is extended then.
  const extendAny = <C extends { volumeMounts?: k8s.VolumeMount[] }>(c: C): C => (c instanceof Lazy
    ? Lazy.any({ produce: () => extend(c.produce()) }) as unknown as C : extend(c));
  const initContainers = [
    ...(options.sidecars ?? []).map(c => withRestrictedDefaults(c, true)),
    ...(options.initContainers ?? []).map(c => withRestrictedDefaults(c, false)),
    ...(spec.initContainers ?? []).map(extendAny),
  ];
  const spread = [...spec.topologySpreadConstraints ?? [], ...options.topologySpreadConstraints ?? []];
  return {
    ...spec,
    containers: spec.containers.map(extendAny),
    ...(initContainers.length > 0 ? { initContainers } : {}),
    volumes: [...spec.volumes ?? [], ...options.volumes ?? []],
    ...(scheduling ? schedulingFields(options, spread) : {}),
  };
}

/** The scheduling fields of the options, as a pod spec has them. */
export function schedulingFields(options: PrefectPodOptions, spread: unknown[] = options.topologySpreadConstraints ?? []): Record<string, unknown> {
  return {
    ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
    ...(options.tolerations ? { tolerations: options.tolerations } : {}),
    ...(options.affinity ? { affinity: options.affinity } : {}),
    ...(spread.length > 0 ? { topologySpreadConstraints: spread } : {}),
    ...(options.priorityClassName ? { priorityClassName: options.priorityClassName } : {}),
    ...(options.terminationGracePeriod ? { terminationGracePeriodSeconds: options.terminationGracePeriod.toSeconds() } : {}),
  };
}

/** The user's volumes, mounts and containers may not take a name or path the library uses in this pod. */
function checkClashes(use: PodOptionsUse, spec: SpecParts): void {
  const { scope, prop, options } = use;
  const own = new Set([...(spec.volumes ?? []).map(v => v.name), ...use.reservedVolumes ?? []]);
  (options!.volumes ?? []).forEach((v, i) => {
    if (own.has(v.name)) throw propError(scope, `${prop}.volumes[${i}].name`, v.name, `a name the library does not use in this pod (${[...own].join(', ')})`, ValidationCode.RESERVED);
  });
  const containers = [...spec.containers, ...spec.initContainers ?? []].map(c => (c instanceof Lazy ? c.produce() as typeof c : c));
  const mounted = containers.flatMap(c => (c.volumeMounts ?? []).map(m => m.mountPath));
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  (options!.volumeMounts ?? []).forEach((m, i) => {
    const clash = mounted.find(p => inside(m.mountPath, p));
    if (clash !== undefined) {
      throw propError(scope, `${prop}.volumeMounts[${i}].mountPath`, m.mountPath, `a path neither in nor above one the library mounts in this pod (${clash})`, ValidationCode.PATH);
    }
  });
  const names = new Set(containers.map(c => c.name));
  for (const [list, items] of [['sidecars', options!.sidecars], ['initContainers', options!.initContainers]] as const) {
    (items ?? []).forEach((c, i) => {
      if (names.has(c.name)) throw propError(scope, `${prop}.${list}[${i}].name`, c.name, `a name the library does not use in this pod (${[...names].join(', ')})`, ValidationCode.RESERVED);
    });
  }
}

/**
 * Makes the sidecars native on a workload object: the Kubernetes 1.27 types the workloads are
 * written with have no `restartPolicy` on a container, and drop it (a JSON patch too, which they
 * apply before they drop unknown fields). The sidecars are the first init containers of the pod
 * spec at `podSpecPath`; the field goes in after the types have rendered the object.
 */
export function nativeSidecars(object: ApiObject, podSpecPath: string[], options: PrefectPodOptions | undefined): void {
  const count = (options?.sidecars ?? []).length;
  if (count === 0) return;
  const render = object.toJson.bind(object);
  object.toJson = () => {
    const json = render();
    const spec = podSpecPath.reduce((node, key) => node[key], json);
    spec.initContainers = spec.initContainers.map((c: Record<string, unknown>, i: number) => (i < count ? sortedKeys({ ...c, restartPolicy: 'Always' }) : c));
    return json;
  };
}
