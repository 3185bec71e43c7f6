import { ApiObjectMetadataDefinition, Chart, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { clusterScoped } from './cluster-scoped';

/** A ServiceAccount as the L1 class (`k8s.KubeServiceAccount`) or cdk8s-plus gives it. */
export interface ServiceAccountObject extends Construct {
  readonly name: string;
  readonly metadata: ApiObjectMetadataDefinition;
}

/** How a binding names a ServiceAccount: by its object's name and namespace. */
export function accountSubject(account: ServiceAccountObject): k8s.Subject {
  const namespace = account.metadata.namespace ?? Chart.of(account).namespace;
  if (!namespace) {
    // The constructs check for a chart namespace before they make a ServiceAccount without one.
    throw new Error(`${account.node.path}: a ServiceAccount bound to a role needs a namespace`);
  }
  return { kind: 'ServiceAccount', name: account.name, namespace };
}

export interface BindingOptions {
  /** The binding's name; the role's when unset. */
  readonly name?: string;
  readonly labels: Record<string, string>;
  /**
   * The ServiceAccounts granted the role. A binding that comes before its account in the output
   * gives a function, called at synth.
   */
  readonly subjects: ServiceAccountObject[] | (() => ServiceAccountObject[]);
}

/**
 * Grants `role` to ServiceAccounts: a RoleBinding in the role's namespace, or a
 * ClusterRoleBinding for a ClusterRole. The role and the accounts are objects: their names and
 * namespaces are read from them, never built again.
 */
export function bindRole(scope: Construct, id: string, role: k8s.KubeRole | k8s.KubeClusterRole, options: BindingOptions): k8s.KubeRoleBinding | k8s.KubeClusterRoleBinding {
  const roleRef: k8s.RoleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.name };
  const given = options.subjects;
  const subjects: k8s.Subject[] = typeof given === 'function'
    ? Lazy.any({ produce: () => given().map(accountSubject) })
    : given.map(accountSubject);
  const name = options.name ?? role.name;
  if (role.kind === k8s.KubeClusterRole.GVK.kind) {
    return clusterScoped(new k8s.KubeClusterRoleBinding(scope, id, { metadata: { name, labels: options.labels }, roleRef, subjects }));
  }
  const namespace = role.metadata.namespace;
  return new k8s.KubeRoleBinding(scope, id, { metadata: { name, namespace, labels: options.labels }, roleRef, subjects });
}
