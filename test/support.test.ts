/**
 * The checkers the other tests rely on must be able to fail: each is shown a broken object and
 * must name what is wrong.
 */
import { dataSafetyViolations, outputViolations, templatePodViolations } from './support/arbitraries';
import { namespaceOrderProblems } from './support/checks';
import { apiServerRuleErrors, kubernetes127Errors } from './support/kubernetes-schema';
import { allowed, Endpoint } from './support/network-policies';
import { restrictedViolations } from './support/pod-security';
import { danglingReferences } from './support/references';

const restrictedPod = () => ({
  securityContext: { runAsNonRoot: true, runAsUser: 1001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{
    name: 'app',
    image: 'busybox:1.36',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    ports: [{ name: 'http', containerPort: 8080 }],
  }],
});

const deployment = (spec: any = restrictedPod()) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app', namespace: 'ns', labels: { app: 'a' } },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec } },
});

describe('Kubernetes 1.27 schema check', () => {
  test('accepts a valid object', () => {
    expect(kubernetes127Errors(deployment())).toEqual([]);
  });
  test('rejects wrong types and missing required fields', () => {
    const bad: any = deployment();
    bad.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    delete bad.spec.selector;
    const errors = kubernetes127Errors(bad).join('\n');
    expect(errors).toMatch(/containerPort must be integer/);
    expect(errors).toMatch(/spec must have required property selector/);
  });
  test('rejects unknown fields, at any depth', () => {
    const bad: any = deployment();
    bad.spec.template.spec.containers[0].securityContext.runAsRoot = false;
    bad.metadata.label = {};
    expect(kubernetes127Errors(bad)).toEqual([
      'Deployment/app.metadata.label: unknown field',
      'Deployment/app.spec.template.spec.containers[0].securityContext.runAsRoot: unknown field',
    ]);
  });
  test('native sidecars (an init container with restartPolicy Always) only from 1.29, and nothing else newer', () => {
    const withSidecar = (policy: string, where: 'initContainers' | 'containers' = 'initContainers'): any => {
      const d: any = deployment();
      d.spec.template.spec[where] = [{ ...d.spec.template.spec.containers[0], name: 'proxy', ports: [], restartPolicy: policy }];
      if (where === 'containers') d.spec.template.spec.containers = d.spec.template.spec[where];
      return d;
    };
    const field = 'Deployment/app.spec.template.spec.initContainers[0].restartPolicy: unknown field';
    expect(kubernetes127Errors(withSidecar('Always'))).toEqual([field]);
    expect(kubernetes127Errors(withSidecar('Always'), 29)).toEqual([]);
    expect(kubernetes127Errors(withSidecar('OnFailure'), 29)).toEqual([field]);
    expect(kubernetes127Errors(withSidecar('Always', 'containers'), 29)).toEqual(['Deployment/app.spec.template.spec.containers[0].restartPolicy: unknown field']);
  });
  test('rejects API versions 1.27 no longer serves', () => {
    expect(kubernetes127Errors({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' }, spec: {} }))
      .toEqual(['PodDisruptionBudget/x: policy/v1beta1/PodDisruptionBudget is not served by Kubernetes 1.27']);
  });
  test('API server rules: names, labels, container and port names', () => {
    const bad: any = deployment();
    bad.metadata.name = 'App_1';
    bad.metadata.labels = { 'app.kubernetes.io/version': 'not valid!' };
    bad.spec.template.spec.containers[0].ports[0].name = 'much-too-long-port-name';
    expect(apiServerRuleErrors(bad)).toEqual([
      'Deployment/App_1: invalid name',
      'Deployment/App_1: invalid label value app.kubernetes.io/version=not valid!',
      'Deployment/App_1: invalid port name much-too-long-port-name',
    ]);
    expect(apiServerRuleErrors({ kind: 'Namespace', metadata: { name: 'runs', namespace: 'prefect' } })).toEqual(['Namespace/runs: cluster-scoped, but has a namespace']);
    expect(apiServerRuleErrors({ kind: 'StatefulSet', metadata: { name: 'x'.repeat(53) }, spec: { template: { spec: { containers: [] } } } }))
      .toEqual([`StatefulSet/${'x'.repeat(53)}: invalid name`]);
  });
});

describe('Pod Security "restricted" check', () => {
  test('accepts a restricted pod', () => {
    expect(restrictedViolations(restrictedPod())).toEqual([]);
  });
  test('names each violation', () => {
    const pod: any = restrictedPod();
    pod.hostNetwork = true;
    pod.securityContext = {};
    pod.volumes = [{ name: 'host', hostPath: { path: '/' } }];
    pod.containers[0].securityContext = { privileged: true, capabilities: { add: ['SYS_ADMIN'] }, runAsUser: 0 };
    expect(restrictedViolations(pod)).toEqual([
      'host namespaces',
      'volume host: hostPath',
      'volume host: type hostPath is not allowed',
      'container app: privileged',
      'container app: adds capability SYS_ADMIN (baseline)',
      'container app: adds capability SYS_ADMIN',
      'container app: does not drop ALL capabilities',
      'container app: allowPrivilegeEscalation is not false',
      'container app: runAsNonRoot is not true',
      'container app: runAsUser 0',
      'container app: seccomp profile unset',
    ]);
  });
  test('an explicit pod-level runAsNonRoot false fails even when every container sets true', () => {
    const pod: any = restrictedPod();
    pod.securityContext.runAsNonRoot = false;
    pod.containers[0].securityContext.runAsNonRoot = true;
    expect(restrictedViolations(pod)).toEqual(['pod: runAsNonRoot false']);
  });
  test('checks init containers too', () => {
    const pod: any = restrictedPod();
    pod.initContainers = [{ name: 'init', image: 'busybox:1.36' }];
    expect(restrictedViolations(pod)).toEqual([
      'container init: does not drop ALL capabilities',
      'container init: allowPrivilegeEscalation is not false',
    ]);
  });
});

describe('reference check', () => {
  const service = (selector: any, targetPort: any) => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ns' },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort }] },
  });
  test('accepts a Service that selects pods and targets a declared port', () => {
    expect(danglingReferences([deployment(), service({ app: 'a' }, 'http')])).toEqual([]);
  });
  test('finds selectors without pods, undeclared ports and missing volumes', () => {
    const d: any = deployment();
    d.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    expect(danglingReferences([d, service({ app: 'b' }, 'http'), service({ app: 'a' }, 9090)])).toEqual([
      'Service/svc: selects no pods',
      'Service/svc: port http targets 9090, which Deployment/app does not declare',
      'Deployment/app: container app mounts unknown volume data',
    ]);
  });
});

describe('namespace order check', () => {
  test('the order check finds a namespaced object before its Namespace', () => {
    const ns = { kind: 'Namespace', metadata: { name: 'a' } };
    const role = { kind: 'Role', metadata: { name: 'r', namespace: 'a' } };
    expect(namespaceOrderProblems([role, ns])).toEqual(['Role/r comes before Namespace/a']);
    expect(namespaceOrderProblems([ns, role])).toEqual([]);
  });

});

describe('Ingress reference check', () => {
  const ingress = (port: any, name = 'svc') => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'ns' },
    spec: { rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port } } }] } }] },
  });
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'ns' }, spec: { selector: { app: 'a' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } };
  test('accepts backends that name a Service port by number or name', () => {
    expect(danglingReferences([deployment(), service, ingress({ number: 80 })])).toEqual([]);
    expect(danglingReferences([deployment(), service, ingress({ name: 'http' })])).toEqual([]);
  });
  test('finds missing Services and ports', () => {
    expect(danglingReferences([deployment(), service, ingress({ number: 8080 }), ingress({ number: 80 }, 'other')])).toEqual([
      'Ingress/web: backend port 8080 is not a port of Service svc',
      'Ingress/web: backend names missing Service other',
    ]);
  });
});

