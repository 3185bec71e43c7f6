import { Duration, JsonPatch } from 'cdk8s';
import { ContainerResources, ImagePullPolicy } from 'cdk8s-plus-27';
import { EnvironmentVariable } from '../core/environment-variable';
import { PrefectPodOptions } from '../core/pod-options';
import { PrefectImage } from '../core/prefect-image';

/**
 * The Kubernetes Job every flow run of a `kubernetes` work pool (or of the Prefect 1 agent) is
 * created from. Kept in git: the pool's template is replaced by this one on every rollout.
 */
export interface KubernetesJobTemplateOptions {
  /**
   * Namespace the flow-run Jobs are created in. The worker gets the permissions it needs there.
   * @default the pool's namespace
   */
  readonly namespace?: string;

  /**
   * Image of the flow-run container. Deployments usually choose their own; this is the fallback.
   * @default the official image of the worker's Prefect release (standard flavor)
   */
  readonly image?: PrefectImage;

  /**
   * ServiceAccount of the flow-run pods. When set, its token is mounted; otherwise the pods run as
   * the namespace's default ServiceAccount without a token.
   * @default none
   */
  readonly serviceAccountName?: string;

  /**
   * When the kubelet pulls the image.
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: ImagePullPolicy;

  /**
   * Names of existing Secrets (in the job namespace) to pull the image with.
   * @default the pool's imagePullSecrets
   */
  readonly imagePullSecrets?: string[];

  /**
   * Resources of the flow-run container (deployments can override them, Prefect 2.20+ workers
   * through `cpu_request`, `cpu_limit`, `memory_request` and `memory_limit`; ephemeral storage is
   * fixed by the pool). A memory limit is required.
   * @default requests 500m CPU and 512Mi memory, memory limit 2Gi
   */
  readonly resources?: ContainerResources;

  /**
   * Extended resources of the flow-run container, such as `{ 'nvidia.com/gpu': 1 }`: requested
   * and limited alike, as Kubernetes requires (fixed by the pool, not a job variable).
   * @default none
   */
  readonly extendedResources?: { [resource: string]: number };

  /**
   * Raw JSON patches on the flow-run Job, for what no option covers, e.g.
   * `JsonPatch.add('/spec/template/spec/hostAliases', [...])` (paths from the Job's root). The
   * patched Job is checked: its flow-run container, the labels that select its pods and Pod
   * Security "restricted" stay, and no placeholder is added.
   * @default none
   */
  readonly patches?: JsonPatch[];

  /**
   * Environment of the flow-run container, in addition to what the worker sets.
   * @default none
   */
  readonly env?: EnvironmentVariable[];

  /**
   * Labels of the Jobs (deployments may replace them through the `labels` job variable).
   * @default none
   */
  readonly labels?: { [key: string]: string };

  /**
   * Annotations of the Jobs and their pods, added to the default.
   * @default `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`, so the autoscaler does not evict a running flow
   */
  readonly annotations?: { [key: string]: string };

  /**
   * How long a finished Job (and its pod) is kept before Kubernetes deletes it.
   * @default Duration.days(1)
   */
  readonly finishedJobTtl?: Duration;

  /**
   * How many times Kubernetes retries a failed pod. Prefect retries flows itself, and with 0 an
   * evicted run is rescheduled by Prefect 3 instead of retried by Kubernetes.
   * @default 0
   */
  readonly backoffLimit?: number;

  /**
   * How long a worker waits for the flow-run pod to start (image pull included) before it reports
   * the run as crashed. Read by Prefect 2 workers and by Prefect 3 workers before prefect-kubernetes 0.6.
   * @default Duration.minutes(5)
   */
  readonly podWatchTimeout?: Duration;

  /**
   * What is set on the flow-run pods (see `PrefectPodOptions`). Scheduling (`nodeSelector`,
   * `tolerations`, `affinity`, `topologySpreadConstraints`, `priorityClassName`),
   * `terminationGracePeriod` and `envFrom` become job variables a deployment can override
   * (`node_selector`, `tolerations`, `affinity`, `topology_spread_constraints`,
   * `priority_class_name`, `termination_grace_period_seconds`, `env_from`); volumes, mounts, init
   * containers and sidecars are fixed by the pool, since a variable would replace the whole list,
   * the library's volumes included. Pod annotations join `annotations`. A `serviceAccount` makes
   * the pool create an account of that name in each job namespace (`<name>-flow-run`), which the
   * flow runs use without a Kubernetes API token.
   * @default none
   */
  readonly pod?: PrefectPodOptions;
}
