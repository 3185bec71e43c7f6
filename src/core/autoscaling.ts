import { Duration } from 'cdk8s';

/**
 * A HorizontalPodAutoscaler (`autoscaling/v2`) for a workload, instead of a fixed `replicas`: the
 * workload's manifest then sets no replica count, so re-applying it (a GitOps tool does on every
 * change) leaves the autoscaler's choice alone. The cluster needs the metrics API (metrics-server).
 */
export interface PrefectAutoscaling {
  /** The fewest pods. */
  readonly minReplicas: number;

  /** The most pods. */
  readonly maxReplicas: number;

  /**
   * The average CPU use the autoscaler keeps, in percent of the pods' CPU request.
   * @default 80, unless only memoryUtilization is set
   */
  readonly cpuUtilization?: number;

  /**
   * The average memory use the autoscaler keeps, in percent of the pods' memory request.
   * @default none
   */
  readonly memoryUtilization?: number;

  /**
   * How long the autoscaler waits after load drops before it removes pods.
   * @default Duration.minutes(5), as Kubernetes does
   */
  readonly scaleDownStabilization?: Duration;
}
