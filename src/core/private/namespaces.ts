import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { ValidationCode } from '../validation-code';
import { clusterScoped } from './cluster-scoped';
import { propError } from './validation';

/** The Pod Security Standards version the namespaces pin, the oldest Kubernetes release supported. */
const POD_SECURITY_VERSION = 'v1.27';

/** How strictly a namespace's Pod Security admission treats its pods. */
export enum PodSecurityEnforcement {
  /** Every pod must pass "restricted": all pods in the namespace come from this library's templates. */
  RESTRICTED = 'restricted',
  /**
   * Pods must pass "baseline", and "restricted" violations are reported (warn, audit): for
   * namespaces that also hold pods whose specs are made elsewhere, such as Prefect 2 agents' Jobs.
   */
  BASELINE = 'baseline',
}

/**
 * Namespaces every cluster has, and the kube- prefix Kubernetes keeps for its own: never created
 * or relabelled here.
 */
const CLUSTER_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Rejects a namespace the cluster owns, for a construct that would create it. */
export function checkNamespaceToCreate(scope: IConstruct, prop: string, name: string, instead: string): void {
  if (CLUSTER_NAMESPACES.includes(name) || name.startsWith('kube-')) {
    throw propError(scope, prop, name, `a namespace other than default and those starting with kube-, which the chart would create and relabel (with Pod Security admission): ${instead}`, ValidationCode.RESERVED);
  }
}

/** A Namespace (cluster-scoped) with Pod Security admission labels. */
export function podSecurityNamespace(scope: Construct, id: string, name: string, labels: Record<string, string>,
  enforcement: PodSecurityEnforcement): ApiObject {
  const namespace = clusterScoped(new k8s.KubeNamespace(scope, id, { metadata: { name, labels } }));
  setEnforcement(namespace, enforcement);
  return namespace;
}

/** Changes a namespace's enforcement (a later pool may bring pods that are not this library's). */
export function setEnforcement(namespace: ApiObject, enforcement: PodSecurityEnforcement): void {
  const label = (mode: string, value: string) => namespace.metadata.addLabel(`pod-security.kubernetes.io/${mode}`, value);
  label('enforce', enforcement);
  label('enforce-version', POD_SECURITY_VERSION);
  if (enforcement !== PodSecurityEnforcement.RESTRICTED) {
    for (const mode of ['warn', 'audit']) {
      label(mode, PodSecurityEnforcement.RESTRICTED);
      label(`${mode}-version`, POD_SECURITY_VERSION);
    }
  }
}
