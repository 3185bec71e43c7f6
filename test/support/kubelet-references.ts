import { podTemplates } from './pod-security';

type Json = any;

/**
 * The variables the library references on purpose in a command line or a variable: the pod's name
 * (worker and agent names), the Redis password (in the docket URL, so that it stays in its
 * Secret) and the Dask worker's name (which the Dask operator sets).
 */
export const LIBRARY_REFERENCES = new Set(['POD_NAME', 'PREFECT_REDIS_MESSAGING_PASSWORD', 'DASK_WORKER_NAME']);

/**
 * The names in the `$(NAME)` references the kubelet would expand in `text`, read as Kubernetes
 * reads them (k8s.io/kubernetes third_party/forked/golang/expansion): `$$` is an escaped `$`.
 */
export function referencesIn(text: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < text.length - 1; i++) {
    if (text[i] !== '$') continue;
    if (text[i + 1] === '$') {
      i += 1;
    } else if (text[i + 1] === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) break;
      names.push(text.slice(i + 2, close));
      i = close;
    }
  }
  return names;
}

/** Every `command`, `args` and `env[].value` of the pods in `objects`, with where it is. */
export function expandedFields(objects: Json[]): Array<{ where: string; text: string }> {
  const fields: Array<{ where: string; text: string }> = [];
  for (const o of objects) {
    for (const { spec } of podTemplates(o)) {
      for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
        const at = `${o.kind}/${o.metadata.name} container ${c.name}`;
        for (const field of ['command', 'args'] as const) {
          if (Array.isArray(c[field])) c[field].forEach((text: string, i: number) => fields.push({ where: `${at} ${field}[${i}]`, text }));
        }
        for (const e of c.env ?? []) if (typeof e.value === 'string') fields.push({ where: `${at} env ${e.name}`, text: e.value });
      }
    }
  }
  return fields;
}

/** References the kubelet would expand that the library does not make on purpose. */
export function unexpectedReferences(objects: Json[]): string[] {
  return expandedFields(objects).flatMap(({ where, text }) => referencesIn(text)
    .filter(name => !LIBRARY_REFERENCES.has(name))
    .map(name => `${where}: the kubelet would expand $(${name})`));
}
