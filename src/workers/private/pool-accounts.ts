import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PrefectPodOptions } from '../../core/pod-options';
import { ResolvedPool } from './resolved-pool';

/**
 * The ServiceAccounts a pool makes only for the pod options' `serviceAccount` (a cloud identity):
 * one for workers that have no RBAC of their own, and one in each job namespace for the flow runs.
 * Neither has permissions, and neither mounts a token by default.
 */
export class PoolAccounts {
  /** The workers' account, when they have no AgentRbac but are given annotations. */
  public readonly worker?: k8s.KubeServiceAccount;
  /** The flow runs' account name, when their pod options give one. */
  public readonly flowRunName?: string;

  public constructor(scope: Construct, pool: ResolvedPool, workerPod: PrefectPodOptions | undefined, hasRbac: boolean, labels: Record<string, string>) {
    const workerAccount = workerPod?.serviceAccount;
    if (!hasRbac && workerAccount) {
      this.worker = new k8s.KubeServiceAccount(scope, 'ServiceAccount', {
        metadata: { name: pool.name, labels, annotations: workerAccount.annotations },
        automountServiceAccountToken: false,
      });
    }
    const flowRunAccount = pool.jobTemplate.pod?.serviceAccount;
    if (flowRunAccount && pool.launchesJobs) {
      const name = `${pool.name}-flow-run`;
      for (const namespace of pool.jobNamespaces) {
        new k8s.KubeServiceAccount(scope, `FlowRunAccount-${namespace}`, {
          metadata: { name, namespace, labels, annotations: flowRunAccount.annotations },
          automountServiceAccountToken: false,
        });
      }
      this.flowRunName = name;
    }
  }
}
