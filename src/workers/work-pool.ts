/** The kind of infrastructure a work pool runs flows on. */
export enum WorkPoolType {
  /** Each flow run is a Kubernetes Job (prefect-kubernetes). */
  KUBERNETES = 'kubernetes',
  /** Each flow run is a process in the worker's pod. */
  PROCESS = 'process',
}

/** How the pool's queues are spread over Deployments. */
export enum QueueDeployments {
  /** One Deployment whose workers poll every queue of the pool. */
  SHARED = 'SHARED',
  /** One Deployment per queue, so a stuck queue does not starve the others. */
  PER_QUEUE = 'PER_QUEUE',
}

/** A work queue of the pool. */
export interface WorkQueue {
  /** The queue's name. */
  readonly name: string;

  /**
   * Priority within the pool: 1 is served first.
   * @default Prefect's (after the existing queues)
   */
  readonly priority?: number;

  /**
   * Most flow runs of this queue running at once.
   * @default no limit
   */
  readonly concurrencyLimit?: number;
}

/** A configuration file mounted read-only into the worker pods and the flow-run pods. */
export interface ConfigFile {
  /** Absolute path of the file, e.g. `/etc/krb5.conf`. */
  readonly path: string;
  /** The file's content (written into a ConfigMap: no secrets). */
  readonly content: string;
}
