import { k8s } from 'cdk8s-plus-27';

/** Where the flow-run pods of a pool with dask find the dask_scratch module and its settings. */
export const DASK_CONFIG_DIRECTORY = '/etc/dask-scratch';

/** What a pool's job template adds for a DaskScratch. */
export interface DaskJobTemplateAdditions {
  readonly serviceAccountName: string;
  readonly env: k8s.EnvVar[];
  readonly volume: k8s.Volume;
  readonly volumeMount: k8s.VolumeMount;
}
