import { SINCE } from '../../core/private/prefect-settings';
import { WorkQueue } from '../work-pool';
import { ResolvedPool } from './resolved-pool';
import { POOL_CONFIG_DIRECTORY } from './worker-layout';

/** The file of the pool's ConfigMap that holds its base job template. */
export const BASE_JOB_TEMPLATE_FILE = 'base-job-template.json';
/** The file of the pool's ConfigMap that holds the set-up program. */
export const SET_UP_FILE = 'apply-pool.sh';
/** The file of the pool's ConfigMap that holds what the set-up program applies. */
export const SET_UP_DATA_FILE = 'apply-pool.conf';

/**
 * The data file of the pool set-up program (`programs/apply-pool.sh`, which documents its keys):
 * the pool, its type and template, and each queue with its priority and limit. One value per
 * line, as written: the names can hold no line break (the pool's checks), and nothing here is
 * parsed by a shell. How an existing queue is brought in line depends on the release:
 * `prefect api` (3.4.23) can also change its priority, older releases only its limit.
 */
export function poolSetUpData(pool: ResolvedPool, workPoolType: string, withTemplate: boolean): string {
  const byApi = pool.version.isAtLeast(SINCE.API_COMMAND);
  const lines = [
    `pool ${pool.poolName!}`,
    `type ${workPoolType}`,
    ...(withTemplate ? [`template ${POOL_CONFIG_DIRECTORY}/${BASE_JOB_TEMPLATE_FILE}`] : []),
    `queue-update ${byApi ? 'api' : 'cli'}`,
    ...pool.queues.flatMap(queue => queueLines(pool, queue, byApi)),
  ];
  return `${lines.join('\n')}\n`;
}

function queueLines(pool: ResolvedPool, queue: WorkQueue, byApi: boolean): string[] {
  return [
    `queue ${queue.name}`,
    ...(byApi ? [`queue-path /work_pools/${encodeURIComponent(pool.poolName!)}/queues/${encodeURIComponent(queue.name)}`] : []),
    ...(queue.priority !== undefined ? [`priority ${queue.priority}`] : []),
    ...(queue.concurrencyLimit !== undefined ? [`limit ${queue.concurrencyLimit}`] : []),
  ];
}
