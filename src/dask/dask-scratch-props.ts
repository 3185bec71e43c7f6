import { Duration, Size } from 'cdk8s';
import { ContainerResources, Cpu } from 'cdk8s-plus-27';
import { PrefectPodOptions } from '../core/pod-options';
import { PrefectImage } from '../core/prefect-image';

/** Bounds of the scratch namespace (ResourceQuota). */
export interface DaskScratchQuota {
  /**
   * Pods at once (schedulers and workers of all clusters).
   * @default 50
   */
  readonly pods?: number;

  /**
   * Total CPU requests.
   * @default Cpu.units(32)
   */
  readonly cpu?: Cpu;

  /**
   * Total memory requests and limits.
   * @default Size.gibibytes(128)
   */
  readonly memory?: Size;

  /**
   * Total ephemeral-storage requests and limits (worker scratch space included).
   * @default Size.gibibytes(1024)
   */
  readonly ephemeralStorage?: Size;
}

/** Properties of a `DaskScratch`. */
export interface DaskScratchProps {
  /**
   * The image of the Dask scheduler and workers. The workers run the flow's tasks, so it is the
   * flow's image: it must contain prefect, prefect-dask, dask-kubernetes and the flow's
   * dependencies, with the same `distributed` release as the flow-run pods.
   */
  readonly image: PrefectImage;

  /**
   * A namespace for the Dask clusters, which the construct creates with Pod Security "restricted"
   * enforced, a ResourceQuota and a LimitRange.
   * @default the clusters run in the flow runs' own namespaces, without quota
   */
  readonly namespace?: string;

  /**
   * Name of the construct's objects (and prefix of the Dask clusters' names).
   * @default "dask"
   */
  readonly name?: string;

  /**
   * Workers per cluster.
   * @default 2
   */
  readonly workers?: number;

  /**
   * Resources of each worker. A memory limit is required.
   * @default requests 1 CPU and 4Gi memory, memory limit 4Gi
   */
  readonly workerResources?: ContainerResources;

  /**
   * Resources of the scheduler. A memory limit is required.
   * @default requests 250m CPU and 1Gi memory, memory limit 2Gi
   */
  readonly schedulerResources?: ContainerResources;

  /**
   * Disk space each worker may spill to (a disk-backed emptyDir of this size limit, mounted as
   * Dask's temporary directory, within the pod's ephemeral-storage request and limit).
   * @default Size.gibibytes(10)
   */
  readonly scratchSize?: Size;

  /**
   * How much a worker spills at most (`distributed.worker.memory.max-spill`); below `scratchSize`,
   * so Dask stops spilling before the kubelet evicts the pod for a full volume.
   * @default 80% of scratchSize
   */
  readonly maxSpill?: Size;

  /**
   * How long a cluster may go without Dask work before the operator deletes it: the safety net
   * for clusters whose flow-run pod died before closing them.
   * @default Duration.hours(1)
   */
  readonly idleTimeout?: Duration;

  /**
   * Bounds of the scratch namespace (with `namespace` only).
   * @default see DaskScratchQuota
   */
  readonly quota?: DaskScratchQuota;
  /**
   * Age at which the cleanup deletes a Dask cluster of this spec, whatever it is doing: flows that
   * need longer must be given more.
   * @default Duration.hours(24)
   */
  readonly maxClusterLifetime?: Duration;

  /**
   * Age at which the cleanup deletes Succeeded and Failed pods left in the flow-run namespaces
   * (flow-run pods, classic dask-kubernetes workers): long enough to read a failure's logs.
   * @default Duration.hours(6)
   */
  readonly finishedPodAge?: Duration;

  /**
   * Age after finishing at which the cleanup deletes flow-run Jobs (those whose own TTL was unset
   * or changed).
   * @default Duration.days(1)
   */
  readonly finishedJobAge?: Duration;

  /**
   * When the cleanup runs (cron syntax, in the controller manager's time zone).
   * @default every 15 minutes
   */
  readonly cleanupSchedule?: string;

  /**
   * The image of the cleanup (it needs Python 3.9 or newer only).
   * @default the official image of `image`'s release (Python 3.12; 3.11 for Prefect 2, 3.10 for Prefect 1)
   */
  readonly cleanupImage?: PrefectImage;

  /**
   * What is set on the scheduler's pods (see `PrefectPodOptions`). Its `serviceAccount` makes an
   * account `<name>-scheduler` where the clusters run. No sidecars: the DaskCluster resource has
   * no native sidecars.
   * @default none
   */
  readonly schedulerPod?: PrefectPodOptions;

  /**
   * What is set on the Dask workers' pods, as `schedulerPod` is (account `<name>-worker`).
   * @default none
   */
  readonly workerPod?: PrefectPodOptions;

  /**
   * What is set on the cleanup CronJob's pods. Its `serviceAccount` annotates the cleanup's account.
   * @default none
   */
  readonly cleanupPod?: PrefectPodOptions;
}
