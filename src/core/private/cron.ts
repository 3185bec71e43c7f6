/**
 * A CronJob schedule as the API server accepts it: robfig/cron's standard parser (five fields, or
 * a descriptor such as `@hourly`), and no `TZ=` or `CRON_TZ=` (the CronJob's timeZone field sets it).
 * Returns what is wrong, or undefined.
 */
export function cronProblem(schedule: string): string | undefined {
  if (schedule.includes('TZ')) return 'no TZ or CRON_TZ (the time zone is the CronJob\'s own field)';
  // The schedule is emitted trimmed; Go splits it into fields at its own white space.
  const spec = schedule.trim();
  if (spec.startsWith('@')) return descriptorProblem(spec);
  const fields = spec.split(GO_SPACE).filter(f => f !== '');
  if (fields.length !== 5) return `exactly 5 fields, not ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    // Empty items of a list are dropped (strings.FieldsFunc).
    for (const part of fields[i].split(',').filter(p => p !== '')) {
      const problem = rangeProblem(part, FIELDS[i]);
      if (problem) return `${FIELDS[i].name}: ${problem}`;
    }
  }
  return undefined;
}

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['', 'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** White space as Go's unicode.IsSpace has it, by which strings.Fields splits. */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
/** The largest number strconv.Atoi reads on 64 bits. */
const MAX_INT = BigInt('9223372036854775807');

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
/** A Go duration, as time.ParseDuration reads one, such as "1h30m". */
const GO_DURATION = /^([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$/;

/** Nanoseconds per unit of a Go duration. */
const NANOSECONDS: { [unit: string]: number } = { 'ns': 1, 'us': 1e3, 'µs': 1e3, 'μs': 1e3, 'ms': 1e6, 's': 1e9, 'm': 60e9, 'h': 3600e9 };

function descriptorProblem(spec: string): string | undefined {
  if (DESCRIPTORS.has(spec)) return undefined;
  if (spec.startsWith('@every ')) {
    // Stricter than Kubernetes, which runs "@every 0" or a negative duration every second.
    const duration = spec.slice('@every '.length);
    const nanoseconds = [...duration.matchAll(/([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/g)].reduce((sum, [, n, unit]) => sum + Number(n) * NANOSECONDS[unit], 0);
    const ok = GO_DURATION.test(duration) && nanoseconds >= 1 && nanoseconds <= Number(MAX_INT);
    return ok ? undefined : `a positive duration after @every that Go can hold (under 2562047h), such as "30m", not "${duration}"`;
  }
  return `a descriptor among ${[...DESCRIPTORS].join(', ')} or @every <duration>, not "${spec}"`;
}

/** One element of a field's list: `*`, `?`, a value or range, optionally with a step. */
function rangeProblem(part: string, field: Field): string | undefined {
  const [range, step, ...moreSlashes] = part.split('/');
  if (moreSlashes.length > 0) return `"${part}" has too many slashes`;
  if (step !== undefined && !((numberOf(step) ?? 0) > 0)) return `"${part}" needs a positive whole step`;
  const [low, high, ...moreHyphens] = range.split('-');
  // After * or ? the parser reads no bounds: "*-5" is every value.
  if (low === '*' || low === '?') return undefined;
  if (moreHyphens.length > 0) return `"${part}" has too many hyphens`;
  const start = valueOf(low, field);
  const end = high === undefined ? start : valueOf(high, field);
  if (start === undefined || end === undefined) return `"${part}" is not a value from ${field.min} to ${field.max}${field.names ? ' or a name' : ''}`;
  if (start < field.min || end > field.max) return `"${part}" is outside ${field.min} to ${field.max}`;
  if (start > end) return `"${part}" begins after it ends`;
  return undefined;
}

function valueOf(text: string, field: Field): number | undefined {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named > 0 || (named === 0 && field.names![0] !== '')) return named;
  return numberOf(text);
}

/** A number as strconv.Atoi reads it (a sign, then digits, within 64 bits), if not negative. */
function numberOf(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text) || BigInt(text) > MAX_INT || BigInt(text) < BigInt(0)) return undefined;
  return Number(text);
}
