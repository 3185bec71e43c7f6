import type { PrefectApi } from '../server/prefect-api';
import type { PrefectWorkerPool } from '../workers/prefect-worker-pool';
import { NetworkDestination } from './network-destination';

/** How `PrefectNetworkPolicies` see the cluster and what they allow beyond Prefect's own paths. */
export interface PrefectNetworkPoliciesOptions {
  /**
   * Namespace of the ingress controller, the only one from which a server with a `PrefectIngress`
   * accepts outside traffic. Required when the ingress's class is not `nginx`.
   * @default "ingress-nginx" (for the ingress class nginx)
   */
  readonly ingressControllerNamespace?: string;

  /**
   * Labels of the ingress controller's pods, to admit only them from its namespace.
   * @default every pod of the ingress controller's namespace
   */
  readonly ingressControllerPodLabels?: { [key: string]: string };

  /**
   * Namespace of the cluster DNS.
   * @default "kube-system"
   */
  readonly dnsNamespace?: string;

  /**
   * Labels of the cluster DNS pods.
   * @default { "k8s-app": "kube-dns" } (CoreDNS and kube-dns)
   */
  readonly dnsPodLabels?: { [key: string]: string };

  /**
   * The port the DNS pods listen on (after the Service's port mapping).
   * @default 53 (CoreDNS, kube-dns; OpenShift's DNS pods listen on 5353)
   */
  readonly dnsPort?: number;

  /**
   * More addresses that answer DNS, e.g. NodeLocal DNSCache's `169.254.20.10/32`.
   * @default none
   */
  readonly dnsCidrs?: string[];

  /**
   * Where the Kubernetes API server is, for the workers that launch Jobs and the flow runs. Policies
   * see the API server's own address and port (often 6443), not the `kubernetes` Service's; its
   * address is in `kubectl get endpoints kubernetes`.
   * @default NetworkDestination.anywhere([443, 6443])
   */
  readonly kubernetesApiServer?: NetworkDestination;

  /**
   * Namespace of the dask-kubernetes operator, which connects to the schedulers of Dask clusters.
   * @default "dask-operator"
   */
  readonly daskOperatorNamespace?: string;

  /**
   * Labels of the Dask operator's pods.
   * @default { "app.kubernetes.io/name": "dask-kubernetes-operator" }
   */
  readonly daskOperatorPodLabels?: { [key: string]: string };

  /**
   * More destinations for the server's pods, e.g. webhook targets of automations. The database
   * (at its port; 5432 for a connection URL), Redis and, when on, analytics are allowed already.
   * @default none
   */
  readonly serverEgress?: NetworkDestination[];

  /**
   * More destinations for the worker pods (e.g. a package index other than HTTPS on 443).
   * @default none
   */
  readonly workerEgress?: NetworkDestination[];

  /**
   * More destinations for flow runs (Job pods, and the workers of process pools, which run flows
   * themselves). Most flows need some: object storage or git for their code, their data sources.
   * @default none: flow runs reach only the Prefect API, DNS and the Kubernetes API
   */
  readonly flowRunEgress?: NetworkDestination[];
}

/** Properties of `PrefectNetworkPolicies`. */
export interface PrefectNetworkPoliciesProps extends PrefectNetworkPoliciesOptions {
  /**
   * The server whose pods the policies cover.
   * @default none (workers of a server elsewhere, or of Prefect Cloud)
   */
  readonly api?: PrefectApi;

  /**
   * Worker pools whose workers and flow runs the policies cover. More can be added with
   * `addWorkerPool`. Every pool and server of the chart must be covered.
   * @default none
   */
  readonly workerPools?: PrefectWorkerPool[];
}
