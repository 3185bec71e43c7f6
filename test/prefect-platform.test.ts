import { Testing } from 'cdk8s';
import {
  IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PlatformServer, PrefectConnection, PrefectDatabase, PrefectImage,
  PrefectIngressOptions, PrefectPlatform, PrefectPlatformProps, PrefectVersion, QueueDeployments, SecretKeyReference, WorkerRuntime,
} from '../src';
import { namespaceOrderProblems, problems } from './support/checks';
import { flowRunJobsOf } from './support/job-template';
import { allowed, podsOf } from './support/network-policies';
import { containerOf, envOf, kinds, only } from './support/synth';

type Json = any;

const INGRESS: PrefectIngressOptions = {
  hosts: ['prefect.example.com'],
  ingressClassName: 'nginx',
  tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt' }),
  accessControl: IngressAccessControl.prefectBasicAuth(SecretKeyReference.fromSecret('prefect-basic-auth', 'auth-string')),
};
const CLOUD = PrefectConnection.cloud({
  accountId: '9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f',
  workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
  apiKey: SecretKeyReference.fromSecret('prefect-cloud', 'api-key'),
});
const FLOWS = PrefectImage.fromRegistry('registry.example.com/flows:1.0.0', PrefectVersion.V3_8_3);

function platform(props: PrefectPlatformProps = {}): PrefectPlatform {
  return new PrefectPlatform(Testing.app(), 'platform', props);
}

