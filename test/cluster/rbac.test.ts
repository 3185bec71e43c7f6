/**
 * RBAC, exactly: for every ServiceAccount a variant creates, the API server's authorizer grants
 * what its program calls (the Kubernetes calls of the Prefect worker, agents, Dask client and
 * cleanup, from ../shared/reference/prefect-on-kubernetes.md) in each namespace it works in, and
 * nothing more: the rules it holds there (SelfSubjectRulesReview, with its own token) are exactly
 * those, and Secrets, other namespaces and the cluster scope are denied (SubjectAccessReview).
 */
import { Testing } from 'cdk8s';
import { buildVariants } from '../../src/examples/variants';
import { applyAll, applyProblems, clusters, minimumMinor, minorOf, namespacesToProvide, provideNamespaces, removeAll } from './support/apply';
import { KubeClient } from './support/kube-client';

type Json = any;

/** A permission: `verb group/resource[/subresource]`, the core group written as "". */
type Grant = string;

const WORKER: Grant[] = [
  'create batch/jobs', 'delete batch/jobs', 'get batch/jobs', 'list batch/jobs', 'watch batch/jobs',
  'get /pods', 'list /pods', 'watch /pods', 'get /pods/log', 'list /events',
];
const PREFECT2_AGENT: Grant[] = WORKER.filter(g => g !== 'list /events');
const PREFECT1_AGENT: Grant[] = ['create batch/jobs', 'list batch/jobs', 'delete batch/jobs', 'list /pods', 'list /events'];
const DASK_CLIENT: Grant[] = [
  ...['daskclusters', 'daskworkergroups', 'daskworkergroups/scale', 'daskjobs', 'daskautoscalers']
    .flatMap(r => ['get', 'list', 'watch', 'patch', 'create', 'delete'].map(v => `${v} kubernetes.dask.org/${r}`)),
  ...['pods', 'pods/status', 'services'].flatMap(r => ['get', 'list', 'watch'].map(v => `${v} /${r}`)),
  'get /pods/log',
];

/** Per variant: each ServiceAccount (namespace/name) and what it holds in each namespace. */
const EXPECTED: Record<string, Record<string, Record<string, Grant[]>>> = {
  // The server's own account holds nothing: the server never calls the Kubernetes API.
  'minimal': { 'prefect/kubernetes-worker': { prefect: WORKER }, 'prefect/prefect-server': {} },
  'production': { 'prefect/etl-worker': { 'prefect-runs': WORKER }, 'prefect/reports-worker': { 'prefect-runs': WORKER }, 'prefect/prefect-server': {} },
  'cloud-workers': { 'prefect/k8s-cluster-a-worker': { prefect: WORKER } },
  'prefect2-agents': { 'prefect/production-agent': { prefect: PREFECT2_AGENT }, 'prefect/prefect-server': {} },
  'prefect1-agent': { 'prefect/prefect-agent': { prefect: PREFECT1_AGENT } },
  // The flow runs' account, made for its IAM role annotation, holds nothing either.
  'enterprise': { 'prefect/gpu-worker': { 'prefect-gpu': WORKER }, 'prefect-gpu/gpu-worker-flow-run': {}, 'prefect/prefect-server': {} },
  'dask': {
    'prefect/prefect-server': {},
    'prefect/dask-worker': { prefect: WORKER },
    // The flow runs' account: Dask clusters in the Dask namespace only.
    'prefect/dask-worker-dask': { 'dask-scratch': DASK_CLIENT },
    'dask-scratch/dask-cleanup': {
      'dask-scratch': ['list kubernetes.dask.org/daskclusters', 'delete kubernetes.dask.org/daskclusters'],
      'prefect': ['list /pods', 'delete /pods', 'list batch/jobs', 'delete batch/jobs'],
    },
  },
};

/** What no account of the chart may do, in any namespace it works in and beyond. */
const NEVER: Array<[Grant, string | undefined]> = [
  ['get /secrets', 'prefect'], ['list /secrets', 'prefect'], ['get /secrets', 'prefect-runs'], ['get /secrets', 'dask-scratch'],
  ['create batch/jobs', 'default'], ['create batch/jobs', 'kube-system'], ['list /pods', 'kube-system'],
  ['create /pods/exec', 'prefect'], ['create /pods', 'prefect'], ['create /serviceaccounts/token', 'prefect'],
  ['create rbac.authorization.k8s.io/roles', 'prefect'], ['update /configmaps', 'prefect'],
  ['list /namespaces', undefined], ['get /namespaces', undefined], ['list /nodes', undefined],
  ['list batch/jobs', undefined], ['create rbac.authorization.k8s.io/clusterrolebindings', undefined],
];

