/**
 * The runtime suite's kubelet model, and the pool set-up script run with a stand-in `prefect`
 * command: both fast, so they run with the unit tests (shellcheck runs in the runtime suite).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrefectApi, PrefectConnection, PrefectWorkerPool } from '../src';
import { containerArgv, containerEnv, CreateContainerConfigError, expand } from './runtime/support/kubelet';
import { only, synth } from './support/synth';

const pod = { name: 'p-0', namespace: 'ns', uid: 'u', ip: '10.0.0.2', serviceAccountName: 'sa', labels: {}, annotations: {} };

describe('the kubelet model', () => {
  test('expands $(VAR) as Kubernetes does', () => {
    const vars = new Map([['A', 'x'], ['B', '$(A)']]);
    expect(expand('$(A)-$(B)-$(C)', vars)).toBe('x-$(A)-$(C)');
    expect(expand('$$(A) $$ $a $', vars)).toBe('$(A) $ $a $');
    expect(expand('$(A', vars)).toBe('$(A');
  });

  test('expands from earlier variables and Secrets of the pod\'s namespace only, never from the image\'s', () => {
    const container = {
      env: [
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        { name: 'URL', value: 'redis://:$(PASSWORD)@h/$(LATER)' },
        { name: 'FROM_IMAGE', value: '$(PATH)' },
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'LATER', value: 'late' },
      ],
      args: ['run', '$(URL)', '$(PATH)'],
    };
    const env = containerEnv(container, pod, { PATH: '/bin' }, { ns: { s: { k: 'pw' } } }, {}, { host: '10.0.0.1', port: 443 });
    expect(env.kubelet.get('URL')).toBe('redis://:pw@h/$(LATER)');
    expect(env.kubelet.get('FROM_IMAGE')).toBe('$(PATH)');
    expect(env.process.get('PATH')).toBe('/bin');
    expect(env.process.get('NAME')).toBe('p-0');
    expect(env.process.get('KUBERNETES_SERVICE_HOST')).toBe('10.0.0.1');
    expect(containerArgv(container, env.kubelet, { entrypoint: ['tini', '--'], cmd: ['ignored'] })).toEqual(['tini', '--', 'run', 'redis://:pw@h/$(LATER)', '$(PATH)']);
    expect(() => containerEnv(container, { ...pod, namespace: 'other' }, {}, { ns: { s: { k: 'pw' } } }, {}, { host: 'h', port: 1 }))
      .toThrow(CreateContainerConfigError);
  });
});

describe('the pool set-up script', () => {
  const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', {
    connection: PrefectConnection.inCluster(new PrefectApi(chart, 'server')),
    queues: [{ name: 'main', priority: 1 }],
  }));
  const script = only(objects, 'ConfigMap', 'default-worker-pool').data['apply-pool.sh'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apply-pool-'));
  fs.writeFileSync(path.join(dir, 'apply-pool.sh'), script);
  // A `prefect` that logs its calls and answers as the state file says: "down" (the API is not
  // there), "new" (nothing exists; creates succeed), "race" (nothing exists until a create,
  // which fails with "already exists").
  fs.writeFileSync(path.join(dir, 'prefect'), [
    '#!/bin/sh',
    'echo "$*" >> "$STUB/calls"',
    'state=$(cat "$STUB/state")',
    'case "$state:$1 $2" in',
    '  down:*) echo "connection refused" >&2; exit 1 ;;',
    '  *:"work-pool inspect"|*:"work-queue inspect") [ -f "$STUB/created-$1" ] || exit 1 ;;',
    '  race:"work-pool create"|race:"work-queue create") touch "$STUB/created-$1"; echo "already exists" >&2; exit 1 ;;',
    '  *:"work-pool create"|*:"work-queue create") touch "$STUB/created-$1" ;;',
    'esac',
    '',
  ].join('\n'), { mode: 0o755 });

  function run(state: string): { status: number | null; calls: string[] } {
    for (const f of fs.readdirSync(dir).filter(n => n.startsWith('created-') || n === 'calls')) fs.rmSync(path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'state'), state);
    const result = spawnSync('sh', [path.join(dir, 'apply-pool.sh')], { env: { ...process.env, STUB: dir, PATH: `${dir}:${process.env.PATH}` } });
    const calls = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n') : [];
    return { status: result.status, calls: calls.map(c => c.split(' ').slice(0, 2).join(' ')) };
  }

  test('creates the pool and its queue, then brings the template in line', () => {
    expect(run('new')).toEqual({ status: 0, calls: ['work-pool inspect', 'work-pool create', 'work-pool update', 'work-queue inspect', 'work-queue create'] });
  });

  test('carries on as an update when another pod created the pool and queue first', () => {
    expect(run('race')).toEqual({
      status: 0,
      calls: ['work-pool inspect', 'work-pool create', 'work-pool inspect', 'work-pool update', 'work-queue inspect', 'work-queue create', 'work-queue inspect', 'api PATCH'],
    });
  });

  test('fails when the API is not there, so that the init container is retried', () => {
    expect(run('down')).toEqual({ status: 1, calls: ['work-pool inspect', 'work-pool create', 'work-pool inspect'] });
  });
});
