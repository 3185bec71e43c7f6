/**
 * A pool with pipPackages, run for real: its init container installs with the image's pip from a
 * package index that offers a newer Prefect than the image's (as the public index does), and the
 * worker still runs, and imports, the image's pinned Prefect.
 */
import * as path from 'node:path';
import { App, Testing } from 'cdk8s';
import { EnvironmentVariable, PrefectPlatform } from '../../src';
import { Pod } from './support/local-cluster';
import { environment, RUNTIME_HOME } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

function objects(): Json[] {
  const app = new App();
  const platform = new PrefectPlatform(app, 'pip', {
    workerPools: [{
      poolName: 'kubernetes',
      pipPackages: ['prefect-shell==0.3.7'],
      // The cluster's package index: files on disk here, with no other index.
      env: [
        EnvironmentVariable.fromValue('PIP_NO_INDEX', '1'),
        EnvironmentVariable.fromValue('PIP_FIND_LINKS', path.join(RUNTIME_HOME, 'package-index')),
      ],
    }],
  });
  return Testing.synth(platform);
}

describe('a worker with pipPackages, with real Prefect 3.8.3 and pip', () => {
  const synthesized = objects();
  let scenario: Scenario;
  let worker: Pod;

  beforeAll(async () => {
    scenario = await Scenario.start('pip-packages', synthesized);
  });

  afterAll(async () => {
    await scenario?.stop();
  });

  test('the packages install, and the worker starts and joins its pool', async () => {
    const { client } = await scenario.startServer('StatefulSet', 'prefect-server');
    worker = await scenario.startWorker('kubernetes-worker');
    expect(await client.workerNames('kubernetes', 1)).toEqual([worker.facts.name]);
  });

  test('the worker imports the image\'s Prefect 3.8.3, and the extra package from the volume', async () => {
    const { code, output } = await worker.exec('prefect-worker', ['python', '-c',
      'import json, prefect, prefect_shell; print(json.dumps({"version": prefect.__version__, "prefect": prefect.__file__, "extra": prefect_shell.__file__}))']);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const found = JSON.parse(output.trim().split('\n').pop()!);
    expect(found.version).toBe('3.8.3');
    expect(found.prefect).toBe(path.join(environment(3), 'lib', 'python3.11', 'site-packages', 'prefect', '__init__.py'));
    expect(found.extra.startsWith('/opt/prefect-packages/')).toBe(true);
  });
});
