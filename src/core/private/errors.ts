import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { ValidationCode } from '../validation-code';

/**
 * An input error: its stable code, the construct's path (or the factory's name), the prop as the
 * user wrote it, the offending value (redacted) and what is accepted.
 */
export class PrefectValidationError extends Error {
  public readonly name = 'PrefectValidationError';
  constructor(
    public readonly code: ValidationCode,
    /** The construct's path, or the static factory's name (`PrefectImage.official`). */
    public readonly constructPath: string,
    public readonly prop: string,
    /** The value as shown in the message: quoted, with credentials redacted. */
    public readonly value: string,
    where: string,
    accepted: string,
  ) {
    super(`[${code}] ${where}: ${prop} ${value} is not accepted: ${accepted}`);
  }
}

/**
 * The input error of a construct. Thrown at construction for what is wrong up front, and returned
 * from node validations for what is only known at synth time.
 */
export function propError(scope: IConstruct, prop: string, value: unknown, accepted: string, code: ValidationCode): PrefectValidationError {
  return new PrefectValidationError(code, scope.node.path, prop, show(value), `${scope.constructor.name} '${scope.node.path}'`, accepted);
}

/** The input error of a static factory such as `PrefectImage.official`, which has no construct. */
export function factoryError(factory: string, prop: string, value: unknown, accepted: string, code: ValidationCode): PrefectValidationError {
  return new PrefectValidationError(code, factory, prop, show(value), factory, accepted);
}

function show(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'string') return JSON.stringify(redact(value));
  if (value instanceof Size) return value.asString();
  if (value instanceof Cpu) return value.amount;
  if (typeof value === 'object' && value !== null) return describeObject(value);
  return String(value);
}

/**
 * A list or object as JSON, redacted as a string is (a URL with credentials in a list is one), cut
 * short; an instance of a class by its class, whose fields may be anything.
 */
function describeObject(value: object): string {
  const prototype = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return `(a ${prototype?.constructor?.name ?? 'object'})`;
  let text: string;
  try {
    text = JSON.stringify(value, (_key, v) => (typeof v === 'string' ? redact(v) : v));
  } catch {
    return Array.isArray(value) ? '(a list)' : '(an object)';
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** A value with what may be credentials (`user:password@`, up to the last '@') replaced by `***@`. */
export function redact(value: string): string {
  // Whatever comes before the last '@' may be credentials, whichever characters the password has
  // and however malformed the URL is; an image digest's '@' is not one.
  const ats = [...value.matchAll(/@(?![a-z0-9]+:[0-9a-f]{32,})/gi)];
  const last = ats.length > 0 ? ats[ats.length - 1].index! : -1;
  const prefix = /^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?[\\/]*/.exec(value)![0];
  const unauthorized = last < prefix.length ? value : `${prefix}***${value.slice(last)}`;
  // Parameters named like credentials (`?token=`, `#access_token=`, ` password=`, `,api_key=`).
  return unauthorized.replace(/((?:^|[?&#;,\s])[^=&#;,\s@]*(?:pass|pwd|token|secret|key|auth|cred|sig)[^=&#;,\s@]*=)[^&#;,\s]+/gi, '$1***');
}
