/**
 * Cron schedules (DaskScratch cleanupSchedule) are checked as the API server checks a CronJob's:
 * robfig/cron's standard parser, with five fields or a descriptor, and no TZ in the schedule.
 * Generated valid schedules are accepted and emitted as written; generated broken ones are
 * rejected with the prop and the CRON code.
 */
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { DaskScratch, PrefectImage, PrefectVersion } from '../src';
import { invalidSchedule, validSchedule } from './support/cron-schedules';
import { inputErrorOf, only, synth, synthError } from './support/synth';

const RUNS = 200;
const image = PrefectImage.fromRegistry('registry.example.com/flows:1.0.0', PrefectVersion.V3_8_3);
const scratch = (cleanupSchedule: string) => (chart: Chart) => new DaskScratch(chart, 'dask', { image, cleanupSchedule });

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
