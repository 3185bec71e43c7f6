/**
 * A CronJob schedule as the API server accepts it: robfig/cron's standard parser (five fields, or
 * a descriptor such as `@hourly`), and no `TZ=` or `CRON_TZ=` (the CronJob's timeZone field sets it).
 * Returns what is wrong, or undefined.
 */
export function cronProblem(schedule: string): string | undefined {
  if (schedule.includes('TZ')) return 'no TZ or CRON_TZ (the time zone is the CronJob\'s own field)';
  const spec = schedule.trim();
  if (spec.startsWith('@')) return descriptorProblem(spec);
  const fields = spec.split(/\s+/).filter(f => f !== '');
  if (fields.length !== 5) return `exactly 5 fields, not ${fields.length}`;
  for (let i = 0; i < 5; i++) {
    for (const part of fields[i].split(',')) {
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

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
/** A Go duration, as time.ParseDuration reads one, such as "1h30m". */
const GO_DURATION = /^([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$/;

function descriptorProblem(spec: string): string | undefined {
  if (DESCRIPTORS.has(spec)) return undefined;
  if (spec.startsWith('@every ')) {
    const duration = spec.slice('@every '.length);
    return GO_DURATION.test(duration) && /[1-9]/.test(duration) ? undefined : `a positive duration after @every, such as "30m", not "${duration}"`;
  }
  return `a descriptor among ${[...DESCRIPTORS].join(', ')} or @every <duration>, not "${spec}"`;
}

/** One element of a field's list: `*`, `?`, a value or range, optionally with a step. */
function rangeProblem(part: string, field: Field): string | undefined {
  const [range, step, ...moreSlashes] = part.split('/');
  if (moreSlashes.length > 0) return `"${part}" has too many slashes`;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) return `"${part}" needs a positive whole step`;
  if (range === '*' || range === '?') return undefined;
  const [low, high, ...moreHyphens] = range.split('-');
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
  return /^\d+$/.test(text) ? Number(text) : undefined;
}
