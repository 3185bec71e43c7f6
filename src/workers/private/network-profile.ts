import { k8s } from 'cdk8s-plus-27';
import { flowRunSelectorLabels, stableLabels } from '../../core/private/labels';
import type { DaskScratch } from '../../dask/dask-scratch';

/** What network policies need to know of a worker pool: its pods and whom they talk to. */
export interface WorkerPoolNetworkProfile {
  /** The namespace of the worker pods. */
  readonly namespace?: string;
  /** Selects the pool's worker pods in their namespace. */
  readonly workerSelector: k8s.LabelSelector;
  /** Where the pool's flow-run pods run and how they are selected, when they are Jobs. */
  readonly flowRuns?: {
    readonly namespaces: string[];
    readonly selector: k8s.LabelSelector;
    /** Whether the pods carry this library's labels (Jobs from its templates). */
    readonly labelled: boolean;
  };
  /** Whether the workers launch Jobs through the Kubernetes API. */
  readonly callsKubernetesApi: boolean;
  /** Whether an init container installs pip packages (from a package index, over HTTPS). */
  readonly installsPackages: boolean;
  /** The throwaway Dask clusters its flow runs start, if any. */
  readonly dask?: DaskScratch;
}

/**
 * Selects a pool's flow-run pods. Pods of Jobs from this library's templates (`labelled`) carry its
 * labels; Prefect 2 agents' KubernetesJob blocks and pools whose template is managed elsewhere only
 * label the Job, so their pods are known by the Job controller's label alone.
 */
export function flowRunSelector(poolName: string, component: string, labelled: boolean): k8s.LabelSelector {
  if (labelled) return { matchLabels: flowRunSelectorLabels(poolName, component) };
  return {
    // Job pods other than this library's own (migrations, cleanups): whatever a worker sets as
    // managed-by (Prefect 3: "prefect"; Prefect 2: nothing), it is not this library's name.
    matchExpressions: [
      { key: 'job-name', operator: 'Exists' },
      { key: 'app.kubernetes.io/managed-by', operator: 'NotIn', values: [stableLabels(poolName, component)['app.kubernetes.io/managed-by']] },
    ],
  };
}
