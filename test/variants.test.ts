import { Testing } from 'cdk8s';
import { PrefectWorkerPool } from '../src';
import { buildVariants } from '../src/examples/variants';
import { problems } from './support/checks';
import { flowRunJobsOf, jobAsApplied, renderWithDefaults } from './support/job-template';
import { containerOf, envOf, kinds, synthApp } from './support/synth';

const app = Testing.app();
const charts = buildVariants(app);
const variants = synthApp(app);

test('the example app has the documented variants', () => {
  expect([...variants.keys()]).toEqual(['minimal', 'production', 'cloud-workers', 'prefect2-agents', 'prefect1-agent', 'dask', 'enterprise']);
});

/** The flow-run Jobs the variant's pools would launch (one per pool with a base job template). */
function flowRunJobs(variant: string): any[] {
  return flowRunJobsOf(charts.find(c => c.node.id === variant)!);
}

/** The oldest Kubernetes minor release each variant needs: the enterprise one has native sidecars. */
const MINIMUM_MINOR: Record<string, number> = { enterprise: 29 };

describe.each([...variants.keys()])('variant %s', (variant) => {
  const objects = variants.get(variant)!;
  const minor = MINIMUM_MINOR[variant] ?? 27;

  test(`every object is accepted by Kubernetes 1.${minor}, passes Pod Security "restricted", and references only what exists`, () => {
    // With the flow-run Jobs, whose ServiceAccounts, ConfigMaps and Secrets the chart provides.
    expect(problems([...objects, ...flowRunJobs(variant)], minor)).toEqual([]);
  });

  test('every object carries the recommended labels', () => {
    for (const o of objects) {
      for (const label of ['name', 'instance', 'component', 'part-of', 'managed-by', 'version']) {
        expect(o.metadata.labels).toHaveProperty([`app.kubernetes.io/${label}`]);
      }
    }
  });

  test('matches the snapshot', () => {
    expect(objects).toMatchSnapshot();
  });

  test('no NetworkPolicy selects flow-run pods by a label the Prefect worker rewrites, and flow runs admit nothing', () => {
    // prefect-kubernetes 0.7 sets these on the pods it submits (the runtime suite shows it).
    const rewritten = ['app.kubernetes.io/name', 'app.kubernetes.io/managed-by', 'app.kubernetes.io/part-of', 'app.kubernetes.io/version'];
    const flowRunSelectors = (p: any) => [p.spec.podSelector, ...[...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])]
      .flatMap((r: any) => [...(r.from ?? []), ...(r.to ?? [])]).map((peer: any) => peer.podSelector)]
      .filter((s: any) => s?.matchLabels?.['app.kubernetes.io/component'] === 'flow-run');
    const policies = objects.filter(o => o.kind === 'NetworkPolicy');
    for (const selector of policies.flatMap(flowRunSelectors)) {
      expect(Object.keys(selector.matchLabels).filter(k => rewritten.includes(k))).toEqual([]);
    }
    for (const p of policies.filter(o => o.metadata.name.endsWith('-flow-runs'))) expect(p.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });


  test('every RoleBinding binds a ServiceAccount its worker pods run as, and flow-run Jobs are valid', () => {
    const pools = charts.find(c => c.node.id === variant)!.node.findAll().filter((c): c is PrefectWorkerPool => c instanceof PrefectWorkerPool);
    for (const pool of pools) {
      for (const deployment of pool.deployments) {
        const pod = deployment.toJson().spec.template.spec;
        expect(pod.serviceAccountName).toBe(pool.rbac?.serviceAccountName);
      }
      if (pool.baseJobTemplate) expect(problems([...objects, jobAsApplied(renderWithDefaults(pool.baseJobTemplate))], minor)).toEqual([]);
    }
  });
});

test.each(['minimal', 'production', 'prefect2-agents'])('%s: the workers reach the Service the chart creates', (variant) => {
  const objects = variants.get(variant)!;
  const service = objects.filter(o => o.kind === 'Service');
  expect(service).toHaveLength(1);
  const url = `http://${service[0].metadata.name}.${service[0].metadata.namespace}.svc.cluster.local:${service[0].spec.ports[0].port}/api`;
  const workers = objects.filter(o => o.kind === 'Deployment' && ['worker', 'agent'].includes(o.metadata.labels['app.kubernetes.io/component']));
  expect(workers.length).toBeGreaterThan(0);
  for (const deployment of workers) expect(envOf(deployment.spec.template.spec.containers[0]).PREFECT_API_URL).toBe(url);
});

