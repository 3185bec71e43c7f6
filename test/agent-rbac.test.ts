import { Chart, Testing } from 'cdk8s';
import { AgentRbac, AgentRbacProps, PrefectVersion, RunLauncher } from '../src';
import { problems } from './support/checks';
import { kinds, only, synth } from './support/synth';

function rbac(props: AgentRbacProps = {}) {
  return synth(chart => { new AgentRbac(chart, 'rbac', props); });
}

function construct(props: AgentRbacProps, namespace: string | null = 'prefect'): () => AgentRbac {
  return () => new AgentRbac(new Chart(Testing.app(), 'test', { namespace: namespace ?? undefined }), 'rbac', props);
}

test('a Kubernetes worker gets exactly the calls it makes, in its own namespace', () => {
  const objects = rbac();
  expect(kinds(objects)).toEqual(['Role/prefect-worker', 'RoleBinding/prefect-worker', 'ServiceAccount/prefect-worker']);
  expect(only(objects, 'Role').rules).toEqual([
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['list'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  ]);
  expect(only(objects, 'RoleBinding')).toMatchObject({
    metadata: { name: 'prefect-worker', namespace: 'prefect' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prefect-worker' },
    subjects: [{ kind: 'ServiceAccount', name: 'prefect-worker', namespace: 'prefect' }],
  });
  expect(only(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
  // Only the missing pod is reported: the objects themselves are valid.
  expect(problems(objects)).toEqual(['RoleBinding/prefect-worker: binds ServiceAccount prefect-worker, which no pod here runs as']);
  expect(objects).toMatchSnapshot();
});

test('Secrets only when the worker creates API-key Secrets', () => {
  const rules = only(rbac({ manageApiKeySecrets: true }), 'Role').rules;
  expect(rules).toContainEqual({ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update', 'delete'] });
  expect(only(rbac(), 'Role').rules.flatMap((r: any) => r.resources)).not.toContain('secrets');
});

test('Prefect 2 agents and the Prefect 1 agent get their own, smaller, rule sets', () => {
  expect(only(rbac({ launcher: RunLauncher.PREFECT2_AGENT }), 'Role').rules).toEqual([
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  ]);
  const prefect1 = rbac({ launcher: RunLauncher.PREFECT1_KUBERNETES_AGENT, name: 'prefect-agent' });
  expect(only(prefect1, 'Role').rules).toEqual([
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'events'], verbs: ['list'] },
  ]);
  expect(only(prefect1, 'Role').metadata.labels['app.kubernetes.io/version']).toBe('1.4.1');
});

test('one Role and RoleBinding per job namespace, each binding the one ServiceAccount', () => {
  const objects = rbac({ jobNamespaces: ['prefect', 'runs-a', 'runs-b'], version: PrefectVersion.of('3.4.20') });
  expect(objects.filter(o => o.kind === 'Role').map(o => o.metadata.namespace)).toEqual(['prefect', 'runs-a', 'runs-b']);
  for (const binding of objects.filter(o => o.kind === 'RoleBinding')) {
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'prefect-worker', namespace: 'prefect' }]);
  }
  expect(objects.filter(o => o.kind === 'ServiceAccount').map(o => o.metadata.namespace)).toEqual(['prefect']);
});

test('a ClusterRole only when asked for, named after the namespace so charts do not collide', () => {
  const objects = rbac({ clusterWide: true });
  expect(kinds(objects)).toEqual(['ClusterRole/prefect-prefect-worker', 'ClusterRoleBinding/prefect-prefect-worker', 'ServiceAccount/prefect-worker']);
  expect(only(objects, 'ClusterRoleBinding').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'prefect-prefect-worker' });
  // Cluster-scoped: no namespace, which kubectl would refuse.
  expect(objects.filter(o => o.kind.startsWith('Cluster')).map(o => o.metadata.namespace)).toEqual([undefined, undefined]);
  expect(rbac().some(o => o.kind.startsWith('Cluster'))).toBe(false);
});

describe('rejects', () => {
  test.each<[string, AgentRbacProps, string]>([
    ['a bad name', { name: 'Prefect_Worker' }, 'name "Prefect_Worker" is not accepted: a DNS-1123 subdomain'],
    ['a bad namespace', { jobNamespaces: ['runs.a'] }, 'jobNamespaces "runs.a" is not accepted: a namespace name'],
    ['no namespace', { jobNamespaces: [] }, 'jobNamespaces "" is not accepted: at least one namespace'],
    ['a namespace twice', { jobNamespaces: ['a', 'a'] }, 'jobNamespaces "a" is not accepted: each namespace once'],
    ['namespaces with clusterWide', { clusterWide: true, jobNamespaces: ['a'] }, 'jobNamespaces "a" is not accepted: unset when clusterWide is true'],
    ['Secrets for an agent', { launcher: RunLauncher.PREFECT2_AGENT, manageApiKeySecrets: true }, 'manageApiKeySecrets true is not accepted: false for PREFECT2_AGENT'],
  ])('%s', (_, props, message) => {
    expect(construct(props)).toThrow(`AgentRbac 'test/rbac': ${message}`);
  });

  test('a chart without a namespace', () => {
    expect(construct({}, null)).toThrow("AgentRbac 'test/rbac': namespace (unset) is not accepted: a chart with a namespace");
  });
});

test('serviceAccountAnnotations annotate the ServiceAccount (a cloud identity), and nothing else', () => {
  const objects = rbac({ serviceAccountAnnotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prefect-worker' } });
  expect(only(objects, 'ServiceAccount').metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/prefect-worker' });
  expect(only(objects, 'Role').metadata.annotations).toBeUndefined();
  expect(only(rbac(), 'ServiceAccount').metadata.annotations).toBeUndefined();
});
