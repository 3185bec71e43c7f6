import { Size, SizeRoundingBehavior } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import type {
  DaskClusterProps, DaskClusterSpecSchedulerSpec, DaskClusterSpecSchedulerSpecContainers, DaskClusterSpecWorkerSpec, DaskClusterSpecWorkerSpecContainers,
} from '../../../imports/kubernetes.dask.org';
import { PrefectPodOptions } from '../../core/pod-options';
import { PrefectImage } from '../../core/prefect-image';
import { KubeletText, renderArgs, renderEnv } from '../../core/private/kubelet';
import { podBasics } from '../../core/private/pod';
import { addPodOptions, plainPodOptions, podMetadata } from '../../core/private/pod-options';
import { mergeResources, toRequirements } from '../../core/private/resources';
import { restrictedContainer } from '../../core/private/security';

const EXACT = SizeRoundingBehavior.NONE;
const DEFAULT_WORKER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.units(1) },
  memory: { request: Size.gibibytes(4), limit: Size.gibibytes(4) },
};
const DEFAULT_SCHEDULER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(250) },
  memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
};
const SCRATCH_DIRECTORY = '/scratch';
const DASK_HOME = '/tmp';
const TMP_SIZE = Size.gibibytes(1);
/** The cluster's name in the spec, which the dask_scratch module replaces per flow run. */
export const NAME_PLACEHOLDER = 'dask-scratch-cluster';

// Generous: a busy worker's event loop answers late, and a restart loses its data.
const probe = (initialDelaySeconds: number) => ({
  httpGet: { path: '/health', port: 'http-dashboard' }, initialDelaySeconds, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6,
});
const quantities = (r: k8s.ResourceRequirements) => ({
  requests: Object.fromEntries(Object.entries(r.requests ?? {}).map(([k, v]) => [k, String(v.value)])),
  limits: Object.fromEntries(Object.entries(r.limits ?? {}).map(([k, v]) => [k, String(v.value)])),
});

/** What a DaskScratch's cluster spec is made of. */
export interface ClusterSpecParts {
  readonly image: PrefectImage;
  readonly scratchSize: Size;
  readonly maxSpill: Size;
  /** Seconds. */
  readonly idleTimeout: number;
  readonly workers: number;
  readonly scheduler: ContainerResources;
  readonly worker: ContainerResources;
  readonly labels: (component: string) => Record<string, string>;
  /** The DaskScratch, which errors about the pod options name. */
  readonly scope: IConstruct;
  readonly schedulerPod?: PrefectPodOptions;
  readonly workerPod?: PrefectPodOptions;
  readonly accounts: { readonly scheduler?: string; readonly worker?: string };
}

/** The scheduler's, with ephemeral storage for its /tmp (a quota on it needs every pod to say). */
export function schedulerResources(given: ContainerResources | undefined): ContainerResources {
  const tmp = TMP_SIZE.toMebibytes({ rounding: EXACT });
  return {
    ...mergeResources(DEFAULT_SCHEDULER_RESOURCES, given),
    ephemeralStorage: { request: Size.mebibytes(256), limit: Size.mebibytes(tmp + 256) },
  };
}

/** A worker's: the scratch volume and /tmp (its home) count against ephemeral storage. */
export function workerResources(given: ContainerResources | undefined, scratchSize: Size): ContainerResources {
  const scratch = scratchSize.toMebibytes({ rounding: EXACT });
  const tmp = TMP_SIZE.toMebibytes({ rounding: EXACT });
  return {
    ...mergeResources(DEFAULT_WORKER_RESOURCES, given),
    ephemeralStorage: { request: Size.mebibytes(scratch), limit: Size.mebibytes(scratch + tmp) },
  };
}

