/**
 * A pool with pipPackages, run for real: its init container installs with the image's pip from a
 * package index that offers a newer Prefect than the image's (as the public index does), and the
 * worker still runs, and imports, the image's pinned Prefect.
 */
import * as path from 'node:path';
import { App, Testing } from 'cdk8s';
import { EnvironmentVariable, PrefectPlatform } from '../../src';
import { Pod } from './support/local-cluster';
import { environment, RUNTIME_HOME, workload } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

function objects(): Json[] {
  // The cluster's package index: files on disk here, with no other index.
  const env = [
    EnvironmentVariable.fromValue('PIP_NO_INDEX', '1'),
    EnvironmentVariable.fromValue('PIP_FIND_LINKS', path.join(RUNTIME_HOME, 'package-index')),
  ];
  const platform = new PrefectPlatform(new App(), 'pip', {
    workerPools: [
      { poolName: 'kubernetes', pipPackages: ['prefect-shell==0.3.7'], env },
      // All in the image already: nothing to install.
      { poolName: 'satisfied', pipPackages: ['prefect-kubernetes==0.7.12'], env },
      // Another Prefect than the image's, which the index has.
      { poolName: 'conflict', pipPackages: ['prefect==3.9.1'], env },
    ],
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

  test('a package the image has already installs nothing, and the worker\'s set-up goes on', async () => {
    const pod = scenario.cluster.podOf(workload(synthesized, 'Deployment', 'satisfied-worker'));
    await pod.runInitContainers();
    expect(pod.logOf('install-packages')).toMatch(/Requirement already satisfied: prefect-kubernetes==0\.7\.12/);
  });

  test('a package that needs another version of one of the image\'s fails the install, naming the conflict', async () => {
    const pod = scenario.cluster.podOf(workload(synthesized, 'Deployment', 'conflict-worker'));
    await expect(pod.runInitContainers()).rejects.toThrow(/init container install-packages of conflict-worker-\S+ exited with 1/);
    expect(pod.logOf('install-packages')).toMatch(/The user requested \(constraint\) prefect==3\.8\.3/);
    expect(pod.containers.map(c => c.name)).toEqual(['install-packages']);
  });
});
