import { IConstruct } from 'constructs';
import { ValidationCode } from '../validation-code';
import { isBranded } from './brands';
import { factoryError, propError } from './errors';

/** What a JavaScript or Python caller can get wrong that the types would have caught: presence and shape. */

/**
 * A value of one of the library's classes, or unset: a JavaScript or Python caller can pass a
 * string or a plain object instead.
 */
export function checkInstance(scope: IConstruct, prop: string, value: unknown, type: { prototype: object }, what: string): void {
  if (isSetAndNot(value, type)) throw propError(scope, prop, value, what, ValidationCode.FORMAT);
}

/** Booleans, or unset: a caller's "false" (a string) is true to JavaScript. */
export function checkBooleans(scope: IConstruct, flags: { [prop: string]: unknown }): void {
  for (const [prop, value] of Object.entries(flags)) {
    if (value !== undefined && typeof value !== 'boolean') throw propError(scope, prop, value, 'true or false', ValidationCode.FORMAT);
  }
}

/**
 * A map of keys to string values, or unset: a string there would be read a character at a time,
 * and an instance of a class (a Cpu, a Size) would give its fields as keys.
 */
export function checkMap(scope: IConstruct, prop: string, value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isOptions(value)) throw propError(scope, prop, value, 'a map of keys to string values', ValidationCode.FORMAT);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw propError(scope, `${prop}[${key}]`, v, 'a string', ValidationCode.FORMAT);
  }
}

/** Whether a value is a plain object (an options object or a map), not a list or an instance of a class. */
export function isOptions(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** What the items of a list must be: strings, options objects, or instances of a class. */
export type ListItem = 'string' | 'options' | { readonly type: { prototype: object }; readonly what: string };

/**
 * A SecretKeyReference, or unset. What is given instead is likely the secret itself: it is
 * described by its type only, never shown.
 */
export function checkSecretReference(scope: IConstruct, prop: string, value: unknown, type: { prototype: object }): void {
  if (isSetAndNot(value, type)) {
    throw propError(scope, prop, `(a ${typeof value}, not shown)`, 'a SecretKeyReference: SecretKeyReference.fromSecret(name, key), never the value itself', ValidationCode.FORMAT);
  }
}

/**
 * A SecretKeyReference argument of a static factory. What is given instead is likely the secret
 * itself: it is described by its type only, never shown.
 */
export function requireSecretArgument(factory: string, argument: string, value: unknown, type: { prototype: object }): void {
  requireArgument(factory, argument, value, 'a SecretKeyReference');
  if (isSetAndNot(value, type)) {
    throw factoryError(factory, argument, `(a ${typeof value}, not shown)`, 'a SecretKeyReference: SecretKeyReference.fromSecret(name, key), never the value itself', ValidationCode.FORMAT);
  }
}

/** A string, where a JavaScript or Python caller can pass a number or an object. */
export function checkString(scope: IConstruct, prop: string, value: unknown): void {
  if (typeof value !== 'string') throw propError(scope, prop, value, 'a string', ValidationCode.FORMAT);
}

/** A prop the types require, which a JavaScript or Python caller can still leave out or pass as null. */
export function checkRequired(scope: IConstruct, prop: string, value: unknown, what: string): void {
  if (value === undefined || value === null) throw propError(scope, prop, undefined, what, ValidationCode.REQUIRED);
}

/**
 * Props that are lists, where a JavaScript or Python caller can pass one string instead: iterated,
 * it would make one namespace or package per character.
 */
export function checkLists(scope: IConstruct, lists: { [prop: string]: unknown }, item?: ListItem): void {
  for (const [prop, value] of Object.entries(lists)) {
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) throw propError(scope, prop, value, 'a list', ValidationCode.FORMAT);
    if (item === undefined) continue;
    value.forEach((v, i) => {
      if (v === undefined || v === null) throw propError(scope, `${prop}[${i}]`, undefined, `an item: ${itemWhat(item)}`, ValidationCode.REQUIRED);
      if (item === 'string' ? typeof v !== 'string' : item === 'options' ? !isOptions(v) : isSetAndNot(v, item.type)) {
        throw propError(scope, `${prop}[${i}]`, v, itemWhat(item), ValidationCode.FORMAT);
      }
    });
  }
}

function itemWhat(item: ListItem): string {
  return item === 'string' ? 'a string' : item === 'options' ? 'an options object' : item.what;
}

/** An argument of a static factory that a JavaScript or Python caller left out or passed as null. */
export function requireArgument(factory: string, argument: string, value: unknown, what: string): void {
  if (value === undefined || value === null) throw factoryError(factory, argument, undefined, what, ValidationCode.REQUIRED);
}

/**
 * An instance of a class of the library that the caller's module cannot import (see brands.ts), or
 * unset.
 */
export function checkBranded(scope: IConstruct, prop: string, value: unknown, kind: string): void {
  if (value !== undefined && value !== null && !isBranded(value, kind)) throw propError(scope, prop, value, `a ${kind}`, ValidationCode.FORMAT);
}

/** A required argument of a static factory that is an instance of such a class. */
export function requireBranded(factory: string, argument: string, value: unknown, kind: string, what: string): void {
  requireArgument(factory, argument, value, what);
  if (!isBranded(value, kind)) throw factoryError(factory, argument, value, `a ${kind}: ${what}`, ValidationCode.FORMAT);
}

/** Whether a value is given and is no instance of the type (whose constructor may be private). */
function isSetAndNot(value: unknown, type: { prototype: object }): boolean {
  return value !== undefined && value !== null && !Object.prototype.isPrototypeOf.call(type.prototype, value);
}
