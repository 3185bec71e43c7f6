import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { ValidationCode } from '../validation-code';
import { propError } from './validation';

/**
 * The one check, for every construct of the library, that no two objects of a chart have the same
 * kind, namespace and name: `kubectl apply` would keep only the last, and the first construct's
 * pods would run with the other's configuration. Names are derived (a pool's per-queue Deployments
 * are `<name>-<queue>`, a Dask pool account `<pool>-dask`), so they can meet although every prop
 * is valid on its own.
 */

/** Kinds without a namespace: their names are unique in the cluster. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass', 'IngressClass', 'PersistentVolume',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'GatewayClass', 'ClusterSecretStore',
  'ClusterExternalSecret', 'ClusterIssuer', 'ClusterTriggerAuthentication',
]);

/**
 * A construct of the library whose parts are constructs of the library too (a platform's pools):
 * the prop through which the user named a part, for a clash between two of them.
 */
export interface ComposesParts {
  _partProp(part: IConstruct): string;
}

const guarded = new WeakSet<Chart>();

/** Installs the check on the chart of a construct of the library, once per chart. */
export function guardChart(construct: IConstruct, isLibrary: (c: IConstruct) => boolean): void {
  const chart = Chart.of(construct);
  if (guarded.has(chart)) return;
  guarded.add(chart);
  chart.node.addValidation({ validate: () => collisions(chart, isLibrary) });
}

/** How a clash names an object: kind, namespace (unless cluster-scoped) and name. */
/** The constructs objects are named after, where that is not the construct that makes them. */
const namesakes = new WeakMap<ApiObject, IConstruct>();

/**
 * Records that an object's name comes from another construct's (a pool's NetworkPolicy from the
 * pool's name): a clash of it is reported as that construct's.
 */
export function nameAfter(object: ApiObject, construct: IConstruct): void {
  namesakes.set(object, construct);
}

function objectKey(object: ApiObject, chart: Chart): string {
  if (CLUSTER_SCOPED.has(object.kind)) return `${object.kind}/${object.name}`;
  return `${object.kind}/${object.metadata.namespace ?? chart.namespace ?? 'default'}/${object.name}`;
}

function collisions(chart: Chart, isLibrary: (c: IConstruct) => boolean): string[] {
  const first = new Map<string, ApiObject>();
  const problems: string[] = [];
  for (const object of chart.node.findAll()) {
    if (!(object instanceof ApiObject) || Chart.of(object) !== chart) continue;
    const key = objectKey(object, chart);
    // Kinds of two API groups may share a name (a Dask and a Gateway API one).
    const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
    const earlier = first.get(`${group} ${key}`);
    if (earlier) problems.push(clash(key, earlier, object, isLibrary));
    else first.set(`${group} ${key}`, object);
  }
  return problems;
}

/** The error of a clash, against the construct whose prop the user can change. */
function clash(key: string, earlier: ApiObject, later: ApiObject, isLibrary: (c: IConstruct) => boolean): string {
  const owners = (o: ApiObject) => (namesakes.get(o) ?? o).node.scopes.filter(isLibrary);
  const before = owners(earlier);
  const after = owners(later);
  let depth = 0;
  while (depth < before.length && depth < after.length && before[depth] === after[depth]) depth++;
  // The library construct both come from (a platform), and the part of it, or the outermost
  // construct, each object comes from: the user named those.
  const common = depth > 0 ? before[depth - 1] : undefined;
  const part = (chain: IConstruct[], object: ApiObject) => chain[depth] ?? common ?? object;
  const earlierPart = part(before, earlier);
  const laterPart = part(after, later);
  const made = `${key} is made by both ${earlierPart.node.path} and ${laterPart.node.path}`;
  if (common && laterPart !== common && earlierPart !== common) {
    const prop = (common as Partial<ComposesParts>)._partProp?.(laterPart) ?? 'name';
    return propError(common, prop, laterPart.node.path,
      `parts whose objects have names of their own: ${made} (set a pool's name, or rename a queue)`, ValidationCode.COLLISION).message;
  }
  // A clash with an object made outside the library is reported against the library's construct.
  const reported = after.length > 0 ? laterPart : earlierPart;
  const name = (reported as { name?: unknown }).name;
  return propError(reported, 'name', typeof name === 'string' ? name : reported.node.path,
    `a name whose objects no other object of the chart has: ${made}, and applying the chart would keep only one`, ValidationCode.COLLISION).message;
}
