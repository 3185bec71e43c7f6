import { apiServerRuleErrors, kubernetes127Errors } from './kubernetes-schema';
import { podTemplates, restrictedViolations } from './pod-security';
import { danglingReferences, rbacWildcards } from './references';

type Json = any;

/** Everything a cluster would reject or that would not work together: schema, API rules, Pod Security, references. */
export function problems(objects: Json[]): string[] {
  const found: string[] = [];
  for (const o of objects) {
    found.push(...kubernetes127Errors(o), ...apiServerRuleErrors(o));
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
  return [...found, ...danglingReferences(objects), ...rbacWildcards(objects)];
}
