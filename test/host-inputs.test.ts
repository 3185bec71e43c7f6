/**
 * The hosts of the servers the Prefect server connects to (its PostgreSQL database and Redis):
 * host names and IP addresses are accepted; a scheme, port, path, credentials, whitespace or
 * `$(` around a valid host is rejected, naming the prop.
 */
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { PrefectApi, PrefectDatabase, SecretKeyReference } from '../src';
import { inputErrorOf, synthError } from './support/synth';

const RUNS = 100;
const secret = SecretKeyReference.fromSecret;

const SETTERS: Array<{ prop: string; set: (host: string) => (chart: Chart) => unknown }> = [
  {
    prop: 'database.host',
    set: host => chart => new PrefectApi(chart, 'api', {
      database: PrefectDatabase.postgres({ host, user: 'prefect', databaseName: 'prefect', password: secret('pg', 'password') }),
    }),
  },
  {
    prop: 'redis.host',
    set: host => chart => new PrefectApi(chart, 'api', {
      replicas: 2,
      database: PrefectDatabase.postgres({ host: 'pg', user: 'prefect', databaseName: 'prefect', password: secret('pg', 'password') }),
      redis: { host, password: secret('redis', 'password') },
    }),
  },
];


const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/);
const hostName = fc.array(label, { minLength: 1, maxLength: 4 }).map(ls => ls.join('.')).filter(h => !/^[0-9.]+$/.test(h));
const goodHost = fc.oneof(hostName, fc.ipV4(), fc.ipV6());

/** A valid host made invalid: what a user who pastes a URL or an address with a port writes. */
const badHost = fc.tuple(goodHost, fc.constantFrom(
  (h: string) => `postgresql://${h}`, (h: string) => `redis://${h}`, (h: string) => `${h}:5432`, (h: string) => `${h}/prefect`,
  (h: string) => `user:secret@${h}`, (h: string) => ` ${h}`, (h: string) => `${h}\n`, (h: string) => `${h}$(PREFECT_API_KEY)`,
  (h: string) => `[${h}]`, (h: string) => `${h}..`,
)).map(([h, spoil]) => spoil(h)).filter(h => !/^[0-9.]+$/.test(h) || h.split('.').length !== 4);

describe.each(SETTERS)('$prop', ({ prop, set }) => {
  test('host names, IPv4 and IPv6 addresses are accepted', () => {
    fc.assert(fc.property(goodHost, host => {
      expect(synthError(set(host))).toBeUndefined();
    }), { numRuns: RUNS, seed: 51 });
  });

  test('a scheme, port, path, credentials, whitespace or "$(" is rejected, naming the prop', () => {
    fc.assert(fc.property(badHost, host => {
      const message = synthError(set(host));
      expect(inputErrorOf(message)).toEqual({ code: 'HOST', prop });
      expect(message).toContain('is not accepted: a host name');
      expect(message).not.toContain('secret@');
    }), { numRuns: RUNS, seed: 52 });
  });
});
