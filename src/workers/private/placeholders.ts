/** Prefect's placeholders, which the worker fills in wherever they are in a job template. */

/**
 * A placeholder as the worker finds them in a job template (prefect.utilities.templating:
 * `{{\s*([\w\.\-\[\]$]+)\s*}}`), read with Python's Unicode classes: its `\s` also takes
 * U+001C to U+001F and U+0085, and its `\w` letters, marks and numbers of every script.
 */
export const PREFECT_PLACEHOLDER = /\{\{[\s\x1c-\x1f\x85]*[\p{L}\p{M}\p{N}_.\-[\]$]+[\s\x1c-\x1f\x85]*\}\}/u;

/** Every placeholder in a value's strings, keys included. */
export function placeholdersIn(value: unknown): string[] {
  const every = new RegExp(PREFECT_PLACEHOLDER.source, 'gu');
  return stringsOf(value, '').flatMap(([, text]) => text.match(every) ?? []);
}

/** Every string in a value, keys included, with where it is. */
export function stringsOf(value: unknown, where: string): Array<[string, string]> {
  if (typeof value === 'string') return [[where, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsOf(v, `${where}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => [[`${where}`, k] as [string, string], ...stringsOf(v, `${where}.${k}`)]);
  }
  return [];
}
