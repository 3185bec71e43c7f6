import { IConstruct } from 'constructs';
import type { WarningCode } from '../warning-code';

/**
 * The warnings channel: choices that are allowed but risky, registered by the constructs that see
 * them and printed once per synth (to stderr, after validation), or turned into synth errors.
 * A warning is produced at synth, when the app is complete: what it says may depend on constructs
 * added after the one that registers it.
 */
export interface WarningEntry {
  readonly scope: IConstruct;
  readonly code: WarningCode;
  /** The message, or undefined when there is nothing to warn of. */
  readonly produce: () => string | undefined;
}

/** How synth treats warnings: `CDK8S_PREFECT_WARNINGS` = print (default), silent or error. */
export const WARNINGS_MODE_VARIABLE = 'CDK8S_PREFECT_WARNINGS';
const MODES = ['print', 'silent', 'error'];

const entries = new WeakMap<IConstruct, WarningEntry[]>();
const acknowledged = new WeakMap<IConstruct, Set<WarningCode>>();
const printed = new WeakMap<IConstruct, Set<string>>();

/** Registers a warning of `scope`; the first one of an app adds the printer to the app's root. */
export function warn(scope: IConstruct, code: WarningCode, produce: () => string | undefined): void {
  const root = scope.node.root;
  let list = entries.get(root);
  if (!list) {
    list = [];
    entries.set(root, list);
    root.node.addValidation({ validate: () => report(root) });
  }
  list.push({ scope, code, produce });
}

/** Leaves warnings of `code` of `scope` and everything under it out. */
export function acknowledge(scope: IConstruct, code: WarningCode): void {
  const codes = acknowledged.get(scope) ?? new Set<WarningCode>();
  codes.add(code);
  acknowledged.set(scope, codes);
}

function isAcknowledged(scope: IConstruct, code: WarningCode): boolean {
  return scope.node.scopes.some(s => acknowledged.get(s)?.has(code));
}

/** The warnings of the constructs at or under `scope`, as messages with code and path. */
export function warningsOf(scope: IConstruct): Array<{ code: WarningCode; constructPath: string; message: string }> {
  const prefix = scope.node.path;
  return (entries.get(scope.node.root) ?? [])
    .filter(e => prefix === '' || e.scope.node.path === prefix || e.scope.node.path.startsWith(`${prefix}/`))
    .filter(e => !isAcknowledged(e.scope, e.code))
    .flatMap(e => {
      const message = e.produce();
      return message === undefined ? [] : [{ code: e.code, constructPath: e.scope.node.path, message: `[${e.code}] ${e.scope.constructor.name} '${e.scope.node.path}': ${message}` }];
    })
    // A value checked for several purposes registers its warning once for each.
    .filter((w, i, all) => all.findIndex(other => other.message === w.message) === i);
}

function report(root: IConstruct): string[] {
  const mode = process.env[WARNINGS_MODE_VARIABLE] ?? 'print';
  if (!MODES.includes(mode)) return [`${WARNINGS_MODE_VARIABLE} "${mode}" is not accepted: one of ${MODES.join(', ')}`];
  if (mode === 'silent') return [];
  const messages = warningsOf(root).map(w => w.message);
  if (mode === 'error') return messages;
  // cdk8s validates the whole app for each chart.toJson() as well as for synth: print once.
  const seen = printed.get(root) ?? new Set<string>();
  printed.set(root, seen);
  for (const message of messages.filter(m => !seen.has(m))) {
    seen.add(message);
    process.stderr.write(`Warning: ${message}\n`);
  }
  return [];
}