describe('PrefectPlatform', () => {
  test('by default: the namespace, a Prefect 3 server on SQLite and its network policies', () => {
    const objects = Testing.synth(platform());
    expect(kinds(objects)).toEqual([
      'Namespace/prefect', 'NetworkPolicy/prefect-default-deny', 'NetworkPolicy/prefect-server-egress', 'NetworkPolicy/prefect-server-ingress',
      'Service/prefect-server', 'ServiceAccount/prefect-server', 'StatefulSet/prefect-server',
    ]);
    expect(objects[0].kind).toBe('Namespace');
    expect(only(objects, 'Namespace').metadata).toEqual({
      name: 'prefect',
      labels: {
        'app.kubernetes.io/name': 'prefect', 'app.kubernetes.io/instance': 'prefect', 'app.kubernetes.io/component': 'namespace',
        'app.kubernetes.io/part-of': 'prefect', 'app.kubernetes.io/managed-by': 'cdk8s-prefect', 'app.kubernetes.io/version': '3.8.3',
        'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.27',
      },
    });
    for (const o of objects.filter(x => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('prefect');
    // Without clients the API admits no one.
    expect(only(objects, 'NetworkPolicy', 'prefect-server-ingress').spec.ingress).toEqual([]);
    expect(problems(objects)).toEqual([]);
  });

  test('reads like the sentence: a server on PostgreSQL from a Secret, at prefect.example.com with TLS, a pool etl with queues high and low', () => {
    const p = platform({
      server: PlatformServer.deploy({ database: PrefectDatabase.postgresUrl(SecretKeyReference.fromSecret('prefect-db', 'connection-url')) }),
      ingress: INGRESS,
      workerPools: [{ poolName: 'etl', queues: [{ name: 'high', priority: 1 }, { name: 'low', priority: 2 }] }],
    });
    const objects = Testing.synth(p);
    expect(problems(objects)).toEqual([]);
    const server = envOf(containerOf(only(objects, 'Deployment', 'prefect-server'), 'prefect-server'));
    expect(server.PREFECT_SERVER_DATABASE_CONNECTION_URL).toBe('secret:prefect-db/connection-url');
    expect(server.PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
    expect(server.PREFECT_SERVER_API_AUTH_STRING).toBe('secret:prefect-basic-auth/auth-string');
    const worker = envOf(containerOf(only(objects, 'Deployment', 'etl-worker'), 'prefect-worker'));
    expect(worker.PREFECT_API_URL).toBe('http://prefect-server.prefect.svc.cluster.local:4200/api');
    expect(worker.PREFECT_API_AUTH_STRING).toBe('secret:prefect-basic-auth/auth-string');
    expect(containerOf(only(objects, 'Deployment', 'etl-worker'), 'prefect-worker').args).toEqual(expect.arrayContaining(['--work-queue', 'high', '--work-queue', 'low']));
    expect(p.ingress?.hosts).toEqual(['prefect.example.com']);
    expect(p.workerPools.map(w => w.poolName)).toEqual(['etl']);
    expect(p.connection.api).toBe(p.api);
  });

  test('a namespace of its own name: every object is in it, and the in-cluster URL names it', () => {
    const p = platform({ namespace: 'data-platform', workerPools: [{ poolName: 'etl' }] });
    const objects = Testing.synth(p);
    expect(p.namespaceName).toBe('data-platform');
    expect(only(objects, 'Namespace').metadata.name).toBe('data-platform');
    for (const o of objects.filter(x => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('data-platform');
    expect(p.api!.serviceUrl).toBe('http://prefect-server.data-platform.svc.cluster.local:4200/api');
    expect(problems(objects)).toEqual([]);
  });

  test('job namespaces are created once, before what they hold, also for pools added later; additional job namespaces never', () => {
    const p = platform({ workerPools: [{ poolName: 'etl', jobTemplate: { namespace: 'prefect-runs' } }] });
    p.addWorkerPool({ poolName: 'reports', jobTemplate: { namespace: 'prefect-runs' } });
    p.addWorkerPool({ poolName: 'ml', jobTemplate: { namespace: 'ml-runs' }, additionalJobNamespaces: ['team-a'] });
    const objects = Testing.synth(p);
    expect(objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['prefect', 'prefect-runs', 'ml-runs']);
    expect(objects.slice(0, 3).map(o => o.kind)).toEqual(['Namespace', 'Namespace', 'Namespace']);
    expect(namespaceOrderProblems(objects)).toEqual([]);
    expect(objects.filter(o => o.kind === 'Role').map(o => `${o.metadata.namespace}/${o.metadata.name}`))
      .toEqual(['prefect-runs/etl-worker', 'prefect-runs/reports-worker', 'ml-runs/ml-worker', 'team-a/ml-worker']);
    expect(problems(objects)).toEqual([]);
  });

  test('createNamespaces: false creates none but the dedicated Dask namespace, which is the DaskScratch\'s', () => {
    const objects = Testing.synth(platform({ createNamespaces: false, workerPools: [{ poolName: 'etl', jobTemplate: { namespace: 'prefect-runs' } }] }));
    expect(objects.filter(o => o.kind === 'Namespace')).toEqual([]);
    expect(objects.filter(o => o.kind === 'Role').map(o => o.metadata.namespace)).toEqual(['prefect-runs']);
    const withDask = Testing.synth(platform({
      createNamespaces: false, dask: { image: FLOWS, namespace: 'dask-scratch' }, workerPools: [{ poolName: 'dask', jobTemplate: { image: FLOWS }, useDask: true }],
    }));
    expect(withDask.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['dask-scratch']);
  });

  test('a namespace where a pool launches pods made elsewhere enforces "baseline" and warns and audits "restricted"', () => {
    const p = platform({
      server: PlatformServer.deploy({ image: PrefectImage.official({ version: PrefectVersion.V2_20_25 }) }),
      workerPools: [{ poolName: 'etl', jobTemplate: { namespace: 'prefect-runs' } }],
    });
    const restricted = {
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.27',
    };
    const podSecurity = (o: Json) => Object.fromEntries(Object.entries(o.metadata.labels).filter(([k]) => k.startsWith('pod-security.')));
    let namespaces = Testing.synth(p).filter(o => o.kind === 'Namespace');
    expect(namespaces.map(podSecurity)).toEqual([restricted, restricted]);
    // A Prefect 2 agent runs KubernetesJob blocks, whose pods are not this library's, in its own
    // namespace; added after the namespace exists, it still lowers it.
    p.addWorkerPool({ poolName: 'legacy', runtime: WorkerRuntime.prefect2Agent() });
    namespaces = Testing.synth(p).filter(o => o.kind === 'Namespace');
    expect(namespaces.map(podSecurity)).toEqual([{
      'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.27',
      'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'v1.27',
      'pod-security.kubernetes.io/audit': 'restricted', 'pod-security.kubernetes.io/audit-version': 'v1.27',
    }, restricted]);
  });

  test('a pool whose template is managed elsewhere lowers its job namespaces too, also one a later pool creates', () => {
    const objects = Testing.synth(platform({ workerPools: [{ poolName: 'etl', managePool: false }] }));
    expect(only(objects, 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    const later = Testing.synth(platform({
      workerPools: [{ poolName: 'legacy', managePool: false, additionalJobNamespaces: ['shared-runs'] }, { poolName: 'etl', jobTemplate: { namespace: 'shared-runs' } }],
    }));
    expect(only(later, 'Namespace', 'shared-runs').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test('pools and the ingress added after construction are covered by the network policies', () => {
    const p = platform();
    const pool = p.addWorkerPool({ poolName: 'etl', jobTemplate: { namespace: 'prefect-runs' } });
    const ingress = p.addIngress(INGRESS);
    expect(p.workerPools).toEqual([pool]);
    expect(p.ingress).toBe(ingress);
    const objects = Testing.synth(p);
    expect(problems(objects)).toEqual([]);
    expect(envOf(containerOf(only(objects, 'StatefulSet', 'prefect-server'), 'prefect-server')).PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
    const policies = objects.filter(o => o.kind === 'NetworkPolicy');
    expect(policies.map(o => `${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      'prefect-runs/etl-worker-flow-runs', 'prefect-runs/prefect-default-deny',
      'prefect/etl-worker-egress', 'prefect/prefect-default-deny', 'prefect/prefect-server-egress', 'prefect/prefect-server-ingress',
    ]);
    const pods = podsOf(objects);
    const server = pods.find(e => e.id === 'StatefulSet/prefect-server')!;
    const worker = pods.find(e => e.id === 'Deployment/etl-worker')!;
    const controller = { id: 'ingress-controller', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
    const bystander = { id: 'bystander', namespace: 'prefect', labels: { app: 'other' } };
    const api = { port: 4200, protocol: 'TCP' as const };
    expect(allowed(policies, worker, server, api)).toBe(true);
    expect(allowed(policies, controller, server, api)).toBe(true);
    expect(allowed(policies, bystander, server, api)).toBe(false);
  });

  test('NetworkIsolation.defaultDeny passes its options on; NetworkIsolation.none() emits no policy', () => {
    const narrowed = Testing.synth(platform({
      workerPools: [{ poolName: 'etl' }],
      networkPolicies: NetworkIsolation.defaultDeny({ kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [6443]) }),
    }));
    expect(only(narrowed, 'NetworkPolicy', 'etl-worker-egress').spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '10.0.0.0/24' } }], ports: [{ port: 6443, protocol: 'TCP' }],
    });
    const open = platform({ workerPools: [{ poolName: 'etl' }], networkPolicies: NetworkIsolation.none() });
    expect(open.networkPolicies).toBeUndefined();
    expect(Testing.synth(open).filter(o => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('an external server: workers only, and the namespace takes the release of the first pool', () => {
    const p = platform({
      server: PlatformServer.external(CLOUD),
      workerPools: [{ poolName: 'k8s', image: PrefectImage.official({ version: PrefectVersion.of('3.4.23') }) }],
    });
    const objects = Testing.synth(p);
    expect(p.api).toBeUndefined();
    expect(objects.filter(o => ['StatefulSet', 'Service'].includes(o.kind))).toEqual([]);
    expect(only(objects, 'Namespace').metadata.labels['app.kubernetes.io/version']).toBe('3.4.23');
    expect(envOf(containerOf(only(objects, 'Deployment', 'k8s-worker'), 'prefect-worker')).PREFECT_API_URL)
      .toBe('https://api.prefect.cloud/api/accounts/9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f/workspaces/4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8');
    expect(problems(objects)).toEqual([]);
  });

  test('the server of another platform: its policies admit this platform\'s workers', () => {
    const app = Testing.app();
    const server = new PrefectPlatform(app, 'server');
    const workers = new PrefectPlatform(app, 'workers', {
      namespace: 'prefect-workers',
      server: PlatformServer.external(PrefectConnection.inCluster(server.api!)),
      workerPools: [{ poolName: 'etl' }],
    });
    const serverObjects = Testing.synth(server);
    const workerObjects = Testing.synth(workers);
    const worker = podsOf(workerObjects).find(e => e.id === 'Deployment/etl-worker')!;
    const api = podsOf(serverObjects).find(e => e.id === 'StatefulSet/prefect-server')!;
    const policies = [...serverObjects, ...workerObjects].filter(o => o.kind === 'NetworkPolicy');
    expect(allowed(policies, worker, api, { port: 4200, protocol: 'TCP' })).toBe(true);
    expect(envOf(containerOf(only(workerObjects, 'Deployment', 'etl-worker'), 'prefect-worker')).PREFECT_API_URL)
      .toBe('http://prefect-server.prefect.svc.cluster.local:4200/api');
  });

  test('dask: pools with useDask run their flows under the client ServiceAccount; the clusters get their namespace', () => {
    const p = platform({
      dask: { image: FLOWS, namespace: 'dask-scratch' },
      workerPools: [{ poolName: 'dask', jobTemplate: { image: FLOWS }, useDask: true }, { poolName: 'plain' }],
    });
    const objects = Testing.synth(p);
    expect(problems([...objects, ...flowRunJobsOf(p)])).toEqual([]);
    expect(objects.filter(o => o.kind === 'Namespace').map(o => o.metadata.name)).toEqual(['prefect', 'dask-scratch']);
    const [dask, plain] = p.workerPools;
    const variables = (pool: typeof dask) => (pool.baseJobTemplate as Json).variables.properties;
    expect(variables(dask).service_account_name.default).toBe('dask-worker-dask');
    expect(variables(plain).service_account_name.default).toBeUndefined();
    expect(p.dask?.namespace).toBe('dask-scratch');
    expect(objects.filter(o => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'dask-scratch').map(o => o.metadata.name).sort())
      .toEqual(['dask-cleanup', 'dask-schedulers', 'dask-workers', 'prefect-default-deny']);
  });

  test('labels go on every object', () => {
    const objects = Testing.synth(platform({ labels: { team: 'data' }, workerPools: [{ poolName: 'etl' }] }));
    for (const o of objects) expect(o.metadata.labels.team).toBe('data');
  });

  describe('rejects', () => {
    test('an invalid namespace', () => {
      expect(() => platform({ namespace: 'Prefect' })).toThrow(/PrefectPlatform 'platform': namespace "Prefect" is not accepted: a namespace name/);
    });

    test('invalid labels, and labels the constructs set', () => {
      expect(() => platform({ labels: { 'bad key!': 'x' } })).toThrow(/PrefectPlatform 'platform': labels "bad key!" is not accepted/);
      expect(() => platform({ labels: { team: 'not a value' } })).toThrow(/PrefectPlatform 'platform': labels\[team\] "not a value" is not accepted/);
      expect(() => platform({ labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } }))
        .toThrow(/PrefectPlatform 'platform': labels "pod-security.kubernetes.io\/enforce" is not accepted: keys outside app.kubernetes.io\/ and pod-security.kubernetes.io\/, which the constructs set/);
      expect(() => platform({ labels: { 'app.kubernetes.io/part-of': 'data' } })).toThrow(/labels "app.kubernetes.io\/part-of" is not accepted/);
    });

    test('an ingress in front of an external server', () => {
      expect(() => platform({ server: PlatformServer.external(CLOUD), ingress: INGRESS, workerPools: [{ poolName: 'k8s' }] }))
        .toThrow(/PrefectPlatform 'platform': ingress "prefect.example.com" is not accepted: unset unless the platform deploys its server \(PlatformServer.deploy\(\)\)/);
      const p = platform({ server: PlatformServer.external(CLOUD), workerPools: [{ poolName: 'k8s' }] });
      expect(() => p.addIngress(INGRESS)).toThrow(/ingress "prefect.example.com" is not accepted: unset unless the platform deploys its server/);
    });

    test('a second ingress', () => {
      const p = platform({ ingress: INGRESS });
      expect(() => p.addIngress(INGRESS)).toThrow(/PrefectApi 'platform\/Server': exposeViaIngress "prefect.example.com" is not accepted: one ingress per server/);
    });

    test('two pools of one name, of one work pool, or with one object name', () => {
      expect(() => platform({ workerPools: [{ poolName: 'etl' }, { poolName: 'etl' }] }))
        .toThrow(/PrefectPlatform 'platform': workerPools\[1\] "etl" is not accepted: a pool whose name, or unset its poolName, differs from every other pool's \(platform\/WorkerPools\/etl has it\)/);
      const p = platform({ workerPools: [{ poolName: 'etl' }] });
      expect(() => p.addWorkerPool({ name: 'etl' })).toThrow(/addWorkerPool "etl" is not accepted: a pool whose name, or unset its poolName, differs/);
      // Two Deployments would each apply their own template to the one work pool.
      expect(() => platform({ workerPools: [{ poolName: 'etl' }, { poolName: 'etl', name: 'etl-big' }] }))
        .toThrow(/PrefectPlatform 'platform': workerPools\[1\].poolName "etl" is not accepted: a work pool no other pool of the platform serves \(platform\/WorkerPools\/etl does\)/);
      expect(() => platform({ workerPools: [{ poolName: 'etl' }, { poolName: 'other', name: 'etl-worker' }] }))
        .toThrow(/PrefectPlatform 'platform': workerPools\[1\].name "etl-worker" is not accepted: a name no other pool's objects have \(platform\/WorkerPools\/etl has it\)/);
    });

    test('a per-queue Deployment named like another pool\'s', () => {
      expect(() => Testing.synth(platform({
        workerPools: [{ poolName: 'etl', queues: [{ name: 'x' }], queueDeployments: QueueDeployments.PER_QUEUE }, { poolName: 'other', name: 'etl-worker-x' }],
      }))).toThrow(/PrefectPlatform 'platform': workerPools "platform\/WorkerPools\/etl-worker-x" is not accepted: parts whose objects have names of their own: Deployment\/prefect\/etl-worker-x is made by both platform\/WorkerPools\/etl and platform\/WorkerPools\/etl-worker-x/);
    });

    test('pool names that are the names of the platform\'s parts', () => {
      const objects = Testing.synth(platform({ workerPools: [{ poolName: 'Server' }, { poolName: 'NetworkPolicies' }, { poolName: 'Namespaces' }] }));
      expect(objects.filter(o => o.kind === 'Deployment').map(o => o.metadata.name)).toEqual(['server-worker', 'networkpolicies-worker', 'namespaces-worker']);
    });

    test('useDask without dask', () => {
      expect(() => platform({ workerPools: [{ poolName: 'etl', useDask: true }] }))
        .toThrow(/PrefectPlatform 'platform': workerPools\[0\].useDask true is not accepted: false unless the platform has dask/);
    });

    test('dask that no pool uses', () => {
      expect(() => Testing.synth(platform({ dask: { image: FLOWS }, workerPools: [{ poolName: 'etl' }] })))
        .toThrow(/PrefectPlatform 'platform': dask "platform\/Dask" is not accepted: unset, or used by a pool \(useDask: true\)/);
    });

    test('a Dask namespace that is the platform\'s or a pool\'s job namespace', () => {
      for (const createNamespaces of [true, false]) {
        expect(() => platform({ createNamespaces, dask: { image: FLOWS, namespace: 'prefect' } }))
          .toThrow(/PrefectPlatform 'platform': dask.namespace "prefect" is not accepted: a namespace other than the platform's \(prefect\)/);
      }
      const scratch = { image: FLOWS, namespace: 'scratch' };
      expect(() => platform({ dask: scratch, workerPools: [{ poolName: 'etl', jobTemplate: { namespace: 'scratch' } }] }))
        .toThrow(/PrefectPlatform 'platform': workerPools\[0\].jobTemplate.namespace "scratch" is not accepted: a namespace other than the Dask clusters' \(scratch\)/);
      // Also a pool that does not use Dask, and an additional job namespace.
      expect(() => platform({ dask: scratch, workerPools: [{ poolName: 'etl', additionalJobNamespaces: ['scratch'] }] }))
        .toThrow(/workerPools\[0\].jobTemplate.namespace "scratch" is not accepted/);
    });

    test('an external server without pools', () => {
      expect(() => Testing.synth(platform({ server: PlatformServer.external(CLOUD) })))
        .toThrow(/PrefectPlatform 'platform': workerPools "\(none\)" is not accepted: at least one pool \(workerPools, addWorkerPool\) when the server is external/);
    });

    test('errors of the parts name the part', () => {
      expect(() => platform({ workerPools: [{ poolName: 'etl', replicas: 0 }] })).toThrow(/PrefectWorkerPool 'platform\/WorkerPools\/etl': replicas 0 is not accepted/);
      expect(() => platform({ networkPolicies: NetworkIsolation.defaultDeny({ dnsPort: 0 }) }))
        .toThrow(/PrefectNetworkPolicies 'platform\/NetworkPolicies': dnsPort 0 is not accepted/);
    });
  });
});
