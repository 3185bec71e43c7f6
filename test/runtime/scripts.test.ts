/**
 * The shell scripts the library emits and the suite runs pass shellcheck, and the Python programs
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

test.each(['minimal', 'production', 'cloud-workers', 'prefect2-agents', 'dask'])('%s: every pool set-up script passes shellcheck', (name) => {
  const scripts = variant(name).filter(o => o.kind === 'ConfigMap' && o.data?.['apply-pool.sh']);
  expect(scripts.length).toBeGreaterThan(0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apply-pool-'));
  for (const cm of scripts) {
    const file = path.join(dir, `${cm.metadata.name}.sh`);
    fs.writeFileSync(file, cm.data['apply-pool.sh']);
    expect(shellcheck(file, 'sh')).toBe('');
  }
});

test.each(['scripts/runtime-setup.sh', 'test/runtime/image/entrypoint.sh', '.ci/run'])('%s passes shellcheck', (file) => {
  expect(shellcheck(path.join(REPOSITORY, file), 'bash')).toBe('');
});

const RUFF = path.join(RUNTIME_HOME, 'lint', 'bin', 'ruff');

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

test('ruff reports a program with an unused import and an undefined name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruff-'));
  const file = path.join(dir, 'broken.py');
  fs.writeFileSync(file, 'import os\nprint(undefined_name)\n');
  const report = ruff(file);
  expect(report).toContain('F401');
  expect(report).toContain('F821');
});
