import { SINCE } from '../../core/private/prefect-settings';
import { WorkQueue } from '../work-pool';
import { ResolvedPool } from './resolved-pool';
import { POOL_CONFIG_DIRECTORY } from './worker-layout';

/** The file of the pool's ConfigMap that holds its base job template. */
export const BASE_JOB_TEMPLATE_FILE = 'base-job-template.json';
/** The file of the pool's ConfigMap that holds the set-up script. */
export const SET_UP_FILE = 'apply-pool.sh';

/**
 * The pool set-up. `work-pool update` changes only the template, where `create --overwrite`
 * would also unpause the pool and reset its description and limit. A queue's priority can only be
 * set at creation before `prefect api` (3.4.23). Every step is idempotent, so every pod of every
 * rollout runs it; a failure (the API not up yet) fails the init container, which is retried.
 */
export function poolSetUpScript(pool: ResolvedPool, workPoolType: string, withTemplate: boolean): string {
  const name = shellQuote(pool.poolName!);
  const template = `${POOL_CONFIG_DIRECTORY}/${BASE_JOB_TEMPLATE_FILE}`;
  const lines = [
    '#!/bin/sh',
    '# Creates the work pool and its queues, or brings them in line with this file.',
    'set -eu',
    // Every pod of a first rollout creates at once, and all but one fail with "already exists":
    // a create that failed because the pool is there now carries on as an update.
    `if ! prefect work-pool inspect ${name} >/dev/null 2>&1; then`,
    `  prefect work-pool create ${name} --type ${workPoolType}${withTemplate ? ` --base-job-template ${template}` : ''} \\`,
    `    || prefect work-pool inspect ${name} >/dev/null`,
    'fi',
    ...(withTemplate ? [`prefect work-pool update ${name} --base-job-template ${template}`] : []),
    ...pool.queues.flatMap(queue => queueSetUp(pool, queue)),
  ];
  return `${lines.join('\n')}\n`;
}

/** Creates a queue with its priority and limit, or brings an existing one's in line. */
function queueSetUp(pool: ResolvedPool, queue: WorkQueue): string[] {
  const name = shellQuote(queue.name);
  const poolName = shellQuote(pool.poolName!);
  const createOptions = [
    ...(queue.priority !== undefined ? [`--priority ${queue.priority}`] : []),
    ...(queue.concurrencyLimit !== undefined ? [`--limit ${queue.concurrencyLimit}`] : []),
  ].map(o => ` ${o}`).join('');
  const update = queueUpdate(pool, queue, name, poolName);
  return [
    `if prefect work-queue inspect ${name} --pool ${poolName} >/dev/null 2>&1; then`,
    `  ${update}`,
    `elif ! prefect work-queue create ${name} --pool ${poolName}${createOptions}; then`,
    `  prefect work-queue inspect ${name} --pool ${poolName} >/dev/null`,
    `  ${update}`,
    'fi',
  ];
}

/** The command that brings an existing queue's priority and limit in line; `name` and `poolName` quoted. */
function queueUpdate(pool: ResolvedPool, queue: WorkQueue, name: string, poolName: string): string {
  if (pool.version.isAtLeast(SINCE.API_COMMAND)) {
    const body = JSON.stringify({
      ...(queue.priority !== undefined ? { priority: queue.priority } : {}),
      concurrency_limit: queue.concurrencyLimit ?? null,
    });
    const path = `/work_pools/${encodeURIComponent(pool.poolName!)}/queues/${encodeURIComponent(queue.name)}`;
    return `prefect api PATCH ${shellQuote(path)} --data ${shellQuote(body)} >/dev/null`;
  }
  return queue.concurrencyLimit !== undefined
    ? `prefect work-queue set-concurrency-limit ${name} ${queue.concurrencyLimit} --pool ${poolName}`
    : `prefect work-queue clear-concurrency-limit ${name} --pool ${poolName}`;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
