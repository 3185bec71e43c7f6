import { PrefectVersion } from '../prefect-version';

/**
 * The labels that identify a pod of the library (the stable ones): selectors and network policies
 * find pods by them, so no option may set or change them.
 */
export const IDENTIFYING_LABEL = /^app\.kubernetes\.io\/(name|instance|component|part-of|managed-by)$/;

/** The subset of the recommended labels that never changes for a workload: safe for selectors. */
export function selectorLabels(instance: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'prefect',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
  };
}

/** The recommended labels that never change: for immutable places such as claim templates. */
export function stableLabels(instance: string, component: string): Record<string, string> {
  return {
    ...selectorLabels(instance, component),
    'app.kubernetes.io/part-of': 'prefect',
    'app.kubernetes.io/managed-by': 'cdk8s-prefect',
  };
}

/**
 * Selects the pods of flow-run Jobs from a pool's template. The Prefect 3 kubernetes worker sets
 * `app.kubernetes.io/{name,managed-by,part-of,version}` on the pods it submits (name: the flow's,
 * then the deployment's name), so only the labels it leaves alone select them.
 */
export function flowRunSelectorLabels(instance: string, component: string): Record<string, string> {
  const { 'app.kubernetes.io/name': _rewritten, ...kept } = selectorLabels(instance, component);
  return kept;
}

/** The Kubernetes recommended labels (`app.kubernetes.io/*`) for an object or pod template. */
export function recommendedLabels(instance: string, component: string, version: PrefectVersion): Record<string, string> {
  return { ...stableLabels(instance, component), 'app.kubernetes.io/version': version.version };
}