/** The DaskCluster manifest flow runs create, with restricted pods and scratch space. */
export function clusterManifest(spec: ClusterSpecParts): Record<string, unknown> {
  const scratch = `${spec.scratchSize.toMebibytes({ rounding: EXACT })}Mi`;
  const env = [
    { name: 'HOME', value: DASK_HOME },
    { name: 'PYTHONDONTWRITEBYTECODE', value: '1' },
  ];
  const tmp = { name: 'tmp', emptyDir: { sizeLimit: TMP_SIZE.asString() } };
  // Neither the scheduler nor the workers call the Kubernetes API.
  const basics = podBasics(false);
  const scheduler = schedulerContainer(spec, env);
  const worker = workerContainer(spec, env);
  const props: DaskClusterProps = {
    metadata: { name: NAME_PLACEHOLDER, labels: spec.labels('cluster') },
    spec: {
      idleTimeout: spec.idleTimeout,
      scheduler: {
        metadata: podMetadata(spec.schedulerPod, spec.labels('scheduler')),
        spec: addPodOptions({ scope: spec.scope, prop: 'schedulerPod', options: plainPodOptions(spec.schedulerPod) },
          { ...account(spec.accounts.scheduler), ...basics, containers: [scheduler], volumes: [tmp] }) as DaskClusterSpecSchedulerSpec,
        service: {
          type: 'ClusterIP',
          // The operator adds no selector; the helper puts the cluster's own name here.
          selector: { 'dask.org/cluster-name': NAME_PLACEHOLDER, 'dask.org/component': 'scheduler' },
          ports: [
            { name: 'tcp-comm', protocol: 'TCP', port: 8786, targetPort: 'tcp-comm' },
            { name: 'http-dashboard', protocol: 'TCP', port: 8787, targetPort: 'http-dashboard' },
          ],
        },
      },
      worker: {
        metadata: podMetadata(spec.workerPod, spec.labels('worker')),
        replicas: spec.workers,
        spec: addPodOptions({ scope: spec.scope, prop: 'workerPod', options: plainPodOptions(spec.workerPod) },
          { ...account(spec.accounts.worker), ...basics, containers: [worker], volumes: [tmp, { name: 'scratch', emptyDir: { sizeLimit: scratch } }] }) as DaskClusterSpecWorkerSpec,
      },
    },
  };
  // The generated DaskCluster code is large: it loads only when a DaskScratch is built, not with
  // the library.
  const { toJson_DaskClusterProps } = require('../../../imports/kubernetes.dask.org') as typeof import('../../../imports/kubernetes.dask.org');
  return { apiVersion: 'kubernetes.dask.org/v1', kind: 'DaskCluster', ...toJson_DaskClusterProps(props) };
}

function account(name: string | undefined): { serviceAccountName?: string } {
  return name !== undefined ? { serviceAccountName: name } : {};
}

function schedulerContainer(spec: ClusterSpecParts, env: Array<{ name: string; value: string }>): DaskClusterSpecSchedulerSpecContainers {
  const image = spec.image.reference;
  return {
    name: 'scheduler',
    image,
    args: renderArgs(['dask', 'scheduler', '--host', '0.0.0.0']),
    env: renderEnv([...env, { name: 'DASK_TEMPORARY_DIRECTORY', value: '/tmp' }]),
    ports: [
      { name: 'tcp-comm', containerPort: 8786, protocol: 'TCP' },
      { name: 'http-dashboard', containerPort: 8787, protocol: 'TCP' },
    ],
    readinessProbe: probe(0),
    livenessProbe: probe(15),
    resources: quantities(toRequirements(spec.scheduler)),
    securityContext: restrictedContainer(),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function workerContainer(spec: ClusterSpecParts, env: Array<{ name: string; value: string }>): DaskClusterSpecWorkerSpecContainers {
  const image = spec.image.reference;
  return {
    name: 'worker',
    image,
    // The operator sets DASK_WORKER_NAME and DASK_SCHEDULER_ADDRESS.
    args: renderArgs(['dask', 'worker', '--name', KubeletText.reference('DASK_WORKER_NAME'), '--dashboard', '--dashboard-address', '8788']),
    env: renderEnv([
      ...env,
      { name: 'DASK_TEMPORARY_DIRECTORY', value: SCRATCH_DIRECTORY },
      { name: 'DASK_DISTRIBUTED__WORKER__MEMORY__MAX_SPILL', value: `${spec.maxSpill.toMebibytes({ rounding: EXACT })}MiB` },
    ]),
    ports: [{ name: 'http-dashboard', containerPort: 8788, protocol: 'TCP' }],
    livenessProbe: probe(15),
    resources: quantities(toRequirements(spec.worker)),
    securityContext: restrictedContainer(),
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'scratch', mountPath: SCRATCH_DIRECTORY }],
  };
}
