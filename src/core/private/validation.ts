import { isIP } from 'node:net';
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import type { EnvironmentVariable } from '../environment-variable';
import { ValidationCode } from '../validation-code';
import { propError } from './errors';
import { checkMap, checkString } from './shapes';

export { factoryError, PrefectValidationError, propError, redact } from './errors';
export { checkBooleans, checkBranded, checkInstance, checkLists, checkMap, isOptions, checkRequired, checkSecretReference, checkString, requireArgument, requireBranded, requireSecretArgument } from './shapes';
export type { ListItem } from './shapes';

/** The accepted values of an enum, as the error lists them: `Type.MEMBER ("value")`. */
export function enumChoices(values: { [member: string]: string }, typeName: string): string {
  return Object.entries(values).map(([member, value]) => `${typeName}.${member} (${JSON.stringify(value)})`).join(', ');
}

/**
 * A member of a string enum, or unset. JavaScript and Python callers can pass any string, which
 * would otherwise pass through into the output or be taken for the default.
 */
export function checkEnum(scope: IConstruct, prop: string, value: string | undefined,
  values: { [member: string]: string }, typeName: string): void {
  if (value !== undefined && !Object.values(values).includes(value)) {
    throw propError(scope, prop, value, `one of ${enumChoices(values, typeName)}`, ValidationCode.CHOICE);
  }
}

/**
 * An absolute http(s) URL, or undefined: also for whitespace or control characters, which the
 * URL parser would drop without a word, and for `$(`, which the kubelet expands in an env value.
 */
export function parseHttpUrl(value: string): URL | undefined {
  if (/[\s\x00-\x1f\x7f]/.test(value) || value.includes('$(')) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The code of a name that breaks a rule: too long when it is, otherwise not in the form. */
function nameCode(value: string, maxLength: number): ValidationCode {
  return value.length > maxLength ? ValidationCode.TOO_LONG : ValidationCode.FORMAT;
}

export function checkDns1035Label(scope: IConstruct, prop: string, value: string, maxLength = 63): void {
  checkString(scope, prop, value);
  if (!DNS1035_LABEL.test(value) || value.length > maxLength) {
    throw propError(scope, prop, value,
      `a DNS-1035 label of at most ${maxLength} characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit`, nameCode(value, maxLength));
  }
}

export function checkDns1123Subdomain(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (!DNS1123_SUBDOMAIN.test(value) || value.length > 253) {
    throw propError(scope, prop, value,
      'a DNS-1123 subdomain of at most 253 characters: lower-case letters, digits, \'-\' and \'.\', starting and ending with a letter or digit', nameCode(value, 253));
  }
}

export function checkSecretKey(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (!SECRET_KEY.test(value) || value.length > 253) {
    throw propError(scope, prop, value, 'a Secret data key: letters, digits, \'-\', \'_\' and \'.\'', ValidationCode.FORMAT);
  }
}

export function checkEnvName(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (!ENV_NAME.test(value)) {
    throw propError(scope, prop, value, 'an environment variable name: letters, digits, \'_\', \'-\' and \'.\', not starting with a digit', ValidationCode.FORMAT);
  }
}

export function checkInteger(scope: IConstruct, prop: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw propError(scope, prop, value, `a whole number from ${min} to ${max}`, ValidationCode.QUANTITY);
  }
}

export function checkNonEmpty(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (value.trim() === '' || /\s/.test(value)) {
    throw propError(scope, prop, value, 'a non-empty value without white space', ValidationCode.FORMAT);
  }
}

/** Millicores of a CPU quantity ("500m", "2", "0.5"); NaN when it is not a quantity. */
export function cpuMillis(cpu: Cpu): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(cpu.amount);
  if (!match) return NaN;
  return match[2] === 'm' ? Number(match[1]) : Number(match[1]) * 1000;
}

export function checkCpu(scope: IConstruct, prop: string, cpu: Cpu): void {
  if (!(cpu instanceof Cpu)) throw propError(scope, prop, cpu, 'a Cpu such as Cpu.millis(250) or Cpu.units(1)', ValidationCode.QUANTITY);
  const millis = cpuMillis(cpu);
  if (!(millis >= 1) || !Number.isInteger(millis)) {
    throw propError(scope, prop, cpu, 'a CPU quantity of at least 1m, such as Cpu.millis(250) or Cpu.units(1)', ValidationCode.QUANTITY);
  }
}

/** A size in mebibytes, exactly: any unit cdk8s offers (600000 KiB is 585.9375 MiB). */
export function mebibytesOf(size: Size): number {
  return size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
}

