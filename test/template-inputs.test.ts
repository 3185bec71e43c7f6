/**
 * What reaches the flow-run pods through the job template: a variable's value with a Prefect
 * placeholder (which the worker would fill in from its own environment, its API key included, or
 * from a block) is rejected with the PLACEHOLDER code; config file paths are absolute, outside the
 * kernel's file systems and the library's own mounts, and not nested in one another (PATH).
 */
import { execFileSync } from 'node:child_process';
import { Chart } from 'cdk8s';
import * as fc from 'fast-check';
import { EnvironmentVariable, PrefectConnection, PrefectWorkerPool } from '../src';
import { inputErrorOf, synth, synthError } from './support/synth';

const RUNS = 100;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');
const withEnv = (value: string) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', {
  connection, poolName: 'etl', jobTemplate: { env: [EnvironmentVariable.fromValue('EXTRA', value)] },
});
const withFiles = (...paths: string[]) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', {
  connection, poolName: 'etl', configFiles: paths.map(path => ({ path, content: 'x' })),
});

const word = fc.stringMatching(/^[a-z0-9 ]{0,10}$/);
/** Placeholders as the worker finds them: names of letters, digits, _ . - [ ] $, spaces around. */
const placeholder = fc.tuple(
  fc.constantFrom('$PREFECT_API_KEY', 'prefect.blocks.secret.db', 'prefect.variables.x', 'name', 'a[0]', 'é'),
  fc.constantFrom('', ' ', '  '), fc.constantFrom('', ' '),
).map(([name, before, after]) => `{{${before}${name}${after}}}`);

describe('jobTemplate.env', () => {
  test('a value with a placeholder is rejected', () => {
    fc.assert(fc.property(word, placeholder, word, (a, p, b) => {
      expect(inputErrorOf(synthError(withEnv(a + p + b)))).toEqual({ code: 'PLACEHOLDER', prop: 'jobTemplate.env[EXTRA]' });
    }), { numRuns: RUNS });
  });

  test('whatever Python reads as a placeholder with the worker\'s own pattern is rejected, annotations included', () => {
    // Python's \s and \w are wider than JavaScript's: the candidates mix both sets' odd members.
    const odd = ['\x1c', '\x1f', '\x85', '\xa0', '\u2028', '\ufeff', '\u0301', '\u0660', ' ', '\t'];
    const candidates = fc.sample(fc.tuple(fc.constantFrom(...odd), fc.constantFrom('$PREFECT_API_KEY', 'x\u0301', '\u0660', 'a b'), fc.constantFrom(...odd))
      .map(([a, name, b]) => `{{${a}${name}${b}}}`), { numRuns: 300, seed: 71 });
    const pattern = String.raw`({{\s*([\w\.\-\[\]$]+)\s*}})`;
    const found: boolean[] = JSON.parse(execFileSync('python3', ['-c',
      `import json, re, sys; p = re.compile(${JSON.stringify(pattern)}); print(json.dumps([bool(p.search(s)) for s in json.load(sys.stdin)]))`],
    { input: JSON.stringify(candidates), encoding: 'utf8' }));
    expect(found.some(f => f)).toBe(true);
    candidates.forEach((value, i) => {
      if (!found[i]) return;
      expect(inputErrorOf(synthError(withEnv(value)))).toEqual({ code: 'PLACEHOLDER', prop: 'jobTemplate.env[EXTRA]' });
      const annotated = (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate: { annotations: { note: value } } });
      expect(inputErrorOf(synthError(annotated))).toEqual({ code: 'PLACEHOLDER', prop: 'jobTemplate.annotations[note]' });
    });
  });

  test('braces that are no placeholder are kept as written', () => {
    fc.assert(fc.property(fc.constantFrom('{{ not one }}', '{ x }', '}}{{', '{{}}', '{{ a b }}'), word, (braces, rest) => {
      const objects = synth(withEnv(braces + rest));
      const template = JSON.parse(objects.find(o => o.kind === 'ConfigMap' && o.data?.['base-job-template.json']).data['base-job-template.json']);
      const env = template.job_configuration.job_manifest.spec.template.spec.containers[0].env;
      expect(env.find((e: { name: string }) => e.name === 'EXTRA').value).toBe(braces + rest);
    }), { numRuns: 20 });
  });
});

describe('configFiles', () => {
  const name = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
  test('a path in or above a system directory or a mount of the library is rejected', () => {
    const base = fc.constantFrom('/proc', '/sys', '/dev', '/tmp', '/home/prefect', '/etc/prefect-pool', '/opt/prefect-packages', '/etc/dask-scratch',
      '/var/run/secrets', '/run/secrets/kubernetes.io');
    const inOrAbove = fc.oneof(
      fc.tuple(base, name).map(([b, n]) => `${b}/${n}`),
      base,
      base.map(b => b.slice(0, b.lastIndexOf('/')) || b),
    );
    fc.assert(fc.property(inOrAbove, path => {
      expect(inputErrorOf(synthError(withFiles(path)))).toEqual({ code: 'PATH', prop: 'configFiles' });
    }), { numRuns: RUNS });
  });

  test('a path nested in another file\'s is rejected; files side by side are not', () => {
    fc.assert(fc.property(name, name, (a, b) => {
      expect(inputErrorOf(synthError(withFiles(`/etc/${a}`, `/etc/${a}/${b}`)))).toEqual({ code: 'PATH', prop: 'configFiles' });
      expect(inputErrorOf(synthError(withFiles(`/etc/${a}/${b}`, `/etc/${a}`)))).toEqual({ code: 'PATH', prop: 'configFiles' });
      if (a !== b) expect(synthError(withFiles(`/etc/app/${a}`, `/etc/app/${b}`))).toBeUndefined();
    }), { numRuns: RUNS });
  });

  test('a relative path, or one with . or .., is rejected', () => {
    for (const path of ['krb5.conf', '/etc/../passwd', '/etc/./krb5.conf', '/etc/krb5 conf']) {
      expect(inputErrorOf(synthError(withFiles(path)))).toEqual({ code: 'PATH', prop: 'configFiles' });
    }
  });
});
