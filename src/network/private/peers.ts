import { k8s } from 'cdk8s-plus-27';

export const ANY_IPV4 = '0.0.0.0/0';
export const ANY_IPV6 = '::/0';

export function tcp(ports: number[]): k8s.NetworkPolicyPort[] {
  return ports.map(port => ({ port: k8s.IntOrString.fromNumber(port), protocol: 'TCP' }));
}

/** Pods of `namespace`, for a policy in `policyNamespace` (where a bare podSelector would select). */
export function podPeer(policyNamespace: string, namespace: string, podSelector: k8s.LabelSelector): k8s.NetworkPolicyPeer {
  return namespace === policyNamespace ? { podSelector } : { namespaceSelector: namespaceSelector(namespace), podSelector };
}

/** Whether `inner` lies within `outer` (IPv4), or both are IPv6 (not compared further). */
export function cidrContains(outer: string, inner: string): boolean {
  const [outerBase, outerBits] = outer.split('/');
  const [innerBase, innerBits] = inner.split('/');
  if (outerBase.includes(':') || innerBase.includes(':')) return outerBase.includes(':') && innerBase.includes(':');
  const value = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(outerBits));
  return Number(innerBits) >= Number(outerBits) && Math.floor(value(innerBase) / size) === Math.floor(value(outerBase) / size);
}

export function namespaceSelector(namespace: string): k8s.LabelSelector {
  // Set by Kubernetes (1.22+) on every namespace.
  return { matchLabels: { 'kubernetes.io/metadata.name': namespace } };
}

export function namespacePeer(namespace: string, podLabels?: { [key: string]: string }): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: namespaceSelector(namespace),
    ...(podLabels && Object.keys(podLabels).length > 0 ? { podSelector: { matchLabels: podLabels } } : {}),
  };
}
