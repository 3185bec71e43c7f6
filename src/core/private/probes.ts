import { k8s } from 'cdk8s-plus-27';

/** How often every probe runs. */
export const PROBE_PERIOD_SECONDS = 10;

/** An HTTP GET probe on a named container port, every `PROBE_PERIOD_SECONDS`. */
export function httpGetProbe(path: string, portName: string, failureThreshold: number): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(portName) },
    periodSeconds: PROBE_PERIOD_SECONDS,
    timeoutSeconds: 5,
    successThreshold: 1,
    failureThreshold,
  };
}
