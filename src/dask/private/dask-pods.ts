import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PrefectPodOptions } from '../../core/pod-options';
import { checkPodOptions } from '../../core/private/pod-options';
import { propError } from '../../core/private/validation';
import { ValidationCode } from '../../core/validation-code';
import { DaskScratchProps } from '../dask-scratch-props';

/** The roles of a throwaway cluster's pods, by the prop that holds their pod options. */
export const CLUSTER_POD_PROPS = { scheduler: 'schedulerPod', worker: 'workerPod' } as const;
export type ClusterRole = keyof typeof CLUSTER_POD_PROPS;

/** Checks the pod options of the scheduler, the workers and the cleanup. */
export function checkDaskPods(scope: IConstruct, props: DaskScratchProps): void {
  for (const prop of Object.values(CLUSTER_POD_PROPS)) {
    const options = props[prop];
    checkPodOptions({ scope, prop, options });
    if ((options?.sidecars ?? []).length > 0) {
      // The CRD's container schema has no restartPolicy: the API server would drop it, and a
      // sidecar that never exits would keep the pod from starting.
      throw propError(scope, `${prop}.sidecars`, options!.sidecars!.map(c => c.name).join(','),
        'none: the DaskCluster resource cannot declare native sidecars (its pod schema has no container restartPolicy); use initContainers, or a container in the image', ValidationCode.CONFLICT);
    }
  }
  checkPodOptions({ scope, prop: 'cleanupPod', options: props.cleanupPod });
}

/** The pod options of the cluster's pods of one role. */
export function clusterPodOptions(props: DaskScratchProps, role: ClusterRole): PrefectPodOptions | undefined {
  return props[CLUSTER_POD_PROPS[role]];
}

/** The ServiceAccount of a role's pods, when its pod options annotate one: `<name>-<role>`. */
export function clusterAccountName(props: DaskScratchProps, name: string, role: ClusterRole): string | undefined {
  return clusterPodOptions(props, role)?.serviceAccount ? `${name}-${role}` : undefined;
}

/**
 * The ServiceAccounts of the cluster pods in a namespace where clusters run: only for roles whose
 * pod options annotate one, with no permissions and no token.
 */
export function clusterAccounts(scope: Construct, props: DaskScratchProps, name: string, namespace: string, labels: Record<string, string>): void {
  for (const role of Object.keys(CLUSTER_POD_PROPS) as ClusterRole[]) {
    const account = clusterAccountName(props, name, role);
    if (account === undefined) continue;
    new k8s.KubeServiceAccount(scope, `ClusterAccount-${role}-${namespace}`, {
      metadata: { name: account, namespace, labels, annotations: clusterPodOptions(props, role)!.serviceAccount!.annotations },
      automountServiceAccountToken: false,
    });
  }
}
