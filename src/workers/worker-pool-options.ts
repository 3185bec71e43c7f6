import { Duration } from 'cdk8s';
import { ContainerResources } from 'cdk8s-plus-27';
import { PrefectAutoscaling } from '../core/autoscaling';
import { EnvironmentVariable } from '../core/environment-variable';
import { PrefectLogLevel } from '../core/log-level';
import { PrefectPodOptions } from '../core/pod-options';
import { PrefectImage } from '../core/prefect-image';
import { KubernetesJobTemplateOptions } from './kubernetes-job-template';
import { ConfigFile, QueueDeployments, WorkPoolType, WorkQueue } from './work-pool';
import { WorkerRuntime } from './worker-runtime';

/** How many worker pods a voluntary disruption (a drain, an upgrade) may take at once: one of the two. */
export interface WorkerDisruptionBudget {
  /**
   * The most worker pods of a Deployment that may be down at once.
   * @default 1, unless minAvailable is set
   */
  readonly maxUnavailable?: number;

  /**
   * The fewest worker pods of a Deployment that must stay up; less than its pods, so a drain can
   * proceed.
   * @default none
   */
  readonly minAvailable?: number;
}

/**
 * What a `PrefectWorkerPool` is, apart from what it connects to: the options a `PrefectPlatform`
 * takes for each of its pools.
 */
export interface PrefectWorkerPoolOptions {
  /**
   * The program that polls the pool.
   * @default WorkerRuntime.worker()
   */
  readonly runtime?: WorkerRuntime;

  /**
   * What flow runs run on.
   * @default WorkPoolType.KUBERNETES
   */
  readonly type?: WorkPoolType;

  /**
   * The work pool's name in Prefect (not for the Prefect 1 agent, which has no pools).
   * @default "default"
   */
  readonly poolName?: string;

  /**
   * Name of the Kubernetes objects (Deployments, ServiceAccount, ConfigMaps).
   * @default "<poolName>-worker" for workers, "<poolName>-agent" for Prefect 2 agents, "prefect-agent" for the Prefect 1 agent
   */
  readonly name?: string;

  /**
   * The pool's work queues, created with their priority and concurrency limit.
   * @default none: the workers poll every queue of the pool
   */
  readonly queues?: WorkQueue[];

  /**
   * One Deployment for all queues, or one per queue.
   * @default QueueDeployments.SHARED
   */
  readonly queueDeployments?: QueueDeployments;

  /**
   * Worker pods per Deployment.
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Scale each worker Deployment with a HorizontalPodAutoscaler instead of a fixed `replicas`
   * (which must then be unset). Mostly for process pools, whose flow runs use the workers' CPU.
   * @default none: `replicas` pods
   */
  readonly autoscaling?: PrefectAutoscaling;

  /**
   * A PodDisruptionBudget for each worker Deployment, so a node drain or cluster upgrade never
   * takes more workers away at once than this allows.
   * @default none
   */
  readonly disruptionBudget?: WorkerDisruptionBudget;

  /**
   * Most flow runs one worker runs at once (`--limit`).
   * @default no limit
   */
  readonly limit?: number;

  /**
   * The worker's name in Prefect. Only with one worker pod in all.
   * @default the pod's name
   */
  readonly workerName?: string;

  /**
   * How long before its scheduled time a flow run is submitted (`--prefetch-seconds`).
   * @default Prefect's (10 s for workers, 15 s for agents)
   */
  readonly prefetch?: Duration;

  /**
   * How often the pool is polled for runs.
   * @default Prefect's (10 s for workers, 15 s for agents)
   */
  readonly queryInterval?: Duration;

  /**
   * Log level of the workers.
   * @default PrefectLogLevel.INFO
   */
  readonly logLevel?: PrefectLogLevel;

  /**
   * The image of the workers.
   * @default the official image of the server's release for `inCluster` connections, else of the runtime's newest release (3.8.3, 2.20.25 or 1.4.1); the `-kubernetes` flavor for kubernetes pools of Prefect 2 and 3
   */
  readonly image?: PrefectImage;

  /**
   * Names of existing Secrets to pull the images with (also the flow-run default).
   * @default none
   */
  readonly imagePullSecrets?: string[];

  /**
   * Extra environment variables of the workers. They may not replace one the construct sets.
   * @default none
   */
  readonly env?: EnvironmentVariable[];

  /**
   * IANA time zone of the workers and flow runs (`TZ`), e.g. `Europe/Warsaw`.
   * @default the image's (UTC)
   */
  readonly timeZone?: string;

  /**
   * What is set on the worker pods (see `PrefectPodOptions`): labels, annotations, scheduling,
   * extra volumes, init containers and sidecars, `envFrom`. Its `serviceAccount` annotates the
   * workers' ServiceAccount. Flow-run pods take theirs from `jobTemplate.pod`.
   * @default none
   */
  readonly pod?: PrefectPodOptions;

  /**
   * Resources of the worker container. A memory limit is required.
   * @default requests 100m CPU and 256Mi memory, memory limit 1Gi
   */
  readonly resources?: ContainerResources;

  /**
   * The Job flow runs are created from (kubernetes pools and the Prefect 1 agent). It replaces
   * the pool's base job template on every rollout.
   * @default KubernetesJobTemplateOptions defaults
   */
  readonly jobTemplate?: KubernetesJobTemplateOptions;

  /**
   * Further namespaces deployments may send their flow runs to (through the `namespace` job
   * variable): the worker gets its permissions and watches runs there too.
   * @default none
   */
  readonly additionalJobNamespaces?: string[];

  /**
   * A fixed cluster identifier for the worker (`PREFECT_KUBERNETES_CLUSTER_UID`), so it need not
   * read the `kube-system` namespace (cluster-wide permission) to tell clusters apart.
   * @default none
   */
  readonly clusterUid?: string;

  /**
   * Create or update the work pool, its base job template and its queues before the workers start.
   * Turn off when the pool is managed elsewhere (for example with Terraform).
   * @default true
   */
  readonly managePool?: boolean;

  /**
   * Extra Python packages for the workers (pip requirement specifiers, e.g. `prefect-aws==0.5.10`),
   * installed by an init container into a volume on `PYTHONPATH`, since the image is read-only.
   * The cluster must reach the package index.
   * @default none
   */
  readonly pipPackages?: string[];

  /**
   * Configuration files mounted into the worker pods and the flow-run pods, e.g. `/etc/krb5.conf`.
   * @default none
   */
  readonly configFiles?: ConfigFile[];
}
