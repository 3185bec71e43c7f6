/**
 * Sizes in every unit cdk8s offers: a request at most its limit synthesizes whatever the units
 * (600000 KiB under 1Gi crashed before), one above it is rejected naming the request, and an
 * infinite or zero size is rejected naming the prop; quotas, scratch space and volumes are positive.
 */
import { Chart, Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { DaskScratch, DaskScratchProps, PrefectApi, PrefectConnection, PrefectDatabase, PrefectImage, PrefectWorkerPool } from '../src';
import { inputErrorOf, synthError } from './support/synth';

const RUNS = 100;
const UNITS: Array<[string, (n: number) => Size, number]> = [
  ['KiB', Size.kibibytes, 1], ['MiB', Size.mebibytes, 1024], ['GiB', Size.gibibytes, 1024 ** 2],
];


/** A size of 64 MiB to 8 GiB in a random unit, with its exact value in KiB. */
const size = fc.tuple(fc.constantFrom(...UNITS), fc.integer({ min: 64 * 1024, max: 8 * 1024 ** 2 })).map(([[, make, kib], amount]) => {
  const count = Math.max(1, Math.floor(amount / kib));
  return { size: make(count), kib: count * kib };
});

describe.each(['memory', 'ephemeralStorage'])('resources.%s', kind => {
  const resources = (request: Size, limit: Size) => (chart: Chart) => new PrefectApi(chart, 'api', { resources: { [kind]: { request, limit } } });

  test('a request at most its limit is accepted, in any units', () => {
    fc.assert(fc.property(size, size, (a, b) => {
      const [low, high] = a.kib <= b.kib ? [a, b] : [b, a];
      expect(synthError(resources(low.size, high.size))).toBeUndefined();
    }), { numRuns: RUNS, seed: 61 });
  });

  test('a request above its limit is rejected, naming the request', () => {
    fc.assert(fc.property(size, size, (a, b) => {
      fc.pre(a.kib !== b.kib);
      const [low, high] = a.kib < b.kib ? [a, b] : [b, a];
      const message = synthError(resources(high.size, low.size));
      expect(inputErrorOf(message)).toEqual({ code: 'QUANTITY', prop: `resources.${kind}.request` });
      expect(message).toContain(`resources.${kind}.request ${high.size.asString()} is not accepted: at most the limit`);
    }), { numRuns: RUNS, seed: 62 });
  });

  test('an infinite or zero size is rejected, naming the prop', () => {
    const bad = fc.constantFrom(Size.gibibytes(Infinity), Size.kibibytes(Infinity), Size.mebibytes(0), Size.kibibytes(0), Size.gibibytes(NaN));
    fc.assert(fc.property(bad, fc.boolean(), (value, asLimit) => {
      const given = asLimit ? resources(Size.mebibytes(64), value) : resources(value, Size.gibibytes(1));
      const message = synthError(given);
      expect(inputErrorOf(message)?.code).toBe('QUANTITY');
      expect(message).toContain(`resources.${kind}.${asLimit ? 'limit' : 'request'} ${value.asString()} is not accepted: a size of at least`);
    }), { numRuns: 20, seed: 63 });
  });
});

describe('quotas and storage are positive', () => {
  const image = PrefectImage.official();
  const dask = (props: Partial<DaskScratchProps>) => (chart: Chart) => new DaskScratch(chart, 'dask', { image, namespace: 'dask', ...props });
  test.each<[string, Partial<DaskScratchProps>]>([
    ['quota.cpu', { quota: { cpu: Cpu.units(-1) } }],
    ['quota.cpu', { quota: { cpu: Cpu.millis(0) } }],
    ['quota.pods', { quota: { pods: -5 } }],
    ['quota.memory', { quota: { memory: Size.mebibytes(0) } }],
    ['quota.ephemeralStorage', { quota: { ephemeralStorage: Size.gibibytes(0) } }],
    ['scratchSize', { scratchSize: Size.gibibytes(0) }],
  ])('%s', (prop, props) => {
    expect(inputErrorOf(synthError(dask(props)))).toEqual({ code: 'QUANTITY', prop });
  });
  test('the SQLite volume', () => {
    const error = synthError(chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.sqlite({ size: Size.gibibytes(0) }) }));
    expect(inputErrorOf(error)).toEqual({ code: 'QUANTITY', prop: 'database.size' });
  });
});

test.each<[string, (chart: Chart) => unknown]>([
  ['prefetch', chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl('https://p.example.com/api'), poolName: 'etl', prefetch: Duration.seconds(2.0001) })],
  ['startupTimeout', chart => new PrefectApi(chart, 'api', { startupTimeout: Duration.seconds(Number.POSITIVE_INFINITY) })],
  ['idleTimeout', chart => new DaskScratch(chart, 'dask', { image: PrefectImage.official(), idleTimeout: Duration.seconds(Number.NaN) })],
])('a duration cdk8s cannot give in milliseconds is a QUANTITY error of %s', (prop, build) => {
  expect(inputErrorOf(synthError(build))).toEqual({ code: 'QUANTITY', prop });
});