describe('NetworkPolicy evaluation', () => {
  const web: Endpoint = { id: 'web', namespace: 'ns', labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] };
  const client: Endpoint = { id: 'client', namespace: 'ns', labels: { app: 'client' } };
  const stranger: Endpoint = { id: 'stranger', namespace: 'other', labels: { app: 'client' } };
  const internet: Endpoint = { id: 'internet', ip: '203.0.113.10' };
  const http = { port: 8080, protocol: 'TCP' as const };
  const policy = (spec: any, namespace = 'ns') => ({ kind: 'NetworkPolicy', metadata: { name: 'p', namespace }, spec });

  test('without policies everything is allowed', () => {
    expect(allowed([], client, web, http)).toBe(true);
  });
  test('a policy with no rules isolates the pods it selects, in the directions it lists', () => {
    const deny = policy({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] });
    expect(allowed([deny], client, web, http)).toBe(false);
    expect(allowed([deny], web, client, http)).toBe(true);
  });
  test('rules add up, match pods by namespace and labels, and ports by number or name', () => {
    const policies = [
      policy({ podSelector: {}, policyTypes: ['Ingress'] }),
      policy({ podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }] }),
    ];
    expect(allowed(policies, client, web, http)).toBe(true);
    expect(allowed(policies, client, web, { port: 9090, protocol: 'TCP' })).toBe(false);
    expect(allowed(policies, client, web, { port: 8080, protocol: 'UDP' })).toBe(false);
    expect(allowed(policies, stranger, web, http)).toBe(false);
    expect(allowed(policies, web, client, http)).toBe(false);
  });
  test('namespace selectors and selector expressions', () => {
    const p = policy({
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } }, podSelector: { matchExpressions: [{ key: 'job-name', operator: 'DoesNotExist' }] } }] }],
    });
    expect(allowed([p], stranger, web, http)).toBe(true);
    expect(allowed([p], client, web, http)).toBe(false);
    expect(allowed([p], { ...stranger, labels: { 'job-name': 'x' } }, web, http)).toBe(false);
  });
  test('egress to addresses by CIDR, with exceptions; ipBlock never matches pods', () => {
    const p = policy({ podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24', except: ['203.0.113.128/25'] } }] }] });
    expect(allowed([p], client, internet, http)).toBe(true);
    expect(allowed([p], client, { id: 'x', ip: '203.0.113.200' }, http)).toBe(false);
    expect(allowed([p], client, { id: 'y', ip: '198.51.100.1' }, http)).toBe(false);
    expect(allowed([p], client, web, http)).toBe(false);
  });
});

