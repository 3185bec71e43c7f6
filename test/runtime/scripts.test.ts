/**
 * The shell programs the library ships and the scripts the suite runs pass shellcheck, and the Python programs
 * the pods run pass ruff (both installed by scripts/runtime-setup.sh).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNTIME_HOME, variant } from './support/runtime';

const REPOSITORY = path.resolve(__dirname, '..', '..');

function shellcheck(file: string, shell: string): string {
  try {
    execFileSync('shellcheck', ['-s', shell, file], { stdio: 'pipe', encoding: 'utf8' });
    return '';
  } catch (e: any) {
    return String(e.stdout || e.message);
  }
}

const APPLY_POOL = path.join(REPOSITORY, 'src', 'programs', 'apply-pool.sh');

test('the pool set-up program passes shellcheck', () => {
  expect(shellcheck(APPLY_POOL, 'sh')).toBe('');
});

test('shellcheck reports a set-up program that expands a name unquoted', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'apply-pool-')), 'apply-pool.sh');
  fs.writeFileSync(file, fs.readFileSync(APPLY_POOL, 'utf8').replace('prefect work-pool create "$pool"', 'prefect work-pool create $pool'));
  expect(shellcheck(file, 'sh')).toContain('SC2086');
});

test.each(['minimal', 'production', 'cloud-workers', 'prefect2-agents', 'dask'])('%s: every pool runs that program', (name) => {
  const pools = variant(name).filter(o => o.kind === 'ConfigMap' && o.data?.['apply-pool.conf']);
  expect(pools.length).toBeGreaterThan(0);
  for (const cm of pools) expect(cm.data['apply-pool.sh']).toBe(fs.readFileSync(APPLY_POOL, 'utf8'));
});

test.each(['scripts/runtime-setup.sh', 'test/runtime/image/entrypoint.sh', '.ci/run'])('%s passes shellcheck', (file) => {
  expect(shellcheck(path.join(REPOSITORY, file), 'bash')).toBe('');
});

const RUFF = path.join(RUNTIME_HOME, 'programs', 'bin', 'ruff');

function ruff(target: string): string {
  try {
    execFileSync(RUFF, ['check', '--no-cache', '--config', path.join(REPOSITORY, 'ruff.toml'), target], { stdio: 'pipe', encoding: 'utf8' });
    return '';
  } catch (e: any) {
    return String(e.stdout || e.message);
  }
}

test('the Python programs the pods run pass ruff', () => {
  const programs = fs.readdirSync(path.join(REPOSITORY, 'src', 'programs')).filter(f => f.endsWith('.py'));
  expect(programs.sort()).toEqual(['cleanup.py', 'dask_scratch.py', 'install-packages.py', 'wait-for-schema.py']);
  expect(ruff(path.join(REPOSITORY, 'src', 'programs'))).toBe('');
});

test('their tests (npm run test:programs) pass ruff', () => {
  expect(ruff(path.join(REPOSITORY, 'test', 'programs'))).toBe('');
});

test('ruff reports a program with an unused import and an undefined name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruff-'));
  const file = path.join(dir, 'broken.py');
  fs.writeFileSync(file, 'import os\nprint(undefined_name)\n');
  const report = ruff(file);
  expect(report).toContain('F401');
  expect(report).toContain('F821');
});
