/**
 * The runtime suite's kubelet model, and the pool set-up program run with a stand-in `prefect`
 * command: both fast, so they run with the unit tests (shellcheck runs in the runtime suite).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrefectApi, PrefectConnection, PrefectWorkerPool, WorkQueue } from '../src';
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

describe('the pool set-up program', () => {
  const setUp = (queues: WorkQueue[], poolName = 'default') => {
    const objects = synth(chart => new PrefectWorkerPool(chart, 'pool', {
      connection: PrefectConnection.inCluster(new PrefectApi(chart, 'server')), poolName, name: 'pool', queues,
    }));
    return only(objects, 'ConfigMap', 'pool-pool').data;
  };
  const data = setUp([{ name: 'main', priority: 1 }]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'apply-pool-'));
  fs.writeFileSync(path.join(dir, 'apply-pool.sh'), data['apply-pool.sh']);
  // A `prefect` that logs its arguments, one per line and a blank line after each call, and
  // answers as the state file says: "down" (the API is not there), "new" (nothing exists; creates
  // succeed), "race" (nothing exists until a create, which fails with "already exists"). What
  // exists (a pool by its name, a queue by its name and pool) stays between runs unless the run
  // starts afresh.
  fs.writeFileSync(path.join(dir, 'prefect'), [
    '#!/bin/sh',
    'printf "%s\\n" "$@" "" >> "$STUB/calls"',
    'state=$(cat "$STUB/state")',
    'key="$1 $3"; if [ "$1" = work-queue ]; then key="$key $5"; fi',
    'made="$STUB/created-$(printf "%s" "$key" | cksum | cut -d " " -f 1)"',
    'case "$state:$1 $2" in',
    '  down:*) echo "connection refused" >&2; exit 1 ;;',
    '  *:"work-pool inspect"|*:"work-queue inspect") [ -f "$made" ] || exit 1 ;;',
    '  race:"work-pool create"|race:"work-queue create") touch "$made"; echo "already exists" >&2; exit 1 ;;',
    '  *:"work-pool create"|*:"work-queue create") touch "$made" ;;',
    'esac',
    '',
  ].join('\n'), { mode: 0o755 });

  /** Runs the program on `conf`; each call as its argument list. */
  function run(state: string, conf = data['apply-pool.conf'], afresh = true): { status: number | null; calls: string[][]; stderr: string } {
    for (const f of fs.readdirSync(dir).filter(n => (afresh && n.startsWith('created-')) || n === 'calls')) fs.rmSync(path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'state'), state);
    fs.writeFileSync(path.join(dir, 'apply-pool.conf'), conf);
    const result = spawnSync('sh', [path.join(dir, 'apply-pool.sh'), path.join(dir, 'apply-pool.conf')],
      { env: { ...process.env, STUB: dir, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
    const log = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8') : '';
    const calls = log.split('\n\n').filter(c => c !== '').map(c => c.replace(/\n$/, '').split('\n'));
    return { status: result.status, calls, stderr: result.stderr };
  }
  const commands = (r: { calls: string[][] }) => r.calls.map(c => c.slice(0, 2).join(' '));

  test('is the program shipped in the package, fed by a data file of the pool', () => {
    expect(data['apply-pool.sh']).toBe(fs.readFileSync(path.join(__dirname, '..', 'src', 'programs', 'apply-pool.sh'), 'utf8'));
    expect(data['apply-pool.conf']).toBe([
      'pool default', 'type kubernetes', 'template /etc/prefect-pool/base-job-template.json', 'queue-update api',
      'queue main', 'queue-path /work_pools/default/queues/main', 'priority 1', '',
    ].join('\n'));
  });

  test('creates the pool and its queue, then brings the template in line', () => {
    const r = run('new');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      ['work-pool', 'inspect', 'default'],
      ['work-pool', 'create', 'default', '--type', 'kubernetes', '--base-job-template', '/etc/prefect-pool/base-job-template.json'],
      ['work-pool', 'update', 'default', '--base-job-template', '/etc/prefect-pool/base-job-template.json'],
      ['work-queue', 'inspect', 'main', '--pool', 'default'],
      ['work-queue', 'create', 'main', '--pool', 'default', '--priority', '1'],
    ]);
  });

  test('run again, creates nothing and brings the template and the queue in line', () => {
    expect(run('new').status).toBe(0);
    const again = run('new', undefined, false);
    expect(again.status).toBe(0);
    expect(again.calls).toEqual([
      ['work-pool', 'inspect', 'default'],
      ['work-pool', 'update', 'default', '--base-job-template', '/etc/prefect-pool/base-job-template.json'],
      ['work-queue', 'inspect', 'main', '--pool', 'default'],
      ['api', 'PATCH', '/work_pools/default/queues/main', '--data', '{"priority":1,"concurrency_limit":null}'],
    ]);
    expect(run('new', undefined, false)).toEqual(again);
  });

  test('carries on as an update when another pod created the pool and queue first', () => {
    const r = run('race');
    expect(r.status).toBe(0);
    expect(commands(r)).toEqual(['work-pool inspect', 'work-pool create', 'work-pool inspect', 'work-pool update', 'work-queue inspect', 'work-queue create', 'work-queue inspect', 'api PATCH']);
  });

  test('fails when the API is not there, so that the init container is retried', () => {
    const r = run('down');
    expect(r.status).toBe(1);
    expect(commands(r)).toEqual(['work-pool inspect', 'work-pool create', 'work-pool inspect']);
  });

  test('passes names with spaces, quotes of the shell and dollar signs to Prefect as they are', () => {
    const conf = setUp([{ name: 'Prod Main', concurrencyLimit: 5 }, { name: '$(x) `y`; z' }], ' my pool $HOME')['apply-pool.conf'];
    const r = run('new', conf);
    expect(r.status).toBe(0);
    expect(r.calls.filter(c => c[1] === 'create').map(c => c.slice(2))).toEqual([
      [' my pool $HOME', '--type', 'kubernetes', '--base-job-template', '/etc/prefect-pool/base-job-template.json'],
      ['Prod Main', '--pool', ' my pool $HOME', '--limit', '5'],
      ['$(x) `y`; z', '--pool', ' my pool $HOME'],
    ]);
    const again = run('new', conf, false);
    expect(again.calls.filter(c => c[0] === 'api').map(c => c.slice(2))).toEqual([
      ['/work_pools/%20my%20pool%20%24HOME/queues/Prod%20Main', '--data', '{"concurrency_limit":5}'],
      ['/work_pools/%20my%20pool%20%24HOME/queues/%24(x)%20%60y%60%3B%20z', '--data', '{"concurrency_limit":null}'],
    ]);
  });

  test('before 3.4.23, brings an existing queue\'s limit in line with the limit commands', () => {
    const conf = 'pool p\ntype process\nqueue-update cli\nqueue a\nlimit 3\nqueue b\n';
    expect(run('new', conf).status).toBe(0);
    expect(run('new', conf, false).calls.slice(1)).toEqual([
      ['work-queue', 'inspect', 'a', '--pool', 'p'], ['work-queue', 'set-concurrency-limit', 'a', '3', '--pool', 'p'],
      ['work-queue', 'inspect', 'b', '--pool', 'p'], ['work-queue', 'clear-concurrency-limit', 'b', '--pool', 'p'],
    ]);
  });

  test('refuses a data file it cannot read, before it calls Prefect', () => {
    expect(run('new', 'pool p\ntype process\nqueue a\nlimits 3\n')).toMatchObject({ status: 2, calls: [], stderr: expect.stringContaining("unknown key 'limits'") });
    expect(run('new', 'queue a\n')).toMatchObject({ status: 2, calls: [], stderr: expect.stringContaining('a pool and its type come before the queues') });
  });
});
