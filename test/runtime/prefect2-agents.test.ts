/**
 * The prefect2-agents variant, run for real on Prefect 2.20.25 and PostgreSQL: the server, the pool
 * set-up of both agents' pods at once, and the agents polling their queues.
 */
import { only } from '../support/synth';
import { startPostgres, BackingService } from './support/backing-services';
import { HOST_IP, Pod } from './support/local-cluster';
import { eventually, PrefectClient, variant } from './support/runtime';
import { Scenario } from './support/scenario';

const DATABASE_HOST = 'postgres.databases.svc.cluster.local';

describe('prefect2-agents, with real Prefect 2.20.25 and PostgreSQL', () => {
  const objects = variant('prefect2-agents');
  const backing: BackingService[] = [];
  let scenario: Scenario;
  let client: PrefectClient;
  const agents: Pod[] = [];

  beforeAll(async () => {
    scenario = await Scenario.start('prefect2-agents', objects, {
      secrets: { prefect: { 'prefect-postgres': { 'connection-url': `postgresql+asyncpg://prefect:runtime-postgres@${DATABASE_HOST}:5432/prefect` } } },
      extraHosts: { [DATABASE_HOST]: HOST_IP },
    });
    backing.push(await startPostgres(scenario.dir, { user: 'prefect', password: 'runtime-postgres', name: 'prefect' }));
  });

  afterAll(async () => {
    await scenario?.stop();
    for (const b of backing) await b.stop();
  });

  test('the server migrates PostgreSQL on start and answers /api/health and /api/ready', async () => {
    ({ client } = await scenario.startServer('Deployment', 'prefect-server'));
    expect(await client.call('GET', '/health')).toBe(true);
    expect((await client.call('GET', '/admin/version'))).toBe('2.20.25');
  });

  test('both agents\' pods set up the pool and its queues at the same moment', async () => {
    for (const name of ['production-agent-prod-main', 'production-agent-prod-secondary']) agents.push(scenario.cluster.podOf(only(objects, 'Deployment', name)));
    const results = await Promise.allSettled(agents.map(a => a.runInitContainers()));
    expect(results.map(r => r.status === 'fulfilled' ? 'ok' : String((r as PromiseRejectedResult).reason))).toEqual(['ok', 'ok']);
    expect((await client.workPool('production')).type).toBe('prefect-agent');
    expect((await client.queues('production')).map(q => q.name).sort()).toEqual(['default', 'prod-main', 'prod-secondary']);
  });

  test('each agent polls its own queue', async () => {
    for (const a of agents) for (const c of a.spec.containers) a.start(c);
    const polled = async (queue: string) => (await client.call('GET', `/work_pools/production/queues/${queue}`)).last_polled;
    for (const queue of ['prod-main', 'prod-secondary']) {
      expect(await eventually(`an agent to poll ${queue}`, async () => (await polled(queue)) ?? undefined, 120)).toEqual(expect.any(String));
    }
    // Nothing polls the queue no agent serves.
    expect(await polled('default')).toBeNull();
    // The agents keep running (they have no health endpoint to probe).
    for (const a of agents) expect(a.containers.filter(c => c.name === 'prefect-agent').map(c => c.process.exitCode)).toEqual([null]);
  });
});
