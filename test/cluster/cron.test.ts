/**
 * The library's cron check against the API server's own: generated valid and broken schedules,
 * each sent as a CronJob (server-side dry run) to every control plane. What the API server
 * refuses the library refuses; what it accepts the library accepts, except where the library is
 * stricter on purpose: a time zone in the schedule (which Kubernetes documents as unsupported, the
 * CronJob has a timeZone field) and `@every` under a second (robfig/cron rounds it up to a Job a
 * second).
 */
import * as fc from 'fast-check';
import { cronProblem } from '../../src/core/private/cron';
import { invalidSchedule, validSchedule } from '../support/cron-schedules';
import { clusters, provideNamespaces, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';

/** Schedules the API server takes that the library refuses on purpose. */
const STRICTER = /^(?:(?:CRON_)?TZ=\S+ |@every 0s$)/;

const SCHEDULES = [...new Set([...fc.sample(validSchedule, { numRuns: 400, seed: 5 }), ...fc.sample(invalidSchedule, { numRuns: 400, seed: 6 })])];

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (_version, cluster) => {
  const kube = new KubeClient(cluster);
  beforeAll(() => provideNamespaces(kube, ['cron']));
  afterAll(() => removeAll(kube, [], ['cron']));

  test(`the API server and the library agree on ${SCHEDULES.length} schedules`, async () => {
    const disagreements: string[] = [];
    let refused = 0;
    for (const [i, schedule] of SCHEDULES.entries()) {
      const answer = await kube.request('POST', '/apis/batch/v1/namespaces/cron/cronjobs?dryRun=All', {
        apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: `schedule-${i}` },
        spec: { schedule, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.example.com/c:1' }] } } } } },
      });
      const server = answer.status === 201 ? undefined : answer.body?.message;
      if (answer.status !== 201 && answer.status !== 422) throw new Error(`${JSON.stringify(schedule)}: ${answer.status} ${answer.body?.message}`);
      if (server) refused++;
      const library = cronProblem(schedule);
      if ((server === undefined) !== (library === undefined) && !(server === undefined && STRICTER.test(schedule))) {
        disagreements.push(`${JSON.stringify(schedule)}: API server ${server ?? 'accepts'}; library ${library ?? 'accepts'}`);
      }
    }
    expect(disagreements).toEqual([]);
    // Both kinds were sent, and the stricter cases.
    expect(SCHEDULES.filter(x => STRICTER.test(x)).length).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(30);
    expect(SCHEDULES.length - refused).toBeGreaterThan(100);
  });
});
