/**
 * Input errors are typed: a stable code, the construct's path, the prop and the value (credentials
 * redacted), both as fields and at the start of the message, where Python callers read them.
 */
import { Chart, Testing } from 'cdk8s';
import { PrefectConnection, PrefectImage, PrefectWorkerPool, ValidationCode } from '../src';

type Json = any;

function thrown(build: () => unknown): Json {
  try {
    build();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}

test('a construct\'s error carries its code, path, prop and redacted value', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'prefect' });
  const error = thrown(() => new PrefectWorkerPool(chart, 'pool', {
    connection: PrefectConnection.fromUrl('https://admin:hunter2@prefect.example.com/api '), poolName: 'etl',
  }));
  expect(error).toBeInstanceOf(Error);
  expect(error.name).toBe('PrefectValidationError');
  expect(error.code).toBe(ValidationCode.URL);
  expect(error.constructPath).toBe('test/pool');
  expect(error.prop).toBe('connection.url');
  expect(error.value).toBe('"https://***@prefect.example.com/api "');
  expect(error.message).toMatch(/^\[URL\] PrefectWorkerPool 'test\/pool': connection\.url "https:\/\/\*\*\*@prefect\.example\.com\/api " is not accepted: an absolute http\(s\) URL/);
  expect(error.message).not.toContain('hunter2');
});

test('a static factory\'s error names the factory where a construct\'s names its path', () => {
  const error = thrown(() => PrefectImage.fromRegistry('prefecthq/prefect:latest', PrefectImage.official().version));
  expect([error.name, error.code, error.constructPath, error.prop]).toEqual(['PrefectValidationError', 'IMAGE', 'PrefectImage.fromRegistry', 'reference']);
  expect(error.message).toMatch(/^\[IMAGE\] PrefectImage\.fromRegistry: reference "prefecthq\/prefect:latest" is not accepted: the image must be pinned/);
});

test('an error found at synth keeps its code in the message cdk8s reports', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'prefect' });
  new PrefectWorkerPool(chart, 'a', { connection: PrefectConnection.fromUrl('https://prefect.example.com/api'), poolName: 'etl', name: 'same' });
  new PrefectWorkerPool(chart, 'b', { connection: PrefectConnection.fromUrl('https://prefect.example.com/api'), poolName: 'other', name: 'same' });
  expect(() => Testing.synth(chart)).toThrow(/\[COLLISION\] PrefectWorkerPool 'test\/b': name "same" is not accepted/);
});

test('every code is its own name, so that it reads the same in every language', () => {
  for (const [member, value] of Object.entries(ValidationCode)) expect(value).toBe(member);
});