test('minimal: the namespace, the SQLite server and a kubernetes pool with its worker, with network policies', () => {
  expect(kinds(variants.get('minimal')!)).toEqual([
    'ConfigMap/kubernetes-worker-pool', 'Deployment/kubernetes-worker', 'Namespace/prefect',
    'NetworkPolicy/kubernetes-worker-egress', 'NetworkPolicy/kubernetes-worker-flow-runs', 'NetworkPolicy/prefect-default-deny',
    'NetworkPolicy/prefect-server-egress', 'NetworkPolicy/prefect-server-ingress',
    'Role/kubernetes-worker', 'RoleBinding/kubernetes-worker',
    'Service/prefect-server', 'ServiceAccount/kubernetes-worker', 'ServiceAccount/prefect-server', 'StatefulSet/prefect-server',
  ]);
});

test('production: the highly available server on PostgreSQL, behind an ingress with TLS and basic auth, with network policies', () => {
  expect(kinds(variants.get('production')!)).toEqual([
    'ConfigMap/etl-worker-pool', 'ConfigMap/reports-worker-pool',
    'Deployment/etl-worker-prod-main', 'Deployment/etl-worker-prod-secondary',
    'Deployment/prefect-server',
    'Deployment/prefect-server-services',
    'Deployment/reports-worker',
    'Ingress/prefect-server',
    expect.stringMatching(/^Job\/prefect-server-migrate-[0-9a-f]{8}$/),
    'NetworkPolicy/etl-worker-egress', 'NetworkPolicy/etl-worker-flow-runs',
    // One per namespace: the server's and the flow runs'.
    'NetworkPolicy/prefect-default-deny', 'NetworkPolicy/prefect-default-deny',
    'NetworkPolicy/prefect-server-egress', 'NetworkPolicy/prefect-server-ingress',
    'NetworkPolicy/reports-worker-egress', 'NetworkPolicy/reports-worker-flow-runs',
    'PodDisruptionBudget/prefect-server',
    'Role/etl-worker', 'Role/reports-worker', 'RoleBinding/etl-worker', 'RoleBinding/reports-worker',
    'Service/prefect-server',
    'ServiceAccount/etl-worker', 'ServiceAccount/prefect-server', 'ServiceAccount/reports-worker',
  ]);
  const objects = variants.get('production')!;
  // Runs go to their own namespace; the workers' permissions are there, their identities here.
  expect(objects.filter(o => o.kind === 'Role').map(o => o.metadata.namespace)).toEqual(['prefect-runs', 'prefect-runs']);
  expect(objects.filter(o => o.kind === 'ServiceAccount').map(o => o.metadata.namespace)).toEqual(['prefect', 'prefect', 'prefect']);
  // The workers send the server's basic auth string, and the Jobs reference the same Secret.
  const worker = envOf(containerOf(objects.find(o => o.metadata.name === 'etl-worker-prod-main'), 'prefect-worker'));
  expect(worker.PREFECT_API_AUTH_STRING).toBe('secret:prefect-basic-auth/auth-string');
  expect(worker.PREFECT_INTEGRATIONS_KUBERNETES_WORKER_API_AUTH_STRING_SECRET_NAME).toBe('prefect-basic-auth');
  // The ingress gave the server its basic auth and the UI its API URL.
  const server = envOf(containerOf(objects.find(o => o.kind === 'Deployment' && o.metadata.name === 'prefect-server'), 'prefect-server'));
  expect(server.PREFECT_SERVER_API_AUTH_STRING).toBe('secret:prefect-basic-auth/auth-string');
  expect(server.PREFECT_SERVER_UI_API_URL).toBe('https://prefect.example.com/api');
  const ingress = objects.find(o => o.kind === 'Ingress');
  expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt' });
  expect(ingress.spec.tls).toEqual([{ hosts: ['prefect.example.com'], secretName: 'prefect-server-tls' }]);
  const apiRoute = ingress.spec.rules[0].http.paths.find((p: any) => p.path === '/api');
  expect(apiRoute.backend.service).toEqual({ name: 'prefect-server', port: { number: 4200 } });
  expect(ingress.spec.rules.map((r: any) => r.host)).toEqual(['prefect.example.com']);
});

test('cloud-workers: a pool for Prefect Cloud, and no server', () => {
  expect(kinds(variants.get('cloud-workers')!)).toEqual([
    'ConfigMap/k8s-cluster-a-worker-pool', 'Deployment/k8s-cluster-a-worker', 'Namespace/prefect',
    'NetworkPolicy/k8s-cluster-a-worker-egress', 'NetworkPolicy/k8s-cluster-a-worker-flow-runs', 'NetworkPolicy/prefect-default-deny',
    'Role/k8s-cluster-a-worker', 'RoleBinding/k8s-cluster-a-worker', 'ServiceAccount/k8s-cluster-a-worker',
  ]);
});

