import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { autoscalingTargets, checkAutoscaling, horizontalAutoscaler } from '../../core/private/autoscaler';
import { checkSidecarRequests } from '../../core/private/user-containers';
import { checkInteger, isOptions, propError } from '../../core/private/validation';
import { ValidationCode } from '../../core/validation-code';
import { PrefectWorkerPoolOptions } from '../worker-pool-options';

/** The worker pods of each Deployment: fixed, or autoscaled; and their disruption budget. */
export function checkPoolScaling(scope: IConstruct, props: PrefectWorkerPoolOptions): void {
  if (props.autoscaling !== undefined && props.replicas !== undefined) {
    throw propError(scope, 'replicas', props.replicas, 'unset with autoscaling, whose minReplicas and maxReplicas give the worker pods', ValidationCode.CONFLICT);
  }
  checkAutoscaling(scope, 'autoscaling', props.autoscaling, 1);
  if (props.autoscaling) checkSidecarRequests(scope, 'pod.sidecars', props.pod?.sidecars, autoscalingTargets(props.autoscaling));
  const budget = props.disruptionBudget;
  if (budget === undefined || budget === null) return;
  if (!isOptions(budget)) throw propError(scope, 'disruptionBudget', budget, 'a WorkerDisruptionBudget: { maxUnavailable } or { minAvailable }', ValidationCode.FORMAT);
  if (budget.maxUnavailable !== undefined && budget.minAvailable !== undefined) {
    throw propError(scope, 'disruptionBudget', 'maxUnavailable and minAvailable', 'one of the two, as a PodDisruptionBudget takes', ValidationCode.CONFLICT);
  }
  if (budget.maxUnavailable !== undefined) checkInteger(scope, 'disruptionBudget.maxUnavailable', budget.maxUnavailable, 1, 1000);
  if (budget.minAvailable !== undefined) {
    // As many as the Deployment has (or its autoscaler's fewest) would block every drain.
    const pods = props.autoscaling?.minReplicas ?? props.replicas ?? 1;
    checkInteger(scope, 'disruptionBudget.minAvailable', budget.minAvailable, 0, 1000);
    if (budget.minAvailable >= pods) {
      throw propError(scope, 'disruptionBudget.minAvailable', budget.minAvailable,
        `fewer than the worker pods of a Deployment (${pods}): otherwise no node with a worker could ever be drained`, ValidationCode.QUANTITY);
    }
  }
}

/** The autoscaler and the disruption budget of one worker Deployment, when the pool has them. */
export function addPoolScaling(scope: Construct, id: string, deployment: ApiObject, props: PrefectWorkerPoolOptions,
  labels: Record<string, string>, selector: Record<string, string>): void {
  if (props.autoscaling) horizontalAutoscaler(scope, `Autoscaler-${id}`, deployment, props.autoscaling, labels);
  const budget = props.disruptionBudget;
  if (!budget) return;
  new k8s.KubePodDisruptionBudget(scope, `DisruptionBudget-${id}`, {
    metadata: { name: deployment.name, labels },
    spec: {
      ...(budget.minAvailable !== undefined
        ? { minAvailable: k8s.IntOrString.fromNumber(budget.minAvailable) }
        : { maxUnavailable: k8s.IntOrString.fromNumber(budget.maxUnavailable ?? 1) }),
      selector: { matchLabels: selector },
    },
  });
}
