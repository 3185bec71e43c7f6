/** How a Service exposes the API outside the cluster. */
export enum ExternalServiceType {
  /** A port on every node (30000-32767). */
  NODE_PORT = 'NodePort',
  /** A cloud or bare-metal load balancer (which also opens a node port). */
  LOAD_BALANCER = 'LoadBalancer',
}

/** Options of `PrefectApi.exposeViaService`. */
export interface ExternalServiceOptions {
  /** NodePort or LoadBalancer. */
  readonly serviceType: ExternalServiceType;

  /**
   * The base URL at which browsers reach the Service, e.g. `http://prefect.example.com:30420`: the
   * UI then calls the API at `<address>/api`. Required unless a `PrefectIngress` or the `uiApiUrl`
   * prop gives the browser-facing URL.
   * @default the URL from the ingress or the uiApiUrl prop
   */
  readonly address?: string;

  /**
   * The Service port (for a load balancer, the port clients connect to).
   * @default the API port (4200)
   */
  readonly port?: number;

  /**
   * The node port, 30000-32767.
   * @default assigned by Kubernetes
   */
  readonly nodePort?: number;

  /**
   * Client address ranges a load balancer admits (CIDRs; LoadBalancer only).
   * @default any client
   */
  readonly loadBalancerSourceRanges?: string[];

  /**
   * Annotations of the Service, e.g. a cloud provider's load balancer settings.
   * @default none
   */
  readonly annotations?: { [key: string]: string };
}
