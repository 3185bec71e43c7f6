/**
 * Which of the library's classes an object is an instance of, for the places that cannot import the
 * class (it imports them): the ingress and the connection take a PrefectApi, which imports both.
 * A JavaScript or Python caller can pass anything there.
 */
const brands = new WeakMap<object, string>();

/** Marks an instance as one of `kind` (called in the class's constructor). */
export function brand(instance: object, kind: string): void {
  brands.set(instance, kind);
}

/** Whether a value is an instance marked as `kind`. */
export function isBranded(value: unknown, kind: string): boolean {
  return typeof value === 'object' && value !== null && brands.get(value) === kind;
}
