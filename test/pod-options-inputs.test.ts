/**
 * Bad pod options, one case per rule of the README's "Shared checks: pod options", each on the
 * workload where it is easiest to reach: the error's code and prop (as the user wrote it).
 */
import { Chart, Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import {
  AgentRbac, DaskScratch, PrefectApi, PrefectConnection, PrefectDatabase, PrefectImage, PrefectPodOptions, PrefectWorkerPool, SecretKeyReference,
} from '../src';
import { inputErrorOf, synthError } from './support/synth';

type Json = any;
const connection = PrefectConnection.fromUrl('https://prefect.example.com/api');
const memory = { limits: { memory: k8s.Quantity.fromString('64Mi') } };
const container = (extra: Json = {}): k8s.Container => ({ name: 'helper', image: 'registry.example.com/helper:1.0.0', resources: memory, ...extra });

const server = (pod: Json) => (chart: Chart) => new PrefectApi(chart, 'api', { pod });
const workers = (pod: Json, extra: Json = {}) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', pod, ...extra });
const flowRuns = (pod: Json, extra: Json = {}) => (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', jobTemplate: { pod, ...extra } });
const ha = (props: Json) => (chart: Chart) => new PrefectApi(chart, 'api', {
  replicas: 2, database: PrefectDatabase.postgresUrl(SecretKeyReference.fromSecret('db', 'url')), redis: { host: 'redis' }, ...props,
});
const dask = (props: Json) => (chart: Chart) => new DaskScratch(chart, 'dask', { image: PrefectImage.official(), namespace: 'dask', ...props });

const CASES: Array<[string, (chart: Chart) => unknown, string, string]> = [
  ['pod options that are a string', server('gpu'), 'FORMAT', 'pod'],
  ['a list that is a string', workers({ volumes: 'data' }), 'FORMAT', 'pod.volumes'],
  ['an empty item in a list', workers({ tolerations: [null] }), 'REQUIRED', 'pod.tolerations[0]'],
  ['a label key that is none', server({ labels: { 'a b': 'x' } }), 'FORMAT', 'pod.labels'],
  ['a label value that is none', server({ labels: { team: 'data team' } }), 'FORMAT', 'pod.labels[team]'],
  ['a label the library selects by', server({ labels: { 'app.kubernetes.io/instance': 'x' } }), 'RESERVED', 'pod.labels'],
  ['an annotation key that is none', server({ annotations: { 'a b': 'x' } }), 'FORMAT', 'pod.annotations'],
  ['an annotation under checksum/', workers({ annotations: { 'checksum/config': 'x' } }), 'RESERVED', 'pod.annotations'],
  ['an unconfined AppArmor profile', server({ annotations: { 'container.apparmor.security.beta.kubernetes.io/prefect-server': 'unconfined' } }),
    'POD_SECURITY', 'pod.annotations[container.apparmor.security.beta.kubernetes.io/prefect-server]'],
  ['a node selector value that is none', flowRuns({ nodeSelector: { pool: 'big nodes' } }), 'FORMAT', 'jobTemplate.pod.nodeSelector[pool]'],
  ['a toleration operator that is none', server({ tolerations: [{ key: 'a', operator: 'In' }] }), 'CHOICE', 'pod.tolerations[0].operator'],
  ['a taint effect that is none', server({ tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoRun' }] }), 'CHOICE', 'pod.tolerations[0].effect'],
  ['a toleration without a key, not Exists', server({ tolerations: [{ operator: 'Equal', value: 'x' }] }), 'REQUIRED', 'pod.tolerations[0].key'],
  ['a value with Exists', server({ tolerations: [{ key: 'a', operator: 'Exists', value: 'x' }] }), 'CONFLICT', 'pod.tolerations[0].value'],
  ['tolerationSeconds without NoExecute', server({ tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }] }),
    'CONFLICT', 'pod.tolerations[0].tolerationSeconds'],
  ['an affinity field that is none', server({ affinity: { nodeSelector: {} } }), 'FORMAT', 'pod.affinity'],
  ['a skew of 0', server({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }),
    'QUANTITY', 'pod.topologySpreadConstraints[0].maxSkew'],
  ['a topology key that is none', server({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'a b', whenUnsatisfiable: 'DoNotSchedule' }] }),
    'FORMAT', 'pod.topologySpreadConstraints[0].topologyKey'],
  ['whenUnsatisfiable that is none', server({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Never' }] }),
    'CHOICE', 'pod.topologySpreadConstraints[0].whenUnsatisfiable'],
  ['a PriorityClass name that is none', server({ priorityClassName: 'High' }), 'FORMAT', 'pod.priorityClassName'],
  ['a ServiceAccount that is a string', server({ serviceAccount: 'irsa' }), 'FORMAT', 'pod.serviceAccount'],
  ['a ServiceAccount annotation key that is none', workers({ serviceAccount: { annotations: { 'a b': 'x' } } }), 'FORMAT', 'pod.serviceAccount.annotations'],
  ['a hostPath volume', server({ volumes: [{ name: 'host', hostPath: { path: '/' } }] }), 'POD_SECURITY', 'pod.volumes[0]'],
  ['a volume with no source', server({ volumes: [{ name: 'empty' }] }), 'POD_SECURITY', 'pod.volumes[0]'],
  ['a volume name that is none', server({ volumes: [{ name: 'Data', emptyDir: {} }] }), 'FORMAT', 'pod.volumes[0].name'],
  ['a volume name twice', server({ volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }] }), 'DUPLICATE', 'pod.volumes[1].name'],
  ['a volume name of the library\'s', server({ volumes: [{ name: 'home', emptyDir: {} }] }), 'RESERVED', 'pod.volumes[0].name'],
  ['a mount of a library volume', server({ volumeMounts: [{ name: 'tmp', mountPath: '/scratch' }] }), 'REQUIRED', 'pod.volumeMounts[0].name'],
  ['a relative mount path', server({ volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: 'data' }] }), 'PATH', 'pod.volumeMounts[0].mountPath'],
  ['a mount over /proc', server({ volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: '/proc/x' }] }), 'PATH', 'pod.volumeMounts[0].mountPath'],
  ['a mount over the library\'s home', server({ volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: '/home/prefect/.prefect' }] }),
    'PATH', 'pod.volumeMounts[0].mountPath'],
  ['a mount path twice', server({ volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: '/a' }, { name: 'a', mountPath: '/a' }] }),
    'DUPLICATE', 'pod.volumeMounts[1].mountPath'],
  ['a sub-path with ..', server({ volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: '/a', subPath: '../b' }] }),
    'PATH', 'pod.volumeMounts[0].subPath'],
  ['a container name that is none', server({ sidecars: [container({ name: 'Proxy' })] }), 'FORMAT', 'pod.sidecars[0].name'],
  ['a container name twice', server({ sidecars: [container()], initContainers: [container()] }), 'DUPLICATE', 'pod.sidecars'],
  ['a container name of the library\'s', ha({ pod: { initContainers: [container({ name: 'wait-for-schema' })] } }), 'RESERVED', 'pod.initContainers[0].name'],
  ['an image that is not pinned', server({ sidecars: [container({ image: 'registry.example.com/helper:latest' })] }), 'IMAGE', 'pod.sidecars[0].image'],
  ['an image without a tag', workers({ initContainers: [container({ image: 'busybox' })] }), 'IMAGE', 'pod.initContainers[0].image'],
  ['no memory limit', server({ sidecars: [container({ resources: { requests: { cpu: k8s.Quantity.fromString('10m') } } })] }), 'REQUIRED', 'pod.sidecars[0].resources'],
  ['a host port', server({ sidecars: [container({ ports: [{ containerPort: 80, hostPort: 80 }] })] }), 'POD_SECURITY', 'pod.sidecars[0].ports'],
  ['a restartPolicy', server({ sidecars: [container({ restartPolicy: 'Always' })] }), 'RESERVED', 'pod.sidecars[0].restartPolicy'],
  ['a probe on an init container', server({ initContainers: [container({ readinessProbe: { exec: { command: ['true'] } } })] }), 'CONFLICT', 'pod.initContainers[0].readinessProbe'],
  ['a privileged sidecar', server({ sidecars: [container({ securityContext: { privileged: true } })] }), 'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['a sidecar running as root', flowRuns({ sidecars: [container({ securityContext: { runAsUser: 0 } })] }), 'POD_SECURITY', 'jobTemplate.pod.sidecars[0].securityContext'],
  ['a capability added', workers({ initContainers: [container({ securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } } })] }),
    'POD_SECURITY', 'pod.initContainers[0].securityContext'],
  ['capabilities that do not drop ALL', server({ sidecars: [container({ securityContext: { capabilities: { drop: ['NET_RAW'] } } })] }),
    'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['an unconfined seccomp profile', server({ sidecars: [container({ securityContext: { seccompProfile: { type: 'Unconfined' } } })] }),
    'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['privilege escalation', server({ sidecars: [container({ securityContext: { allowPrivilegeEscalation: true } })] }), 'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['a security context that is a string', server({ sidecars: [container({ securityContext: 'restricted' })] }), 'FORMAT', 'pod.sidecars[0].securityContext'],
  ['envFrom with both sources', server({ envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] }), 'CONFLICT', 'pod.envFrom[0]'],
  ['envFrom with neither', server({ envFrom: [{ prefix: 'A_' }] }), 'CONFLICT', 'pod.envFrom[0]'],
  ['an envFrom Secret name that is none', server({ envFrom: [{ secretRef: { name: 'Cloud' } }] }), 'FORMAT', 'pod.envFrom[0].secretRef.name'],
  ['an envFrom prefix that is none', server({ envFrom: [{ configMapRef: { name: 'a' }, prefix: '1A' }] }), 'FORMAT', 'pod.envFrom[0].prefix'],
  ['a grace period of a fraction of a second', server({ terminationGracePeriod: Duration.millis(1500) }), 'QUANTITY', 'pod.terminationGracePeriod'],
  ['services pod options on a single server', (chart: Chart) => new PrefectApi(chart, 'api', { servicesPod: {} }), 'CONFLICT', 'servicesPod'],
  ['migration pod options on a single server', (chart: Chart) => new PrefectApi(chart, 'api', { migrationPod: {} }), 'CONFLICT', 'migrationPod'],
  ['an account for the services', ha({ servicesPod: { serviceAccount: {} } }), 'CONFLICT', 'servicesPod.serviceAccount'],
  ['an account for the migration', ha({ migrationPod: { serviceAccount: {} } }), 'CONFLICT', 'migrationPod.serviceAccount'],
  ['a flow-run account beside serviceAccountName', flowRuns({ serviceAccount: {} }, { serviceAccountName: 'flows' }), 'CONFLICT', 'jobTemplate.pod.serviceAccount'],
  ['a flow-run account with dask', (chart: Chart) => new PrefectWorkerPool(chart, 'pool', {
    connection, poolName: 'etl', dask: new DaskScratch(chart, 'dask', { image: PrefectImage.official() }), jobTemplate: { pod: { serviceAccount: {} } },
  }), 'CONFLICT', 'jobTemplate.pod.serviceAccount'],
  ['a placeholder in a flow-run sidecar', flowRuns({ sidecars: [container({ args: ['--token={{ $PREFECT_API_KEY }}'] })] }), 'PLACEHOLDER', 'jobTemplate.pod.sidecars[0].args[0]'],
  ['a placeholder in a key of a flow-run option', flowRuns({ affinity: { nodeAffinity: { '{{ $PREFECT_API_KEY }}': {} } } }), 'PLACEHOLDER', 'jobTemplate.pod.affinity.nodeAffinity'],
  ['a probe on an init container, not shown (its headers may hold a credential)',
    server({ initContainers: [container({ readinessProbe: { httpGet: { port: 80, httpHeaders: [{ name: 'Authorization', value: 'Bearer s3cr3t' }] } } })] }),
    'CONFLICT', 'pod.initContainers[0].readinessProbe'],
  ['a memory limit that is a string', server({ sidecars: [container({ resources: { limits: { memory: '64Mi' } } })] }), 'FORMAT', 'pod.sidecars[0].resources.limits.memory'],
  ['a memory limit that is null', server({ sidecars: [container({ resources: { limits: { memory: null } } })] }), 'FORMAT', 'pod.sidecars[0].resources.limits.memory'],
  ['a volume source that is null', server({ volumes: [{ name: 'v', emptyDir: null }] }), 'POD_SECURITY', 'pod.volumes[0]'],
  ['ports that are a string', server({ sidecars: [container({ ports: 'x' })] }), 'FORMAT', 'pod.sidecars[0].ports'],
  ['an empty port', server({ sidecars: [container({ ports: [null] })] }), 'REQUIRED', 'pod.sidecars[0].ports[0]'],
  ['args that are a string', server({ sidecars: [container({ args: '--x' })] }), 'FORMAT', 'pod.sidecars[0].args'],
  ['env that is a string', server({ sidecars: [container({ env: 'x' })] }), 'FORMAT', 'pod.sidecars[0].env'],
  ['a drop that is a string', server({ sidecars: [container({ securityContext: { capabilities: { drop: 'ALL' } } })] }), 'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['an add that is a string', server({ sidecars: [container({ securityContext: { capabilities: { add: 'SYS_ADMIN', drop: ['ALL'] } } })] }), 'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['an unconfined AppArmor profile field', server({ sidecars: [container({ securityContext: { appArmorProfile: { type: 'Unconfined' } } })] }), 'POD_SECURITY', 'pod.sidecars[0].securityContext'],
  ['a sidecar mount of an unknown volume', server({ sidecars: [container({ volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }] })] }), 'REQUIRED', 'pod.sidecars[0].volumeMounts[0].name'],
  ['a sidecar mount over /proc', server({ volumes: [{ name: 'a', emptyDir: {} }], sidecars: [container({ volumeMounts: [{ name: 'a', mountPath: '/proc/sys' }] })] }),
    'PATH', 'pod.sidecars[0].volumeMounts[0].mountPath'],
  ['bidirectional mount propagation', server({ volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: '/a', mountPropagation: 'Bidirectional' }] }),
    'POD_SECURITY', 'pod.volumeMounts[0].mountPropagation'],
  ['a volume named as the SQLite claim', server({ volumes: [{ name: 'data', emptyDir: {} }] }), 'RESERVED', 'pod.volumes[0].name'],
  ['an unconfined AppArmor annotation on flow-run Jobs', (chart: Chart) => new PrefectWorkerPool(chart, 'pool', {
    connection, poolName: 'etl', jobTemplate: { annotations: { 'container.apparmor.security.beta.kubernetes.io/prefect-job': 'unconfined' } },
  }), 'POD_SECURITY', 'jobTemplate.annotations[container.apparmor.security.beta.kubernetes.io/prefect-job]'],
  ['an autoscaled server whose sidecar has no CPU request', ha({ replicas: undefined, autoscaling: { minReplicas: 2, maxReplicas: 4 }, pod: { sidecars: [container()] } }),
    'REQUIRED', 'pod.sidecars[0].resources'],
  ['autoscaled workers whose sidecar has no memory request', workers({ sidecars: [container({ resources: { requests: { cpu: k8s.Quantity.fromString('10m') }, limits: memory.limits } })] }, { autoscaling: { minReplicas: 1, maxReplicas: 2, memoryUtilization: 80 } }),
    'REQUIRED', 'pod.sidecars[0].resources'],
  ['a node selector of an earlier release', (chart: Chart) => new PrefectWorkerPool(chart, 'pool', { connection, poolName: 'etl', nodeSelector: { a: 'b' } } as Json), 'RESERVED', 'nodeSelector'],
  ['sidecars on the Dask scheduler', dask({ schedulerPod: { sidecars: [container()] } }), 'CONFLICT', 'schedulerPod.sidecars'],
  ['sidecars on the Dask workers', dask({ workerPod: { sidecars: [container()] } }), 'CONFLICT', 'workerPod.sidecars'],
  ['bad cleanup pod options', dask({ cleanupPod: { priorityClassName: '-' } }), 'FORMAT', 'cleanupPod.priorityClassName'],
  ['AgentRbac: a ServiceAccount annotation key that is none', (chart: Chart) => new AgentRbac(chart, 'rbac', { serviceAccountAnnotations: { 'a b': 'x' } }),
    'FORMAT', 'serviceAccountAnnotations'],
];

test.each(CASES)('%s', (_what, build, code, prop) => {
  const message = synthError(build);
  expect(inputErrorOf(message)).toEqual({ code, prop });
  expect(message).not.toContain('s3cr3t');
});

test('every case builds when its bad value is left out', () => {
  // The same workloads with good options synthesize: the errors above come from the values.
  const good: PrefectPodOptions = {
    volumes: [{ name: 'a', emptyDir: {} }], volumeMounts: [{ name: 'a', mountPath: '/a', subPath: 'b' }],
    sidecars: [container()], initContainers: [container({ name: 'init' })],
    tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }],
    envFrom: [{ configMapRef: { name: 'a' }, prefix: 'A_' }],
  };
  for (const build of [server(good), workers(good), flowRuns(good), ha({ pod: good, servicesPod: good, migrationPod: good }), dask({ cleanupPod: good })]) {
    expect(synthError(build)).toBeUndefined();
  }
});
