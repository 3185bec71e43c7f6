/** Where things are in a worker pod, and how its pods are labelled. */

export const COMPONENT_WORKER = 'worker';
export const COMPONENT_AGENT = 'agent';
export const COMPONENT_FLOW_RUN = 'flow-run';
/** The pool's ConfigMap: base job template, set-up script, or the Prefect 1 job template. */
export const POOL_CONFIG_DIRECTORY = '/etc/prefect-pool';
/** The volume the pip packages are installed into. */
export const PACKAGES_DIRECTORY = '/opt/prefect-packages';
export const HEALTH_PORT = 8080;
export const HEALTH_PORT_NAME = 'health';
