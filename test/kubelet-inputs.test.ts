/**
 * No user string reaches a command line or a variable as a `$(VAR)` reference the kubelet would
 * expand: for every prop that lands in `args`, `command` or `env[].value` (of the server, the
 * workers, their init containers and the flow-run Jobs), a value full of `$(...)` and `$$` comes
 * out escaped, and the kubelet turns it back into exactly what the user wrote. The library's own
 * references (`$(POD_NAME)`, the Redis password in the docket URL) stay the only ones. Values that
 * Prefect copies on into the flow runs' pods as written (the worker's PREFECT_ settings, the Prefect
 * 1 agent's labels) cannot be escaped for that second pod: `$(` there is rejected (EXPANSION).
 */
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import {
  EnvironmentVariable, PrefectApi, PrefectConnection, PrefectDatabase, PrefectImage, PrefectVersion, PrefectWorkerPool, SecretKeyReference,
  WorkerRuntime,
} from '../src';
import { KubeletText } from '../src/core/private/kubelet';
import { expand } from './runtime/support/kubelet';
import { flowRunJobsOf } from './support/job-template';
import { expandedFields, referencesIn, unexpectedReferences } from './support/kubelet-references';
import { inputErrorOf, synth, synthError } from './support/synth';

type Json = any;

const RUNS = 60;
const secret = SecretKeyReference.fromSecret('s', 'k');
const api = PrefectConnection.fromUrl('https://prefect.example.com/api');
const ha = { replicas: 2, redis: { host: 'redis', password: secret }, database: PrefectDatabase.postgresUrl(secret) };

/** Every prop whose value lands in a command line or a variable, and how to set it. */
const SETTERS: Array<{ prop: string; set: (value: string) => (chart: Chart) => unknown }> = [
  { prop: 'poolName', set: v => chart => new PrefectWorkerPool(chart, 'pool', { connection: api, poolName: v, name: 'pool' }) },
  { prop: 'queues', set: v => chart => new PrefectWorkerPool(chart, 'pool', { connection: api, poolName: 'etl', queues: [{ name: v }] }) },
  { prop: 'env (pool)', set: v => chart => new PrefectWorkerPool(chart, 'pool', { connection: api, poolName: 'etl', env: [EnvironmentVariable.fromValue('EXTRA', v)] }) },
  {
    prop: 'jobTemplate.env',
    set: v => chart => new PrefectWorkerPool(chart, 'pool', { connection: api, poolName: 'etl', jobTemplate: { env: [EnvironmentVariable.fromValue('EXTRA', v)] } }),
  },
  {
    prop: 'jobTemplate.env (Prefect 1)',
    set: v => chart => new PrefectWorkerPool(chart, 'pool', {
      connection: PrefectConnection.fromUrl('http://prefect-apollo:4200/graphql'),
      runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: ['dev'] }),
      image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
      jobTemplate: { env: [EnvironmentVariable.fromValue('EXTRA', v)] },
    }),
  },
  { prop: 'env (server)', set: v => chart => new PrefectApi(chart, 'api', { ...ha, env: [EnvironmentVariable.fromValue('EXTRA', v)] }) },
  {
    prop: 'database.user and database.databaseName',
    set: v => chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ host: 'pg', user: v, databaseName: v, password: secret }) }),
  },
  { prop: 'redis.username', set: v => chart => new PrefectApi(chart, 'api', { ...ha, redis: { host: 'redis', username: v, password: secret } }) },
];

/** Text with references to Secrets' variables, escapes and stray dollars, between plain words. */
const dollarText = fc.array(fc.constantFrom(
  '$(PREFECT_API_KEY)', '$(PREFECT_SERVER_DATABASE_CONNECTION_URL)', '$(POD_NAME)', '$(PREFECT_REDIS_MESSAGING_PASSWORD)',
  '$$(POD_NAME)', '$$', '$', '$(', ')', 'etl', '-', 'x',
), { minLength: 1, maxLength: 4 }).map(parts => `a${parts.join('')}z`).filter(text => text.length <= 100);
// (At most 100 characters: pool and queue names have that limit.)

