/**
 * Property suite, second half: random valid configurations of the whole public API, through
 * `PrefectPlatform`, synthesize to output that Kubernetes 1.27 accepts, that passes Pod Security
 * "restricted", has no dangling reference, RBAC wildcard, unasked ClusterRole or Secret literal,
 * has unique DNS-1123 names, keeps the data-safety rules, and (a quarter of them, built twice) is the same every time (see
 * `invariantViolations`). The suite is split in two files so that jest runs the halves in
 * parallel. A failure prints its seed and path: `PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx jest
 * test/platform-properties` replays it.
 */
import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { AgentRbac, RunLauncher } from '../src';
import { restrictedContainer, restrictedPod } from '../src/core/private/security';
import { propertyParameters, validPlatformsHold } from './support/arbitraries';
import { problems } from './support/checks';

test('random valid platforms synthesize valid, safe, deterministic output (500 more configurations)', () => {
  validPlatformsHold(500);
});

/**
 * AgentRbac on its own, for an agent deployed by other means (here a restricted Deployment that runs
 * as its ServiceAccount, restricted like the library's): random launchers, namespaces and grants give least-privilege RBAC without
 * wildcards, and a ClusterRole exactly when `clusterWide` asks for one.
 */
test('random AgentRbac: a ClusterRole only when asked, no wildcard, no dangling binding (200 configurations)', () => {
  const rbacCase = fc.record({
    launcher: fc.constantFrom(RunLauncher.KUBERNETES_WORKER, RunLauncher.PREFECT2_AGENT, RunLauncher.PREFECT1_KUBERNETES_AGENT),
    clusterWide: fc.boolean(),
    secrets: fc.boolean(),
    jobNamespaces: fc.option(fc.subarray(['prefect', 'runs-a', 'runs-b'], { minLength: 1 }), { nil: undefined }),
  });
  fc.assert(fc.property(rbacCase, (c) => {
    const chart = new Chart(Testing.app(), 'agent', { namespace: 'prefect' });
    const rbac = new AgentRbac(chart, 'Rbac', {
      launcher: c.launcher,
      name: 'agent',
      clusterWide: c.clusterWide,
      jobNamespaces: c.clusterWide ? undefined : c.jobNamespaces,
      manageApiKeySecrets: c.secrets && c.launcher === RunLauncher.KUBERNETES_WORKER ? true : undefined,
    });
    const labels = { app: 'agent' };
    new k8s.KubeDeployment(chart, 'Agent', {
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: rbac.serviceAccountName,
            automountServiceAccountToken: true,
            securityContext: restrictedPod(),
            containers: [{
              name: 'agent', image: 'registry.example.com/agent:1.0.0', securityContext: restrictedContainer(),
              resources: { requests: { memory: k8s.Quantity.fromString('256Mi') }, limits: { memory: k8s.Quantity.fromString('512Mi') } },
            }],
          },
        },
      },
    });
    const objects = Testing.synth(chart);
    const clusterWide = objects.filter(o => ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind)).length;
    const found = [
      ...problems(objects),
      ...(c.clusterWide ? (clusterWide === 2 ? [] : ['clusterWide without a ClusterRole and its binding']) : (clusterWide === 0 ? [] : ['a ClusterRole nobody asked for'])),
      ...objects.filter(o => o.kind === 'Role' || o.kind === 'ClusterRole').flatMap(o => (o.rules ?? [])
        .filter((r: any) => r.resources.includes('secrets') && !(c.secrets && c.launcher === RunLauncher.KUBERNETES_WORKER))
        .map(() => `${o.kind}/${o.metadata.name}: Secrets access nobody asked for`)),
    ];
    if (found.length > 0) throw new Error(found.join('\n'));
  }), propertyParameters(200));
});
