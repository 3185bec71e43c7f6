import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PrefectAutoscaling } from '../autoscaling';
import { ValidationCode } from '../validation-code';
import { checkInteger, checkSeconds, isOptions, propError } from './validation';

/** Checks autoscaling options set under `prop`; `minimum` is the fewest pods the workload may have. */
export function checkAutoscaling(scope: IConstruct, prop: string, options: PrefectAutoscaling | undefined, minimum: number): void {
  if (options === undefined || options === null) return;
  if (!isOptions(options)) throw propError(scope, prop, options, 'a PrefectAutoscaling object: { minReplicas, maxReplicas, cpuUtilization? }', ValidationCode.FORMAT);
  checkInteger(scope, `${prop}.minReplicas`, options.minReplicas, minimum, 1000);
  checkInteger(scope, `${prop}.maxReplicas`, options.maxReplicas, 1, 1000);
  if (options.maxReplicas <= options.minReplicas) {
    throw propError(scope, `${prop}.maxReplicas`, options.maxReplicas, `more than minReplicas (${options.minReplicas}): with as many, there is nothing to scale`, ValidationCode.QUANTITY);
  }
  for (const key of ['cpuUtilization', 'memoryUtilization'] as const) {
    if (options[key] !== undefined) checkInteger(scope, `${prop}.${key}`, options[key]!, 1, 1000);
  }
  if (options.scaleDownStabilization !== undefined) checkSeconds(scope, `${prop}.scaleDownStabilization`, options.scaleDownStabilization, 0, 3600);
}

/** The resources the autoscaler targets: CPU (the default), memory, or both. */
export function autoscalingTargets(options: PrefectAutoscaling): string[] {
  return [...(options.cpuUtilization !== undefined || options.memoryUtilization === undefined ? ['cpu'] : []),
    ...(options.memoryUtilization !== undefined ? ['memory'] : [])];
}

/** The autoscaler's metrics, one per target. */
function metrics(options: PrefectAutoscaling): k8s.MetricSpecV2[] {
  const cpu = options.cpuUtilization ?? (options.memoryUtilization === undefined ? 80 : undefined);
  const resource = (name: string, averageUtilization: number): k8s.MetricSpecV2 => ({
    type: 'Resource', resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  return [
    ...(cpu !== undefined ? [resource('cpu', cpu)] : []),
    ...(options.memoryUtilization !== undefined ? [resource('memory', options.memoryUtilization)] : []),
  ];
}

/** A HorizontalPodAutoscaler of a Deployment, named after it. */
export function horizontalAutoscaler(scope: Construct, id: string, target: ApiObject, options: PrefectAutoscaling, labels: Record<string, string>): ApiObject {
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
    metadata: { name: target.name, labels },
    spec: {
      scaleTargetRef: { apiVersion: target.apiVersion, kind: target.kind, name: target.name },
      minReplicas: options.minReplicas,
      maxReplicas: options.maxReplicas,
      metrics: metrics(options),
      ...(options.scaleDownStabilization !== undefined
        ? { behavior: { scaleDown: { stabilizationWindowSeconds: options.scaleDownStabilization.toSeconds() } } }
        : {}),
    },
  });
}
