import { ApiObject, JsonPatch } from 'cdk8s';

/**
 * Marks an object as cluster-scoped: cdk8s gives every object its chart's namespace, which kubectl
 * refuses on kinds that have none (Namespace, ClusterRole, ClusterRoleBinding).
 */
export function clusterScoped<T extends ApiObject>(object: T): T {
  object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  return object;
}