test('prefect2-agents: a Prefect 2 server on PostgreSQL and one agent per queue, with Kerberos and Warsaw time', () => {
  const objects = variants.get('prefect2-agents')!;
  expect(kinds(objects)).toEqual([
    'ConfigMap/production-agent-files', 'ConfigMap/production-agent-pool',
    'Deployment/prefect-server', 'Deployment/production-agent-prod-main', 'Deployment/production-agent-prod-secondary',
    'Ingress/prefect-server', 'Ingress/prefect-server-api', 'Namespace/prefect',
    'NetworkPolicy/prefect-default-deny', 'NetworkPolicy/prefect-server-egress', 'NetworkPolicy/prefect-server-ingress', 'NetworkPolicy/production-agent-egress',
    'Role/production-agent', 'RoleBinding/production-agent', 'Service/prefect-server', 'ServiceAccount/prefect-server', 'ServiceAccount/production-agent',
  ]);
  // The agents' Jobs come from KubernetesJob blocks made elsewhere: the namespace enforces
  // "baseline" and only warns of "restricted".
  const labels = objects.find(o => o.kind === 'Namespace').metadata.labels;
  expect(labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  expect(labels['pod-security.kubernetes.io/warn']).toBe('restricted');
  expect(labels['pod-security.kubernetes.io/audit']).toBe('restricted');
  for (const name of ['production-agent-prod-main', 'production-agent-prod-secondary']) {
    const deployment = objects.find(o => o.metadata.name === name);
    const agent = containerOf(deployment, 'prefect-agent');
    expect(agent.image).toBe('prefecthq/prefect:2.20.25-python3.11');
    expect(agent.args.slice(0, 5)).toEqual(['prefect', 'agent', 'start', '--pool', 'production']);
    expect(envOf(agent).TZ).toBe('Europe/Warsaw');
    expect(agent.volumeMounts).toContainEqual({ name: 'config-files', mountPath: '/etc/krb5.conf', subPath: '0-krb5.conf', readOnly: true });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  }
  const server = envOf(containerOf(objects.find(o => o.kind === 'Deployment' && o.metadata.name === 'prefect-server'), 'prefect-server'));
  expect(server.TZ).toBe('Europe/Warsaw');
  // The split: nginx basic auth on the UI, /api open; the UI calls the API on the same host.
  expect(server.PREFECT_UI_API_URL).toBe('https://prefect.company.local/api');
  const ui = objects.find(o => o.kind === 'Ingress' && o.metadata.name === 'prefect-server');
  const api = objects.find(o => o.kind === 'Ingress' && o.metadata.name === 'prefect-server-api');
  expect(ui.metadata.annotations).toEqual({
    'nginx.ingress.kubernetes.io/auth-type': 'basic',
    'nginx.ingress.kubernetes.io/auth-secret': 'prefect-ui-htpasswd',
    'nginx.ingress.kubernetes.io/auth-realm': 'Prefect',
  });
  expect(api.metadata.annotations).toBeUndefined();
  expect(ui.spec.rules.map((r: any) => [r.host, r.http.paths.map((p: any) => p.path)])).toEqual([['prefect.company.local', ['/']]]);
  expect(api.spec.rules.map((r: any) => [r.host, r.http.paths.map((p: any) => p.path)])).toEqual([['prefect.company.local', ['/api']]]);
  for (const ingress of [ui, api]) expect(ingress.spec.tls).toEqual([{ hosts: ['prefect.company.local'], secretName: 'prefect-company-local-tls' }]);
});

test('prefect1-agent: the Prefect 1 agent with labels dev and staging', () => {
  const objects = variants.get('prefect1-agent')!;
  expect(kinds(objects)).toEqual([
    'ConfigMap/prefect-agent-pool', 'Deployment/prefect-agent', 'Namespace/prefect',
    'NetworkPolicy/prefect-agent-egress', 'NetworkPolicy/prefect-agent-flow-runs', 'NetworkPolicy/prefect-default-deny',
    'Role/prefect-agent', 'RoleBinding/prefect-agent', 'ServiceAccount/prefect-agent',
  ]);
  expect(envOf(containerOf(objects.find(o => o.kind === 'Deployment'), 'prefect-agent')).PREFECT__CLOUD__AGENT__LABELS).toBe("['dev', 'staging']");
});
