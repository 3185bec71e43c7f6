/**
 * A Kubernetes name derived from a prop the user set is reported against that prop, with that
 * prop's own limit: a pool name whose slug makes the objects' name too long or invalid names
 * poolName (not name, which the user did not set). Namespaces the cluster owns (default, kube-*)
 * are never created or relabelled: the prop that would is rejected with the RESERVED code.
 */
import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { AgentRbac, DaskScratch, PrefectConnection, PrefectImage, PrefectPlatform, PrefectPlatformProps, PrefectWorkerPool } from '../src';
import { inputErrorOf, synthError } from './support/synth';

const RUNS = 100;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');
const pool = (poolName: string, name?: string) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName, name });

test('a pool name whose objects\' name would be too long names poolName and its own limit', () => {
  // The objects are named "<slug>-worker", at most 40 characters: the slug has 33.
  fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9]{33,90}$/), poolName => {
    const message = synthError(pool(poolName));
    expect(inputErrorOf(message)).toEqual({ code: 'TOO_LONG', prop: 'poolName' });
    expect(message).toContain('has at most 33 characters, or set name');
    expect(synthError(pool(poolName, 'etl'))).toBeUndefined();
  }), { numRuns: RUNS });
  expect(synthError(pool('a'.repeat(33)))).toBeUndefined();
});

test('a pool name whose slug starts with a digit names poolName', () => {
  fc.assert(fc.property(fc.stringMatching(/^[0-9][a-z0-9]{0,20}$/), poolName => {
    expect(inputErrorOf(synthError(pool(poolName)))).toEqual({ code: 'FORMAT', prop: 'poolName' });
    expect(synthError(pool(poolName, 'etl'))).toBeUndefined();
  }), { numRuns: RUNS });
});

describe('namespaces the cluster owns are never created or relabelled', () => {
  const RESERVED = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-prefect'];
  const platformError = (props: PrefectPlatformProps) => {
    try {
      Testing.synth(new PrefectPlatform(Testing.app(), 'platform', props));
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };

  test.each(RESERVED)('%s', namespace => {
    expect(inputErrorOf(platformError({ namespace }))).toEqual({ code: 'RESERVED', prop: 'namespace' });
    expect(platformError({ namespace, createNamespaces: false })).toBeUndefined();
    // A kube- namespace is no job namespace at all, so the pool refuses it before the platform would create it.
    expect(inputErrorOf(platformError({ workerPools: [{ poolName: 'etl', jobTemplate: { namespace } }] })))
      .toEqual({ code: 'RESERVED', prop: namespace.startsWith('kube-') ? 'jobTemplate.namespace' : 'workerPools[0].jobTemplate.namespace' });
    const image = PrefectImage.official();
    expect(inputErrorOf(synthError(chart => new DaskScratch(chart, 'dask', { image, namespace })))).toEqual({ code: 'RESERVED', prop: 'namespace' });
  });
});

test('a job namespace of Kubernetes\' own (kube-) is refused wherever job namespaces are given', () => {
  for (const build of [
    (chart: Chart) => new AgentRbac(chart, 'rbac', { jobNamespaces: ['kube-system'] }),
    (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', additionalJobNamespaces: ['kube-system'] }),
    (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate: { namespace: 'kube-system' } }),
  ]) {
    expect(inputErrorOf(synthError(build))?.code).toBe('RESERVED');
  }
  expect(synthError(chart => new AgentRbac(chart, 'rbac', { jobNamespaces: ['default'] }))).toBeUndefined();
});
