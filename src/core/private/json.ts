/** Objects in the order cdk8s writes their YAML: keys sorted. */

/** An object with its keys in sorted order (one level). */
export function sortedKeys<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/** A `JSON.stringify` replacer that writes every object's keys in sorted order. */
export function sortedKeysReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? sortedKeys(value) : value;
}
