/**
 * No two objects of a chart share kind, namespace and name, whichever constructs make them: the
 * one check every construct of the library installs on its chart.
 */
import { ApiObject, Chart, Testing } from 'cdk8s';
import {
  AgentRbac, DaskScratch, PrefectApi, PrefectConnection, PrefectImage, PrefectVersion, PrefectWorkerPool, QueueDeployments,
} from '../src';

const external = PrefectConnection.fromUrl('https://prefect.example.com/api');
const image = PrefectImage.fromRegistry('registry.example.com/data/flows-dask:2026.11.1', PrefectVersion.V3_8_3);

function chart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'prefect' });
}

describe('two constructs of one chart', () => {
  test('two pools of one name', () => {
    const c = chart();
    new PrefectWorkerPool(c, 'A', { connection: external, poolName: 'etl' });
    new PrefectWorkerPool(c, 'B', { connection: external, poolName: 'etl' });
    expect(() => Testing.synth(c)).toThrow(
      /\[COLLISION\] PrefectWorkerPool 'test\/B': name "etl-worker" is not accepted: a name whose objects no other object of the chart has: ServiceAccount\/prefect\/etl-worker is made by both test\/A and test\/B/);
  });

  test('a per-queue Deployment named like another pool', () => {
    const c = chart();
    new PrefectWorkerPool(c, 'A', { connection: external, poolName: 'etl', queues: [{ name: 'x' }], queueDeployments: QueueDeployments.PER_QUEUE });
    new PrefectWorkerPool(c, 'B', { connection: external, poolName: 'other', name: 'etl-worker-x' });
    expect(() => Testing.synth(c)).toThrow(/\[COLLISION\] PrefectWorkerPool 'test\/B': name "etl-worker-x" is not accepted: .*Deployment\/prefect\/etl-worker-x is made by both test\/A and test\/B/);
  });

  test('two AgentRbacs, also cluster-wide ones', () => {
    const c = chart();
    new AgentRbac(c, 'A');
    new AgentRbac(c, 'B');
    expect(() => Testing.synth(c)).toThrow(/\[COLLISION\] AgentRbac 'test\/B': name "prefect-worker" is not accepted: .*ServiceAccount\/prefect\/prefect-worker is made by both test\/A and test\/B/);
    const wide = chart();
    new AgentRbac(wide, 'A', { clusterWide: true });
    new AgentRbac(wide, 'B', { clusterWide: true });
    // Cluster-scoped objects are named without a namespace.
    expect(() => Testing.synth(wide)).toThrow(/ClusterRole\/prefect-prefect-worker is made by both test\/A and test\/B/);
  });

  test('two DaskScratches', () => {
    const c = chart();
    new DaskScratch(c, 'A', { image });
    new DaskScratch(c, 'B', { image });
    expect(() => Testing.synth(c)).toThrow(/\[COLLISION\] DaskScratch 'test\/B': name "dask" is not accepted: .*ServiceAccount\/prefect\/dask-cleanup is made by both test\/A and test\/B/);
  });

  test('a server and an object of the user\'s own', () => {
    const c = chart();
    new PrefectApi(c, 'Server');
    new ApiObject(c, 'Mine', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'prefect-server' } });
    expect(() => Testing.synth(c)).toThrow(/\[COLLISION\] PrefectApi 'test\/Server': name "prefect-server" is not accepted: .*Service\/prefect\/prefect-server is made by both test\/Server and test\/Mine/);
  });

  test('every clash is reported, each once', () => {
    const c = chart();
    new DaskScratch(c, 'A', { image });
    new DaskScratch(c, 'B', { image });
    let message = '';
    try {
      Testing.synth(c);
    } catch (e) {
      message = String(e);
    }
    // The cleanup's ServiceAccount, ConfigMap and CronJob.
    expect(message.match(/is made by both/g)).toHaveLength(3);
  });
});

describe('objects that only look alike', () => {
  test('one name in two namespaces, or for two kinds, or of two API groups', () => {
    const c = chart();
    new AgentRbac(c, 'A', { name: 'runner' });
    new ApiObject(c, 'Other', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runner', namespace: 'elsewhere' } });
    new ApiObject(c, 'Map', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'runner' } });
    new ApiObject(c, 'Custom', { apiVersion: 'example.com/v1', kind: 'Role', metadata: { name: 'runner' } });
    expect(() => Testing.synth(c)).not.toThrow();
  });

  test('objects of another chart of the app', () => {
    const app = Testing.app();
    new AgentRbac(new Chart(app, 'one', { namespace: 'prefect' }), 'A');
    new AgentRbac(new Chart(app, 'two', { namespace: 'prefect' }), 'A');
    // The check is per chart: each is a file of its own, and an app's charts may go to different clusters.
    expect(() => app.synth()).not.toThrow();
  });
});