export function checkSize(scope: IConstruct, prop: string, size: Size, minMebibytes: number): void {
  if (!(size instanceof Size)) throw propError(scope, prop, size, 'a Size such as Size.mebibytes(512) or Size.gibibytes(1)', ValidationCode.QUANTITY);
  const mebibytes = mebibytesOf(size);
  if (!(mebibytes >= minMebibytes) || !Number.isFinite(mebibytes)) {
    throw propError(scope, prop, size, `a size of at least ${minMebibytes}Mi, and finite, such as Size.mebibytes(512) or Size.gibibytes(1)`, ValidationCode.QUANTITY);
  }
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A label or annotation key: an optional DNS-1123 subdomain prefix and a name of at most 63 characters. */
export function checkLabelKey(scope: IConstruct, prop: string, key: string): void {
  checkString(scope, prop, key);
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  if (!LABEL_NAME.test(name) || (prefix !== undefined && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253))) {
    throw propError(scope, prop, key,
      'a label or annotation key: an optional DNS subdomain prefix and "/", then at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit', ValidationCode.FORMAT);
  }
}

/** Whether `value` is a non-empty label value. */
export function isLabelValue(value: string): boolean {
  return LABEL_NAME.test(value);
}

/** A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit. */
export function checkLabelValue(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (value !== '' && !isLabelValue(value)) {
    throw propError(scope, prop, value, 'a label value: at most 63 letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit', nameCode(value, 63));
  }
}

/** Checks a map of labels: each key, and each value under `<prop>[<key>]`. */
export function checkLabels(scope: IConstruct, prop: string, labels: { [key: string]: string } | undefined): void {
  checkMap(scope, prop, labels);
  for (const [key, value] of Object.entries(labels ?? {})) {
    checkLabelKey(scope, prop, key);
    checkLabelValue(scope, `${prop}[${key}]`, value);
  }
}

/** A duration of whole seconds within bounds; returns the seconds. */
export function checkSeconds(scope: IConstruct, prop: string, duration: Duration, min: number, max: number): number {
  if (!(duration instanceof Duration)) throw propError(scope, prop, duration, 'a Duration such as Duration.seconds(30)', ValidationCode.QUANTITY);
  // cdk8s refuses to give a fraction of a millisecond, or an infinite one, as milliseconds.
  const milliseconds = problemsOf(() => duration.toMilliseconds()).length === 0 ? duration.toMilliseconds() : Number.NaN;
  const seconds = milliseconds / 1000;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw propError(scope, prop, `${seconds}s`, `a whole number of seconds from ${min} to ${max}`, ValidationCode.QUANTITY);
  }
  return seconds;
}

/** A namespace name: a DNS-1123 label of at most 63 characters. */
export function checkNamespaceName(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw propError(scope, prop, value, 'a namespace name: a DNS-1123 label of at most 63 characters', nameCode(value, 63));
  }
}

/**
 * A namespace flow runs are launched in: not one of Kubernetes' own (kube-), where a Role to create
 * Jobs would let a deployment run a flow as any of their ServiceAccounts.
 */
export function checkJobNamespace(scope: IConstruct, prop: string, value: string): void {
  checkNamespaceName(scope, prop, value);
  if (value.startsWith('kube-')) {
    throw propError(scope, prop, value, 'a namespace not starting with kube-, which Kubernetes keeps for its own workloads', ValidationCode.RESERVED);
  }
}

/** An IANA time zone name, e.g. `Europe/Berlin`. */
export function checkTimeZone(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  // A name the container's tzdata lacks makes it run in UTC without a word: names are checked
  // against the IANA database that Node.js carries.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value) || !knownTimeZone(value)) {
    throw propError(scope, prop, value, 'an IANA time zone name such as "UTC" or "Europe/Berlin"', ValidationCode.FORMAT);
  }
}

function knownTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * Extra environment variables: valid names, each once, valid Secret references, and none the
 * construct sets itself (`reserved` returns what to use instead, or undefined when the name is free).
 */
export function checkExtraEnv(scope: IConstruct, prop: string, variables: EnvironmentVariable[],
  reserved: (name: string) => string | undefined): void {
  for (const variable of variables) {
    checkEnvName(scope, prop, variable.name);
    const instead = reserved(variable.name);
    if (instead !== undefined) throw propError(scope, prop, variable.name, instead, ValidationCode.RESERVED);
    variable.secret?._validate(scope, `${prop}[${variable.name}]`);
  }
  const duplicate = variables.map(e => e.name).find((n, i, all) => all.indexOf(n) !== i);
  if (duplicate) throw propError(scope, prop, duplicate, 'each variable name once', ValidationCode.DUPLICATE);
}