function attributes(grant: Grant, namespace: string | undefined): Json {
  const [verb, path] = grant.split(' ');
  const [group, resource, subresource] = path.split('/');
  return { verb, group, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}) };
}

/** Resource rules as grants. */
function grantsOf(rules: Json[]): Grant[] {
  return rules.flatMap(r => (r.apiGroups as string[]).flatMap(g => (r.resources as string[]).flatMap(res => (r.verbs as string[]).map(v => `${v} ${g}/${res}`)))).sort();
}

/** The grants of an identity in a namespace, as its SelfSubjectRulesReview lists them. */
async function rulesIn(client: KubeClient, namespace: string): Promise<Grant[]> {
  const review = await client.ok('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace },
  });
  // A review the authorizer could not complete would not list every rule.
  if (review.status.incomplete) throw new Error(`the rules review in ${namespace} is incomplete: ${review.status.evaluationError}`);
  return grantsOf(review.status.resourceRules);
}

const VARIANTS = buildVariants(Testing.app()).map(chart => [chart.node.id, Testing.synth(chart)] as [string, Json[]]);

describe.each(clusters().map(c => [c.version, c] as const))('Kubernetes %s', (version, cluster) => {
  const kube = new KubeClient(cluster);

  describe.each(VARIANTS.filter(([name]) => minorOf(version) >= minimumMinor(name)))('%s', (variant, objects) => {
    const provided = namespacesToProvide(objects);
    beforeAll(async () => {
      await provideNamespaces(kube, provided);
      const problems = applyProblems(await applyAll(kube, objects));
      if (problems.length > 0) throw new Error(problems.join('\n'));
    });
    afterAll(() => removeAll(kube, objects, provided));

    test('every ServiceAccount it creates is in the table', () => {
      const accounts = objects.filter(o => o.kind === 'ServiceAccount').map(o => `${o.metadata.namespace}/${o.metadata.name}`).sort();
      expect(accounts).toEqual(Object.keys(EXPECTED[variant]).sort());
    });

    test.each(Object.entries(EXPECTED[variant]))('%s holds exactly what its program calls', async (account, byNamespace) => {
      const [namespace, name] = account.split('/');
      const as = kube.as(await kube.tokenOf(namespace, name));
      // What every account holds (self reviews, and on newer releases trust bundles) is the
      // cluster's, not the chart's: the namespace's default account, bound to nothing, shows it.
      const everyone = kube.as(await kube.tokenOf('default', 'default'));
      for (const ns of [...new Set([...Object.keys(byNamespace), namespace, 'default'])]) {
        const baseline = new Set(await rulesIn(everyone, ns));
        const granted = (await rulesIn(as, ns)).filter(g => !baseline.has(g));
        expect(`${ns}: ${granted.join(', ')}`).toBe(`${ns}: ${[...(byNamespace[ns] ?? [])].sort().join(', ')}`);
      }
    });

    test.each(Object.keys(EXPECTED[variant]))('%s: each grant is allowed by the authorizer, Secrets, other namespaces and the cluster scope denied', async (account) => {
      const [namespace, name] = account.split('/');
      const review = async (grant: Grant, ns: string | undefined) => (await kube.ok('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
        spec: {
          user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
          resourceAttributes: attributes(grant, ns),
        },
      })).status.allowed === true;
      const wrong: string[] = [];
      for (const [ns, grants] of Object.entries(EXPECTED[variant][account])) {
        for (const grant of grants) if (!(await review(grant, ns))) wrong.push(`denied: ${grant} in ${ns}`);
      }
      for (const [grant, ns] of NEVER) {
        if (EXPECTED[variant][account][ns ?? '']?.includes(grant)) continue;
        if (await review(grant, ns)) wrong.push(`allowed: ${grant} ${ns ? `in ${ns}` : 'cluster-wide'}`);
      }
      expect(wrong).toEqual([]);
    });
  });
});
