/**
 * Generated cron schedules: valid ones (fields, names, steps, descriptors, and what robfig/cron's
 * parser also takes) and ones broken in one place, for the unit suite and the cluster suite.
 */
import * as fc from 'fast-check';

const BOUNDS: Array<[number, number, string[]]> = [
  [0, 59, []], [0, 23, []], [1, 31, []],
  [1, 12, ['JAN', 'feb', 'Mar', 'apr', 'MAY', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']],
  [0, 6, ['sun', 'MON', 'tue', 'wed', 'thu', 'fri', 'Sat']],
];

/** One element of a field: *, ?, a value, a range, each with or without a step. */
function element(min: number, max: number, names: string[]): fc.Arbitrary<string> {
  const value = fc.integer({ min, max });
  const name = (n: number) => (names.length > 0 ? fc.constantFrom(String(n), names[n - (names.length === 12 ? 1 : 0)]) : fc.constant(String(n)));
  const step = fc.option(fc.integer({ min: 1, max: 90 }).map(s => `/${s}`), { nil: '' });
  return fc.oneof(
    fc.tuple(fc.constantFrom('*', '?'), step).map(([r, s]) => r + s),
    value.chain(name),
    fc.tuple(value, value).chain(([a, b]) => fc.tuple(name(Math.min(a, b)), name(Math.max(a, b)), step)).map(([a, b, s]) => `${a}-${b}${s}`),
  );
}

const field = (i: number) => fc.array(element(...BOUNDS[i]), { minLength: 1, maxLength: 3 }).map(parts => parts.join(','));
export const validSchedule = fc.oneof(
  fc.tuple(field(0), field(1), field(2), field(3), field(4), fc.constantFrom(' ', '  ', '\t')).map(([a, b, c, d, e, gap]) => [a, b, c, d, e].join(gap)),
  fc.constantFrom('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@every 1h30m', '@every 90s'),
  // What the parser also takes: empty list items, signs, anything after *, Go's other white space.
  fc.constantFrom(',5 * * * *', '1,,2 * * * mon,', '+5 */+5 * * *', '*-5 ?-x * * *', '0\u0085* * * *', '0\u00a0*\u3000* * *'),
);

/** A valid five-field schedule broken in one field. */
const fieldBroken = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom('above', 'below', 'reversed', 'zero step', 'word', 'slashes'))
  .map(([i, how]) => {
    const [min, max] = BOUNDS[i];
    const broken = { above: String(max + 1), below: min > 0 ? String(min - 1) : '-1', reversed: `${max}-${min}`, 'zero step': '*/0', word: 'often', slashes: '*/2/3' }[how];
    const fields = ['0', '0', '1', '1', '0'];
    fields[i] = broken!;
    return fields.join(' ');
  });
export const invalidSchedule = fc.oneof(
  fieldBroken,
  fc.integer({ min: 1, max: 8 }).filter(n => n !== 5).map(n => Array(n).fill('*').join(' ')),
  fc.constantFrom('@reboot', '@HOURLY', '@every', '@every soon', '@every 0s', 'TZ=UTC 0 * * * *', 'CRON_TZ=Europe/Berlin 0 * * * *', ''),
  // Go does not split at U+FEFF, and overflows its integers and durations here.
  fc.constantFrom('0\ufeff* * * *', '*/9223372036854775808 * * * *', '@every 2562048h', '1-2-3 * * * *', '-5 * * * *'),
);

