import { k8s } from 'cdk8s-plus-27';

/** What a pool's job template adds for a DaskScratch. */
export interface DaskJobTemplateAdditions {
  readonly serviceAccountName: string;
  readonly env: k8s.EnvVar[];
  readonly volume: k8s.Volume;
  readonly volumeMount: k8s.VolumeMount;
}