/** Every pod of the output, the flow-run Jobs the pools' templates make included. */
function pods(build: (chart: Chart) => unknown): Json[] {
  let jobs: Json[] = [];
  const objects = synth(chart => {
    build(chart);
    jobs = flowRunJobsOf(chart);
  });
  // The Prefect 1 agent's job template file is a Job manifest.
  const prefect1 = objects.filter(o => o.kind === 'ConfigMap' && o.data?.['job-template.yaml']).map(o => JSON.parse(o.data['job-template.yaml']));
  return [...objects, ...jobs, ...prefect1];
}

/** What the kubelet makes of `text` (`$$` to `$`; references are left as written). */
function unescaped(text: string): string {
  return text.replace(/\$\$/g, '$');
}

describe.each(SETTERS)('$prop', ({ set }) => {
  test('a value with $(...) comes out escaped, and the kubelet reads back what was written', () => {
    fc.assert(fc.property(dollarText, value => {
      const objects = pods(set(value));
      expect(unexpectedReferences(objects)).toEqual([]);
      const fields = expandedFields(objects).filter(f => unescaped(f.text).includes(value));
      expect(fields.length).toBeGreaterThan(0);
      // Where the value is used whole, the field holds nothing the kubelet would expand.
      for (const f of fields.filter(x => unescaped(x.text) === value)) expect(referencesIn(f.text)).toEqual([]);
    }), { numRuns: RUNS });
  });
});

test('values Prefect hands on to the flow runs unescaped reject $(', () => {
  fc.assert(fc.property(dollarText.filter(t => t.includes('$(')), value => {
    const env = (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection: api, poolName: 'etl', env: [EnvironmentVariable.fromValue('PREFECT_LOGGING_EXTRA_LOGGERS', value)] });
    expect(inputErrorOf(synthError(env))).toEqual({ code: 'EXPANSION', prop: 'env[PREFECT_LOGGING_EXTRA_LOGGERS]' });
    const labels = (chart: Chart) => new PrefectWorkerPool(chart, 'pool', {
      connection: PrefectConnection.fromUrl('http://prefect-apollo:4200/graphql'),
      runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: [value] }), image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    });
    expect(inputErrorOf(synthError(labels))).toEqual({ code: 'EXPANSION', prop: 'runtime.labels' });
  }), { numRuns: RUNS });
});

test('the check sees an unescaped reference, and the library\'s own ones', () => {
  const job = {
    kind: 'Job', metadata: { name: 'j' },
    spec: { template: { spec: { containers: [{ name: 'c', args: ['--pool', '$(PREFECT_API_KEY)', '$$(PREFECT_API_KEY)'], env: [{ name: 'A', value: 'x$(POD_NAME)' }] }] } } },
  };
  expect(unexpectedReferences([job])).toEqual(['Job/j container c args[1]: the kubelet would expand $(PREFECT_API_KEY)']);
  expect(referencesIn('a$$(B)$(C)$$$(D)')).toEqual(['C', 'D']);
});

test('the library\'s references still expand: the worker\'s name and the docket URL\'s password', () => {
  const objects = pods(chart => {
    new PrefectApi(chart, 'api', ha);
    new PrefectWorkerPool(chart, 'pool', { connection: api, poolName: 'etl' });
  });
  const texts = expandedFields(objects).map(f => f.text);
  expect(texts).toContain('$(POD_NAME)');
  expect(texts).toContain('redis://:$(PREFECT_REDIS_MESSAGING_PASSWORD)@redis:6379/0');
});

test('composed values stay literal where they join a reference or each other', () => {
  const ref = KubeletText.reference('POD_NAME');
  const literal = (text: string) => KubeletText.compose`${text}`;
  fc.assert(fc.property(fc.array(fc.constantFrom('$', '(', ')', 'x', '$(', 'A'), { maxLength: 6 }).map(p => p.join('')),
    fc.array(fc.constantFrom('$', '(', ')', 'x', 'A'), { maxLength: 6 }).map(p => p.join('')), (a, b) => {
      const vars = new Map([['POD_NAME', 'pod-1'], ['A', 'secret'], ['x', 'secret']]);
      expect(expand(KubeletText.compose`${a}${b}`.render(), vars)).toBe(a + b);
      expect(expand(KubeletText.compose`${a}${ref}${b}`.render(), vars)).toBe(`${a}pod-1${b}`);
      expect(expand(literal(a).render(), vars)).toBe(a);
    }), { numRuns: 300 });
});
