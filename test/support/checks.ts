import { unexpectedReferences } from './kubelet-references';
import { apiServerRuleErrors, kubernetes127Errors } from './kubernetes-schema';
import { podTemplates, restrictedViolations } from './pod-security';
import { danglingReferences, rbacWildcards } from './references';

type Json = any;

/**
 * Everything a cluster would reject or that would not work together: schema, API rules, Pod Security,
 * references, and `$(VAR)` references the kubelet would expand that the library did not make.
 */
export function problems(objects: Json[], kubernetesMinor = 27): string[] {
  const found: string[] = [];
  for (const o of objects) {
    found.push(...kubernetes127Errors(o, kubernetesMinor), ...apiServerRuleErrors(o));
    for (const t of podTemplates(o)) {
      found.push(...restrictedViolations(t.spec, t.annotations).map(v => `${o.kind}/${o.metadata.name}: ${v}`));
    }
  }
  const seen = new Set<string>();
  for (const o of objects) {
    const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (seen.has(key)) found.push(`${key}: defined twice`);
    seen.add(key);
  }
  return [...found, ...namespaceOrderProblems(objects), ...danglingReferences(objects), ...rbacWildcards(objects), ...unexpectedReferences(objects)];
}

/**
 * Namespaced objects that come before the Namespace they are in, when the chart creates that
 * Namespace: `kubectl apply -f` creates objects in file order, and fails on a namespace not yet there.
 */
export function namespaceOrderProblems(objects: Json[]): string[] {
  const created = new Set<string>();
  const found: string[] = [];
  for (const o of objects) {
    if (o.kind === 'Namespace') created.add(o.metadata.name);
    const ns = o.metadata.namespace;
    const later = objects.some(n => n.kind === 'Namespace' && n.metadata.name === ns);
    if (ns && later && !created.has(ns)) found.push(`${o.kind}/${o.metadata.name} comes before Namespace/${ns}`);
  }
  return found;
}
