/**
 * Pool and queue names reach the Prefect CLI as positional arguments in the pool set-up
 * (`prefect work-pool create <name>`, `prefect work-queue create <queue>`): a name that starts
 * with '-' would be read as an option (`--help`), so it is rejected with the OPTION code. A '-'
 * elsewhere in a name is fine.
 */
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { PrefectConnection, PrefectWorkerPool } from '../src';
import { inputErrorOf, synthError } from './support/synth';

const RUNS = 100;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');

const SETTERS: Array<{ prop: string; set: (name: string) => (chart: Chart) => unknown }> = [
  { prop: 'poolName', set: name => chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: name, name: 'pool' }) },
  { prop: 'queues', set: name => chart => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', queues: [{ name }] }) },
];

const tail = fc.stringMatching(/^[a-z0-9 -]{0,20}[a-z0-9]$/);

describe.each(SETTERS)('$prop', ({ prop, set }) => {
  test('a name that starts with "-" is rejected', () => {
    fc.assert(fc.property(fc.constantFrom('-', '--'), tail, (dashes, rest) => {
      expect(inputErrorOf(synthError(set(dashes + rest)))).toEqual({ code: 'OPTION', prop });
    }), { numRuns: RUNS });
    expect(synthError(set('--help'))).toContain('does not start with "-": the set-up passes it to the Prefect CLI as an argument');
  });

  test('a name with "-" elsewhere is accepted', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9]$/), tail, (first, rest) => {
      expect(synthError(set(first + rest))).toBeUndefined();
    }), { numRuns: RUNS });
  });
});
