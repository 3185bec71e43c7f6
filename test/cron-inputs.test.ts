/**
 * Cron schedules (DaskScratch cleanupSchedule) are checked as the API server checks a CronJob's:
 * robfig/cron's standard parser, with five fields or a descriptor, and no TZ in the schedule.
 * Generated valid schedules are accepted and emitted as written; generated broken ones are
 * rejected with the prop and the CRON code.
 */
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { DaskScratch, PrefectImage, PrefectVersion } from '../src';
import { inputErrorOf, only, synth, synthError } from './support/synth';

const RUNS = 200;
const image = PrefectImage.fromRegistry('registry.example.com/flows:1.0.0', PrefectVersion.V3_8_3);
const scratch = (cleanupSchedule: string) => (chart: Chart) => new DaskScratch(chart, 'dask', { image, cleanupSchedule });

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
const validSchedule = fc.oneof(
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
const invalidSchedule = fc.oneof(
  fieldBroken,
  fc.integer({ min: 1, max: 8 }).filter(n => n !== 5).map(n => Array(n).fill('*').join(' ')),
  fc.constantFrom('@reboot', '@HOURLY', '@every', '@every soon', '@every 0s', 'TZ=UTC 0 * * * *', 'CRON_TZ=Europe/Berlin 0 * * * *', ''),
  // Go does not split at U+FEFF, and overflows its integers and durations here.
  fc.constantFrom('0\ufeff* * * *', '*/9223372036854775808 * * * *', '@every 2562048h', '1-2-3 * * * *', '-5 * * * *'),
);

test('valid schedules are accepted and emitted as written', () => {
  fc.assert(fc.property(validSchedule, schedule => {
    const objects = synth(scratch(schedule));
    expect(only(objects, 'CronJob').spec.schedule).toBe(schedule.trim());
  }), { numRuns: RUNS });
});

test('broken schedules are rejected, naming the prop, with the CRON code', () => {
  fc.assert(fc.property(invalidSchedule, schedule => {
    expect(inputErrorOf(synthError(scratch(schedule)))).toEqual({ code: 'CRON', prop: 'cleanupSchedule' });
  }), { numRuns: RUNS });
});

test('the message says what is wrong', () => {
  expect(synthError(scratch('0 24 * * *'))).toContain('as Kubernetes reads it: hour: "24" is outside 0 to 23');
  expect(synthError(scratch('TZ=UTC 0 * * * *'))).toContain('no TZ or CRON_TZ');
});
