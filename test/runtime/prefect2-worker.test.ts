/**
 * A Prefect 2.20.25 kubernetes worker's flow run, run for real: Prefect 2 runs a deployment's pull
 * steps in the container's working directory, so the `git_clone` of its code must find a writable
 * one in the Job the real prefect-kubernetes 0.3.11 worker renders.
 */
import { App, Duration, Testing } from 'cdk8s';
import { PlatformServer, PrefectImage, PrefectPlatform, PrefectVersion } from '../../src';
import { finalState, flowRepository, jobProblems, runFromGit, runJobPod } from './support/flow-runs';
import { PrefectClient } from './support/runtime';
import { Scenario } from './support/scenario';

type Json = any;

function objects(): Json[] {
  const image = PrefectImage.official({ version: PrefectVersion.V2_20_25, pythonVersion: '3.11' });
  const platform = new PrefectPlatform(new App(), 'prefect2-worker', {
    server: PlatformServer.deploy({ image }),
    // Polled often, to keep the scenario short.
    workerPools: [{ poolName: 'kubernetes', image, queryInterval: Duration.seconds(2) }],
  });
  return Testing.synth(platform);
}

describe('a Prefect 2.20.25 kubernetes worker, with real Prefect and prefect-kubernetes', () => {
  const synthesized = objects();
  let scenario: Scenario;
  let client: PrefectClient;
  let job: Json;
  let flowRunId: string;

  beforeAll(async () => {
    scenario = await Scenario.start('prefect2-worker', synthesized);
  });

  afterAll(async () => {
    await scenario?.stop();
  });

  test('the worker submits the Job it renders for a deployment with a git_clone pull step', async () => {
    ({ client } = await scenario.startServer('StatefulSet', 'prefect-server'));
    await scenario.startWorker('kubernetes-worker');
    flowRunId = await runFromGit(client, flowRepository(scenario.dir), 'kubernetes');
    job = await scenario.jobFor(flowRunId);
    expect(jobProblems(job, synthesized, scenario.cluster.secrets, scenario.serverEndpoint('StatefulSet', 'prefect-server'))).toEqual([]);
  });

  test('the flow-run pod clones the code into its working directory, and the run is Completed', async () => {
    expect(await runJobPod(scenario.cluster, job)).toEqual({ code: 0, log: '' });
    expect(await finalState(client, flowRunId)).toBe('COMPLETED');
  });
});
