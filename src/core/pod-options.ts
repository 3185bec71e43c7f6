import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';

/** The ServiceAccount a workload's pods run as. */
export interface PrefectServiceAccountOptions {
  /**
   * Annotations of the ServiceAccount: a cloud identity such as
   * `eks.amazonaws.com/role-arn` (IRSA) or `iam.gke.io/gcp-service-account` (Workload Identity).
   * @default none
   */
  readonly annotations?: { [key: string]: string };
}

/**
 * What a platform team sets on a workload's pods, the same for every workload of the library: the
 * server, its background services and migration Job, the workers, the flow-run Jobs, the Dask
 * scheduler and workers, and the cleanup CronJob. The library's own settings (Pod Security
 * "restricted", its volumes, labels and variables) stay: these add to them.
 */
export interface PrefectPodOptions {
  /**
   * Labels of the pods, beside the library's `app.kubernetes.io/*` labels (which select them and
   * may not be set here).
   * @default none
   */
  readonly labels?: { [key: string]: string };

  /**
   * Annotations of the pods (a mesh, a Vault agent, a monitoring agent).
   * @default none
   */
  readonly annotations?: { [key: string]: string };

  /**
   * Node labels the pods must run on.
   * @default none
   */
  readonly nodeSelector?: { [key: string]: string };

  /**
   * Tolerations of the pods (tainted GPU or spot nodes).
   * @default none
   */
  readonly tolerations?: k8s.Toleration[];

  /**
   * Node and pod affinity of the pods.
   * @default none
   */
  readonly affinity?: k8s.Affinity;

  /**
   * Topology spread constraints of the pods, after the library's own (a highly available server
   * spreads its API pods over nodes).
   * @default none
   */
  readonly topologySpreadConstraints?: k8s.TopologySpreadConstraint[];

  /**
   * The PriorityClass of the pods.
   * @default the cluster's default priority
   */
  readonly priorityClassName?: string;

  /**
   * The pods' ServiceAccount: its annotations. The library creates or already owns the account;
   * the token is mounted only where the pods call the Kubernetes API.
   * @default the library's account, without annotations
   */
  readonly serviceAccount?: PrefectServiceAccountOptions;

  /**
   * Extra volumes of the pods, of the types Pod Security "restricted" allows (configMap, secret,
   * projected, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, csi).
   * @default none
   */
  readonly volumes?: k8s.Volume[];

  /**
   * Where the library's containers mount the extra volumes (only those: the library's own volumes
   * stay where it mounts them).
   * @default none
   */
  readonly volumeMounts?: k8s.VolumeMount[];

  /**
   * Extra init containers, run after the sidecars have started and before the library's init
   * containers. Each must pass Pod Security "restricted": unset security settings are the
   * library's (uid 1001, read-only root filesystem, no privileges, no capabilities).
   * @default none
   */
  readonly initContainers?: k8s.Container[];

  /**
   * Sidecars (a database proxy such as cloud-sql-proxy, an agent): native sidecars, that is init
   * containers with `restartPolicy: Always`, which start before every other container and do not
   * keep a Job from completing. They need Kubernetes 1.29 or later. Checked as `initContainers` are.
   * @default none
   */
  readonly sidecars?: k8s.Container[];

  /**
   * Variables from ConfigMaps and Secrets, for the library's containers. A variable the library
   * sets itself takes precedence over one of the same name from here.
   * @default none
   */
  readonly envFrom?: k8s.EnvFromSource[];

  /**
   * How long a pod has to stop after SIGTERM before it is killed.
   * @default Kubernetes' (30 seconds)
   */
  readonly terminationGracePeriod?: Duration;
}
