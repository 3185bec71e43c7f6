/**
 * The shell scripts the library emits and the suite runs pass shellcheck (installed by
 * scripts/runtime-setup.sh).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { variant } from './support/runtime';

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