describe('property-suite checks', () => {
  const container = (env: any[]) => ({ name: 'c', image: 'i:1', env });
  const workload = (kind: string, name: string, component: string, spec: any, env: any[] = []) => ({
    apiVersion: 'apps/v1', kind, metadata: { name, namespace: 'p', labels: { 'app.kubernetes.io/component': component } },
    spec: { ...spec, template: { spec: { containers: [container(env)] } } },
  });

  test('names, Secrets, cluster-wide RBAC and credentials written out', () => {
    expect(outputViolations([
      { kind: 'Service', metadata: { name: 'Prefect_Server' } },
      { kind: 'Secret', metadata: { name: 'creds' } },
      { kind: 'ClusterRole', metadata: { name: 'all' } },
      workload('Deployment', 'w', 'worker', {}, [{ name: 'PREFECT_API_KEY', value: 'pnu_123' }, { name: 'PREFECT_API_AUTH_STRING', valueFrom: { secretKeyRef: { name: 'a', key: 'b' } } }]),
    ])).toEqual([
      'Service/Prefect_Server: not a DNS-1123 label', 'Secret/creds: not asked for', 'ClusterRole/all: not asked for',
      'Deployment/w: PREFECT_API_KEY is a literal',
    ]);
  });

  test('Pod Security of the pods in the Prefect 1 job template and the DaskCluster spec', () => {
    const root = { containers: [{ name: 'c', image: 'i:1' }] };
    expect(templatePodViolations([
      { kind: 'ConfigMap', metadata: { name: 'agent-pool' }, data: { 'job-template.yaml': JSON.stringify({ spec: { template: { spec: root } } }) } },
      { kind: 'ConfigMap', metadata: { name: 'dask-cluster' }, data: { 'daskcluster.yaml': 'spec:\n  scheduler:\n    spec:\n      containers: [{name: s, image: "i:1"}]\n  worker:\n    spec:\n      containers: [{name: w, image: "i:1"}]\n' } },
    ]).map(v => v.split(':')[0])).toEqual(expect.arrayContaining(['Prefect 1 flow run of ConfigMap/agent-pool', 'Dask scheduler of ConfigMap/dask-cluster', 'Dask worker of ConfigMap/dask-cluster']));
  });

  test('the data-safety rules', () => {
    const sqlite = [{ name: 'PREFECT_SERVER_DATABASE_CONNECTION_URL', value: 'sqlite+aiosqlite:////var/lib/prefect/prefect.db' }];
    expect(dataSafetyViolations([workload('StatefulSet', 's', 'server', { replicas: 2 }, sqlite)])).toEqual([
      'StatefulSet/s: 2 pods on one SQLite file', 'StatefulSet/s: the claim is deleted with it',
    ]);
    expect(dataSafetyViolations([workload('Deployment', 'd', 'server', { replicas: 1, strategy: { rollingUpdate: { maxUnavailable: 0 } } }, sqlite)]))
      .toEqual(['Deployment/d: opens the SQLite file outside the server\'s StatefulSet', 'Deployment/d: SQLite in a Deployment']);
    expect(dataSafetyViolations([
      workload('Deployment', 'api', 'server', { replicas: 3, strategy: { rollingUpdate: { maxUnavailable: 1 } } }, [{ name: 'PREFECT_SERVER_DATABASE_MIGRATE_ON_START', value: 'true' }]),
      workload('Deployment', 'services', 'background-services', { replicas: 2, strategy: { type: 'RollingUpdate' } }),
    ])).toEqual([
      'Deployment/api: a rollout may take API pods away', 'Deployment/api: highly available without a PodDisruptionBudget of one pod at a time',
      'Deployment/api: highly available without one services Deployment and one migration Job',
      'Deployment/api: API pods migrate on start beside the migration Job', 'Deployment/services: the background services could run twice',
      'Deployment/services: the services migrate on start beside the migration Job',
    ]);
  });
});