/**
 * An absolute http(s) URL at which browsers reach the server: `withPath` for an API URL such as
 * `https://prefect.example.com/api`, otherwise a base URL without path, query or credentials.
 */
export function checkBrowserUrl(scope: IConstruct, prop: string, value: string, withPath: boolean): void {
  checkString(scope, prop, value);
  const url = parseHttpUrl(value);
  const ok = url !== undefined && url.hostname !== '0.0.0.0'
    && !url.username && !url.password && !url.search && !url.hash && (withPath || url.pathname === '/');
  if (!ok) {
    throw propError(scope, prop, value, withPath
      ? 'an absolute http(s) URL at which browsers reach the API, such as "https://prefect.example.com/api" (not 0.0.0.0, no credentials, whitespace or "$(")'
      : 'an absolute http(s) base URL at which browsers reach the server, such as "http://prefect.example.com:30420" (no path, not 0.0.0.0, no credentials, whitespace or "$(")', ValidationCode.URL);
  }
}

/** An IPv4 or IPv6 CIDR such as `10.0.0.0/8` or `2001:db8::/32`. */
export function checkCidr(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  const [address, bits, ...rest] = value.split('/');
  const v4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(address ?? '');
  const v6 = !v4 && /^[0-9a-fA-F:.]+$/.test(address ?? '') && address!.includes(':') && isIpv6(address!);
  const max = v4 ? 32 : 128;
  if ((!v4 && !v6) || bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw propError(scope, prop, value, 'a CIDR such as "10.0.0.0/8", "203.0.113.7/32" or "2001:db8::/32"', ValidationCode.FORMAT);
  }
}

function isIpv6(address: string): boolean {
  try {
    return new URL(`http://[${address}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/** Annotations: valid keys, and none of `reserved` (keys the construct sets itself). */
export function checkAnnotations(scope: IConstruct, prop: string, annotations: { [key: string]: string }, reserved: string[] = []): void {
  checkMap(scope, prop, annotations);
  for (const key of Object.keys(annotations ?? {})) {
    checkLabelKey(scope, prop, key);
    checkString(scope, `${prop}[${key}]`, annotations[key]);
    if (reserved.includes(key)) {
      throw propError(scope, prop, key, `annotations the construct does not set itself (it sets ${reserved.join(', ')} from its props)`, ValidationCode.RESERVED);
    }
  }
}

/** A DNS host name for a URL: a DNS-1123 subdomain with at least one dot, or a single label; no wildcard. */
export function checkHostName(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  if (!DNS1123_SUBDOMAIN.test(value) || value.length > 253 || value.split('.').some(l => l.length > 63) || /^[0-9.]+$/.test(value)) {
    throw propError(scope, prop, value,
      'a lower-case DNS host name such as "prefect.example.com" (letters, digits, \'-\' and \'.\'; no wildcard, no port, not an IP address)', ValidationCode.HOST);
  }
}

const HOST_LABEL = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$/;

/**
 * The host of a server a container connects to (a database, Redis): a host name, an IPv4 address
 * or a bare IPv6 address. No scheme, port, path, credentials or whitespace, which the clients
 * would read as part of the name.
 */
export function checkServerHost(scope: IConstruct, prop: string, value: string): void {
  checkString(scope, prop, value);
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const isName = name.length > 0 && name.length <= 253 && name.split('.').every(label => HOST_LABEL.test(label) && label.length <= 63)
    && !/^[0-9.]+$/.test(name);
  if (!isName && isIP(value) === 0) {
    // A host is shown up to what cannot be part of one: the rest may be a password or a port
    // mistaken for one (`prefect:hunter2`), and whatever comes before an '@' is credentials.
    const shown = value.trim() === '' ? value : value.replace(/^([A-Za-z0-9.-]*)[^A-Za-z0-9.-].*$/s, '$1…');
    throw propError(scope, prop, shown,
      'a host name such as "postgres.databases.svc" or an IP address such as "10.0.0.5" or "fd00::5" (no scheme, port, path or credentials; the port has its own prop)', ValidationCode.HOST);
  }
}

/** Whether a host is the pod's own loopback (a proxy sidecar there), which network policies do not reach. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && (host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1');
}

/** The message of the input error `check` throws, for a node validation. */
export function problemsOf(check: () => void): string[] {
  try {
    check();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}
