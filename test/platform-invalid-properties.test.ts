/**
 * Property suite: random invalid configurations — a random valid platform with one rule broken —
 * are each rejected at synth time (in the constructor or by validation) with an input error that
 * names the construct path, the prop and what is accepted; none crashes with a TypeError or the
 * like, and none produces output. A failure prints its seed and path: `PROPERTY_SEED=<seed>
 * PROPERTY_PATH=<path> npx jest test/platform-invalid-properties` replays it.
 */
import { Duration, Size, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import {
  EnvironmentVariable, IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PlatformServer, PrefectConnection,
  PrefectDatabase, PrefectPlatform, PrefectPlatformProps, PrefectPlatformWorkerPoolOptions, QueueDeployments, SecretKeyReference, ValidationCode,
} from '../src';
import { PlatformCase, platformCase, propertyParameters } from './support/arbitraries';

type Json = any;

/** One broken rule: the props that break it, and the prop and code the error must name. */
interface Breakage {
  readonly props: PrefectPlatformProps;
  readonly prop: string;
  readonly code: ValidationCode;
}

const deployed = (c: PlatformCase) => c.parts.apiProps !== undefined;
const apiProps = (c: PlatformCase) => c.parts.apiProps ?? {};
const pools = (c: PlatformCase): PrefectPlatformWorkerPoolOptions[] => [...(c.props.workerPools ?? [])];
/** The first pool, changed; a platform without pools gets one. */
const withPool = (c: PlatformCase, change: (p: PrefectPlatformWorkerPoolOptions) => PrefectPlatformWorkerPoolOptions): PrefectPlatformProps => {
  const [first, ...rest] = pools(c).length > 0 ? pools(c) : [{ poolName: 'extra' }];
  return { ...c.props, workerPools: [change(first), ...rest] };
};
const isAgent1 = (p: PrefectPlatformWorkerPoolOptions) => p.poolName === undefined;
const kubernetesWorker = (p: PrefectPlatformWorkerPoolOptions) => !isAgent1(p) && p.runtime === undefined && p.type !== 'process' && p.managePool !== false;

/** Ways to break one rule of a valid configuration (undefined where the rule does not apply). */
const BREAKAGES: Array<[string, (c: PlatformCase) => Breakage | undefined]> = [
  ['an invalid namespace', c => ({ props: { ...c.props, namespace: 'Data_Platform' }, prop: 'namespace', code: ValidationCode.FORMAT })],
  ['a label the constructs set', c => ({ props: { ...c.props, labels: { 'app.kubernetes.io/part-of': 'mine' } }, prop: 'labels', code: ValidationCode.RESERVED })],
  ['a label value that is none', c => ({ props: { ...c.props, labels: { team: 'data team' } }, prop: 'labels[team]', code: ValidationCode.FORMAT })],
  ['no worker pod', c => ({ props: withPool(c, p => ({ ...p, replicas: 0 })), prop: 'replicas', code: ValidationCode.QUANTITY })],
  ['a negative limit', c => (pools(c).some(isAgent1) || pools(c)[0]?.runtime ? undefined : { props: withPool(c, p => ({ ...p, limit: -1 })), prop: 'limit', code: ValidationCode.QUANTITY })],
  ['two pools of one work pool', c => (pools(c).length === 0 || isAgent1(pools(c)[0]) ? undefined
    : { props: { ...c.props, workerPools: [...pools(c), { ...pools(c)[0], name: 'another-pool' }] }, prop: 'poolName', code: ValidationCode.COLLISION })],
  ['a Kubernetes name too long', c => ({ props: withPool(c, p => ({ ...p, name: 'x'.repeat(50) })), prop: 'name', code: ValidationCode.TOO_LONG })],
  ['an unknown time zone', c => ({ props: withPool(c, p => ({ ...p, timeZone: 'Mars/Olympus_Mons' })), prop: 'timeZone', code: ValidationCode.FORMAT })],
  ['a variable the construct sets', c => ({ props: withPool(c, p => ({ ...p, env: [EnvironmentVariable.fromValue('PREFECT_API_URL', 'http://x/api')] })), prop: 'env', code: ValidationCode.RESERVED })],
  ['resources without a memory limit', c => ({ props: withPool(c, p => ({ ...p, resources: { memory: { request: Size.mebibytes(256) } } })), prop: 'resources', code: ValidationCode.REQUIRED })],
  ['a queue twice', c => (pools(c).length === 0 || isAgent1(pools(c)[0]) ? undefined
    : { props: withPool(c, p => ({ ...p, queues: [{ name: 'q' }, { name: 'q' }] })), prop: 'queues', code: ValidationCode.DUPLICATE })],
  // The Prefect 1 agent takes no pip packages at all.
  ['a pip requirement that is none', c => (pools(c).length > 0 && isAgent1(pools(c)[0]) ? undefined
    : { props: withPool(c, p => ({ ...p, pipPackages: ['not a requirement!'] })), prop: 'pipPackages', code: ValidationCode.FORMAT })],
  ['a relative config file path', c => ({ props: withPool(c, p => ({ ...p, configFiles: [{ path: 'krb5.conf', content: 'x' }] })), prop: 'configFiles', code: ValidationCode.PATH })],
  ['a finished-Job TTL that is not whole seconds', c => (pools(c).length === 0 || !kubernetesWorker(pools(c)[0]) ? undefined
    : { props: withPool(c, p => ({ ...p, jobTemplate: { ...p.jobTemplate, finishedJobTtl: Duration.millis(1500) } })), prop: 'jobTemplate.finishedJobTtl', code: ValidationCode.QUANTITY })],
  ['a job template for a process pool', c => (pools(c).length === 0 || pools(c)[0].type !== 'process'
    ? undefined : { props: withPool(c, p => ({ ...p, jobTemplate: { namespace: 'runs' } })), prop: 'jobTemplate', code: ValidationCode.CONFLICT })],
  ['Dask without a DaskScratch', c => (c.props.dask ? undefined : { props: withPool(c, p => ({ ...p, useDask: true })), prop: 'useDask', code: ValidationCode.CONFLICT })],
  ['the Dask namespace the platform\'s', c => (!c.props.dask ? undefined
    : { props: { ...c.props, dask: { ...c.props.dask, namespace: c.props.namespace ?? 'prefect' } }, prop: 'dask.namespace', code: ValidationCode.PLACEMENT })],
  ['two SQLite pods', c => (!deployed(c) || apiProps(c).database?.isSqlite === false ? undefined
    : { props: { ...c.props, server: PlatformServer.deploy({ ...apiProps(c), database: PrefectDatabase.sqlite(), replicas: 2, redis: { host: 'redis' } }) }, prop: 'replicas', code: ValidationCode.CONFLICT })],
  ['a privileged server port', c => (!deployed(c) ? undefined : { props: { ...c.props, server: PlatformServer.deploy({ ...apiProps(c), port: 80 }) }, prop: 'port', code: ValidationCode.QUANTITY })],
  ['a server time zone that is none', c => (!deployed(c) ? undefined
    : { props: { ...c.props, server: PlatformServer.deploy({ ...apiProps(c), timeZone: 'Europe/Atlantis' }) }, prop: 'timeZone', code: ValidationCode.FORMAT })],
  ['a host that is none', c => (!deployed(c) ? undefined
    : { props: { ...c.props, ingress: { hosts: ['not a host'], tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none(), ingressClassName: 'nginx' } }, prop: 'hosts', code: ValidationCode.HOST })],
  ['an ingress for an external server', c => (deployed(c) ? undefined
    : { props: { ...c.props, ingress: { hosts: ['prefect.example.com'], tls: IngressTls.fromSecret('tls'), accessControl: IngressAccessControl.none() } }, prop: 'ingress', code: ValidationCode.CONFLICT })],
  ['an external server without pools', c => (deployed(c) ? undefined : { props: { ...c.props, workerPools: [] }, prop: 'workerPools', code: ValidationCode.REQUIRED })],
  ['a Prefect Cloud account that is no UUID', c => ({
    props: {
      // The ids are checked by the pools that connect.
      ...c.props, ingress: undefined, dask: undefined,
      workerPools: [{ poolName: 'extra' }, ...pools(c).filter(p => !isAgent1(p) && p.poolName !== 'extra').map(p => ({ ...p, useDask: undefined, image: undefined }))],
      server: PlatformServer.external(PrefectConnection.cloud({ accountId: 'my-account', workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8', apiKey: SecretKeyReference.fromSecret('k', 'key') })),
    },
    prop: 'connection.accountId', code: ValidationCode.FORMAT,
  })],
  ['a per-queue Deployment named like another pool', c => (pools(c).length === 0 || isAgent1(pools(c)[0]) ? undefined : {
    props: {
      ...c.props,
      workerPools: [
        { ...pools(c)[0], name: 'first', queues: [{ name: 'main' }], queueDeployments: QueueDeployments.PER_QUEUE, managePool: pools(c)[0].managePool },
        ...pools(c).slice(1), { poolName: 'clashing', name: 'first-main' },
      ],
    },
    prop: 'workerPools', code: ValidationCode.COLLISION,
  })],
  ['a DNS port that is none', c => ({ props: { ...c.props, networkPolicies: NetworkIsolation.defaultDeny({ dnsPort: 0 }) }, prop: 'dnsPort', code: ValidationCode.QUANTITY })],
  ['a destination CIDR that is none', c => ({ props: { ...c.props, networkPolicies: NetworkIsolation.defaultDeny({ flowRunEgress: [NetworkDestination.cidr('10.0.0.0/33', [443])] }) }, prop: 'flowRunEgress[0].cidr', code: ValidationCode.FORMAT })],
];

/** The input error a build of `props` fails with, or what went wrong instead. */
function rejection(props: PrefectPlatformProps): { error?: Error; problem?: string } {
  try {
    const objects = Testing.synth(new PrefectPlatform(Testing.app(), 'platform', props));
    return { problem: `accepted, with ${objects.length} objects` };
  } catch (e) {
    // A PrefectValidationError from a constructor, or cdk8s's Error listing the validations' messages.
    if (!(e instanceof Error) || (e.constructor !== Error && e.name !== 'PrefectValidationError')) return { problem: `crashed: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}` };
    return { error: e };
  }
}

const SAMPLE = fc.sample(platformCase, { numRuns: 300, seed: 7 });

test.each(BREAKAGES.map(([name]) => name))('the catalog: %s applies to some valid configurations', (name) => {
  const breakage = BREAKAGES.find(([n]) => n === name)![1];
  expect(SAMPLE.some(c => breakage(c) !== undefined)).toBe(true);
});

test('random invalid platforms are rejected with an error that names the prop (1,000 configurations)', () => {
  const broken = fc.tuple(platformCase, fc.integer({ min: 0, max: BREAKAGES.length - 1 }))
    .map(([c, i]) => ({ c, name: BREAKAGES[i][0], breakage: BREAKAGES[i][1](c) }))
    .filter(b => b.breakage !== undefined)
    .map(b => Object.assign(b, { [fc.toStringMethod]: () => `${b.name} in ${JSON.stringify(b.c.description)}` }));
  fc.assert(fc.property(broken, ({ name, breakage }) => {
    const { error, problem } = rejection(breakage!.props);
    if (problem) throw new Error(`${name}: ${problem}`);
    const message = error!.message;
    // "[<code>] <Construct> '<path>': <prop> <value> is not accepted: <what is>", alone or in cdk8s's list.
    const input = /\[(\w+)\] (\w+) '(platform[^']*)': (\S+) .* is not accepted: \S/.exec(message);
    if (!input) throw new Error(`${name}: not an input error of the platform's constructs: ${message}`);
    if (input[1] !== breakage!.code) throw new Error(`${name}: the error has code ${input[1]}, not ${breakage!.code}: ${message}`);
    if (error!.name === 'PrefectValidationError' && ((error as Json).code !== input[1] || (error as Json).constructPath !== input[3])) {
      throw new Error(`${name}: the error's fields (${(error as Json).code}, ${(error as Json).constructPath}) differ from its message: ${message}`);
    }
    // The prop itself, or one of its parts, as the platform or a pool names it.
    const escaped = breakage!.prop.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (!new RegExp(`^((workerPools\\[\\d+\\]|addWorkerPool)\\.)?${escaped}([.[].*)?$`).test(input[4])) {
      throw new Error(`${name}: the error names ${input[4]}, not ${breakage!.prop}: ${message}`);
    }
  }), propertyParameters(Number(process.env.PROPERTY_RUNS ?? 1000)));
});

test('the rejection check fails what is accepted and what crashes', () => {
  expect(rejection({}).problem).toMatch(/^accepted, with \d+ objects$/);
  const crashing = { workerPools: [{ get poolName(): string { throw new TypeError('a crash inside'); } }] };
  expect(rejection(crashing).problem).toMatch(/^crashed: TypeError/);
});
