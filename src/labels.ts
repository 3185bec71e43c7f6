import { PrefectVersion } from './prefect-version';

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

/** The Kubernetes recommended labels (`app.kubernetes.io/*`) for an object or pod template. */
export function recommendedLabels(instance: string, component: string, version: PrefectVersion): Record<string, string> {
  return { ...stableLabels(instance, component), 'app.kubernetes.io/version': version.version };
}
