import { k8s } from 'cdk8s-plus-27';
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
