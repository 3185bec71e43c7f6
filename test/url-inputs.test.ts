/**
 * URLs a user sets: one with credentials never has them echoed in an error, and whitespace,
 * control characters (which the URL parser drops without a word) and `$(` (which the kubelet
 * expands in an env value) are rejected wherever a URL is set.
 */
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { ExternalServiceType, PrefectApi, PrefectConnection, PrefectDatabase, PrefectWorkerPool, SecretKeyReference } from '../src';
import { inputErrorOf, synthError } from './support/synth';

const RUNS = 100;

/** Where a URL is set, and how to set it. */
const SETTERS: Array<{ prop: string; set: (url: string) => (chart: Chart) => unknown; base: string }> = [
  {
    prop: 'connection.url',
    base: 'https://prefect.example.com/api',
    set: url => chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl(url), poolName: 'etl' }),
  },
  { prop: 'uiApiUrl', base: 'https://prefect.example.com/api', set: url => chart => new PrefectApi(chart, 'api', { uiApiUrl: url }) },
  {
    prop: 'exposeViaService.address',
    base: 'http://prefect.example.com:30420',
    set: url => chart => new PrefectApi(chart, 'api').exposeViaService({ address: url, serviceType: ExternalServiceType.NODE_PORT }),
  },
];


/** Inserts `piece` into `url` after its scheme, at a position picked by `at`. */
function insert(url: string, piece: string, at: number): string {
  const start = url.indexOf('://') + 3;
  const index = start + (at % (url.length - start + 1));
  return url.slice(0, index) + piece + url.slice(index);
}

const secretLike = fc.stringMatching(/^[A-Za-z0-9!*+,;=_~.-]{6,20}$/);
const whitespaceOrControl = fc.oneof(
  fc.constantFrom(' ', '\t', '\n', '\r', '\u007f'),
  fc.integer({ min: 0, max: 0x1f }).map(c => String.fromCharCode(c)),
);

describe.each(SETTERS)('$prop', ({ prop, set, base }) => {
  test('the URL as given is accepted (the cases below differ from it only in what they add)', () => {
    expect(synthError(set(base))).toBeUndefined();
  });

  test('credentials in the URL are rejected and never echoed', () => {
    fc.assert(fc.property(secretLike, secretLike, (user, password) => {
      const message = synthError(set(base.replace('://', `://${user}:${password}@`)));
      expect(inputErrorOf(message)).toEqual({ code: 'URL', prop });
      expect(message).toContain('://***@');
      expect(message).not.toContain(password);
    }), { numRuns: RUNS, seed: 31 });
  });

  test('credentials are never echoed, whatever the password holds and however the URL is malformed', () => {
    const password = fc.stringMatching(/^[A-Za-z0-9/#? %:!*]{6,20}$/).filter(p => /[A-Za-z0-9]{4}/.test(p));
    const separator = fc.constantFrom('://', ':/', ':\\\\', ':', '//');
    let rejected = 0;
    fc.assert(fc.property(secretLike, password, separator, (user, secret, sep) => {
      const [scheme, rest] = base.split('://');
      // Some of these still parse as URLs (with another host): those are accepted, not echoed.
      const message = synthError(set(`${scheme}${sep}${user}:${secret}@${rest}`));
      if (message !== undefined) {
        expect(inputErrorOf(message)?.prop).toBe(prop);
        expect(message).not.toContain(secret);
        rejected += 1;
      }
    }), { numRuns: RUNS, seed: 34 });
    expect(rejected).toBeGreaterThan(RUNS / 2);
  });

  test('whitespace and control characters are rejected', () => {
    fc.assert(fc.property(whitespaceOrControl, fc.nat(), (character, at) => {
      expect(inputErrorOf(synthError(set(insert(base, character, at))))).toEqual({ code: 'URL', prop });
    }), { numRuns: RUNS, seed: 32 });
  });

  test('"$(" is rejected, so the kubelet cannot expand a variable into the URL', () => {
    fc.assert(fc.property(fc.constantFrom('PREFECT_API_KEY', 'PREFECT_API_AUTH_STRING', 'PREFECT_SERVER_DATABASE_CONNECTION_URL'), fc.nat(),
      (name, at) => {
        expect(inputErrorOf(synthError(set(insert(base, `$(${name})`, at))))).toEqual({ code: 'URL', prop });
      }), { numRuns: RUNS, seed: 33 });
  });
});

test('credentials in parameters, and in what is no host, are never echoed either', () => {
  const secret = 'hunter2secret';
  const cases: Array<(chart: Chart) => unknown> = [
    chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ host: `pg password=${secret}`, user: 'u', databaseName: 'd', password: SecretKeyReference.fromSecret('s', 'k') }) }),
    chart => new PrefectApi(chart, 'api', { database: PrefectDatabase.postgres({ host: `prefect:${secret}`, user: 'u', databaseName: 'd', password: SecretKeyReference.fromSecret('s', 'k') }) }),
    chart => new PrefectApi(chart, 'api', { replicas: 2, database: PrefectDatabase.postgresUrl(SecretKeyReference.fromSecret('s', 'k')), redis: { host: `redis:6379,password=${secret}` } }),
    chart => new PrefectApi(chart, 'api', { uiApiUrl: `https://prefect.example.com/api?token=${secret}` }),
    chart => new PrefectApi(chart, 'api', { uiApiUrl: `https://prefect.example.com/api#access_token=${secret} x` }),
    chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl(`https://prefect.example.com/api?api_key=${secret}`), poolName: 'etl' }),
    chart => new PrefectWorkerPool(chart, 'pool', { connection: PrefectConnection.fromUrl(`https://prefect.example.com/api;password=${secret}`), poolName: 'etl' }),
  ];
  for (const build of cases) {
    const message = synthError(build);
    expect(message).toBeDefined();
    expect(message).not.toContain(secret);
  }
});
