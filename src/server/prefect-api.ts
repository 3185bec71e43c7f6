import { ApiObject, Chart } from 'cdk8s';
import { k8s, Service, ServiceType } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PrefectImage } from '../core/prefect-image';
import { brand } from '../core/private/brands';
import { recommendedLabels, selectorLabels } from '../core/private/labels';
import { register } from '../core/private/registry';
import { checkRequired, propError } from '../core/private/validation';
import { SecretKeyReference } from '../core/secret-key-reference';
import { ValidationCode } from '../core/validation-code';
import { ExternalServiceOptions, ExternalServiceType } from './external-service';
import { PrefectApiProps } from './prefect-api-props';
import { PrefectDatabase } from './prefect-database';
import { PrefectIngress, PrefectIngressOptions } from './prefect-ingress';
import { COMPONENT_SERVER, PORT_NAME, ResolvedServer, resolveServer, ServerExposure } from './private/resolved-server';
import { outboundPorts, serverPodSelector } from './private/server-network';
import { browserUrlProblems, checkBasicAuth, checkExternalService, checkServerShapes, validateServer } from './private/server-validation';
import { ServerWorkloads } from './private/server-workloads';

/**
 * The Prefect server (`prefect server start`): API and UI, its database, probes, a ClusterIP
 * Service, and, when highly available, background services, a migration Job and a
 * PodDisruptionBudget.
 */
export class PrefectApi extends Construct {
  /** Name of the server's Service and workload. */
  public readonly name: string;
  /** The Prefect image the server runs. */
  public readonly image: PrefectImage;
  /** The port of the API, on the pods and on the Service. */
  public readonly port: number;
  /** The ClusterIP Service in front of the API pods. */
  public readonly service: Service;

  /** Number of API pods. */
  public readonly replicas: number;
  /** Whether the server runs highly available (several API pods, separate services and migrations). */
  public readonly highlyAvailable: boolean;
  /** The database the server uses. */
  public readonly database: PrefectDatabase;
  /** The API workload: a StatefulSet on SQLite, a Deployment on PostgreSQL. */
  public readonly workload: ApiObject;
  /** The background services Deployment of a highly available server. */
  public readonly servicesWorkload?: ApiObject;
  /** The database migration Job of a highly available server. */
  public readonly migrationJob?: ApiObject;
  /** The HorizontalPodAutoscaler of the API pods, when `autoscaling` is set. */
  public readonly autoscaler?: ApiObject;
  /** The ServiceAccount of the server's pods (without a token: the server never calls the Kubernetes API). */
  public readonly serviceAccount: k8s.KubeServiceAccount;

  private readonly namespace?: string;
  private readonly props: PrefectApiProps;
  private readonly server: ResolvedServer;
  private ingressOfApi?: PrefectIngress;
  private external?: { service: Service; address?: string };

  public constructor(scope: Construct, id: string, props: PrefectApiProps = {}) {
    super(scope, id);
    register(this);
    brand(this, 'PrefectApi');
    // null from JavaScript or Python stands for no props, as undefined does.
    props = props ?? {};
    checkServerShapes(this, props);
    this.props = props;
    const server = this.server = resolveServer(props);
    this.name = server.name;
    this.database = server.database;
    this.replicas = server.replicas;
    this.highlyAvailable = server.highlyAvailable;
    this.image = server.image;
    this.image._warn(this, 'image');
    this.port = server.port;
    this.namespace = Chart.of(this).namespace;
    validateServer(this, server, this.exposure());
    this.node.addValidation({
      validate: () => browserUrlProblems(this, {
        ingressPath: this.ingressOfApi?.node.path,
        externalService: this.external !== undefined,
        externalAddress: this.external?.address,
        uiApiUrl: props.uiApiUrl,
      }),
    });

    this.service = new Service(this, 'Service', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
      type: ServiceType.CLUSTER_IP,
      ports: [{ name: PORT_NAME, port: this.port, targetPort: this.port }],
    });
    for (const [key, value] of Object.entries(selectorLabels(this.name, COMPONENT_SERVER))) {
      this.service.selectLabel(key, value);
    }

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER), annotations: props.pod?.serviceAccount?.annotations },
      // The server never calls the Kubernetes API.
      automountServiceAccountToken: false,
    });
    const workloads = new ServerWorkloads({
      scope: this,
      server,
      serviceName: this.service.name,
      serviceAccountName: this.serviceAccount.name,
      labels: component => this.labels(component),
      apiPath: () => this.apiPath,
      exposure: () => this.exposure(),
    });
    this.workload = workloads.workload;
    this.servicesWorkload = workloads.servicesWorkload;
    this.migrationJob = workloads.migrationJob;
    this.autoscaler = workloads.autoscaler;
    if (this.highlyAvailable) {
      new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
        spec: {
          maxUnavailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
        },
      });
    }
  }

  /**
   * The API URL as the browser sees it: the ingress's (`https://<host>/api`), else the external
   * Service's address, else the `uiApiUrl` prop, else `http://localhost:<port>/api` (port-forward).
   */
  public get uiApiUrl(): string {
    const address = this.external?.address;
    return this.ingressOfApi?.uiApiUrl ?? (address ? `${address.replace(/\/$/, '')}/api` : undefined)
      ?? this.props.uiApiUrl ?? `http://localhost:${this.port}/api`;
  }

  /**
   * The API URL for clients inside the cluster, e.g.
   * `http://prefect-server.prefect.svc.cluster.local:4200/api` (with an ingress's sub-path before `/api`).
   */
  public get serviceUrl(): string {
    const host = this.namespace ? `${this.name}.${this.namespace}.svc.cluster.local` : this.name;
    return `http://${host}:${this.port}${this.apiPath}`;
  }

  /** The path of the API on the server: `/api`, or `<sub-path>/api` behind an ingress at a sub-path. */
  private get apiPath(): string {
    return `${this.ingressOfApi?.path ?? ''}/api`;
  }

  /** The basic auth string clients must send, if the server requires one. */
  public get basicAuth(): SecretKeyReference | undefined {
    return this.props.basicAuth ?? this.ingressOfApi?.accessControl._authString;
  }

  /** The ingress in front of the server, if it has one. */
  public get ingress(): PrefectIngress | undefined {
    return this.ingressOfApi;
  }

  /** The NodePort or LoadBalancer Service, if the server has one. */
  public get externalService(): Service | undefined {
    return this.external?.service;
  }

  /**
   * Puts an Ingress in front of the server (see `PrefectIngress`), which also sets the UI's API URL.
   */
  public exposeViaIngress(options: PrefectIngressOptions): PrefectIngress {
    checkRequired(this, 'exposeViaIngress', options, '{ hosts, tls, accessControl }');
    if (this.ingressOfApi) {
      throw propError(this, 'exposeViaIngress', options.hosts.join(','),
        `one ingress per server (${this.ingressOfApi.node.path} is in front of it already; list every host name in its hosts)`, ValidationCode.DUPLICATE);
    }
    return new PrefectIngress(this, 'Ingress', { ...options, api: this });
  }

  /**
   * Exposes the server through a NodePort or LoadBalancer Service named `<name>-external`, beside
   * the ClusterIP Service that clients in the cluster use.
   */
  public exposeViaService(options: ExternalServiceOptions): Service {
    checkRequired(this, 'exposeViaService', options, '{ serviceType, address }');
    if (this.external) {
      throw propError(this, 'exposeViaService', options.serviceType, 'one external Service per server (it exists already)', ValidationCode.DUPLICATE);
    }
    const port = options.port ?? this.port;
    checkExternalService(this, options, port);
    const service = new Service(this, 'ExternalService', {
      metadata: { name: `${this.name}-external`, labels: this.labels(COMPONENT_SERVER), annotations: options.annotations },
      type: options.serviceType === ExternalServiceType.NODE_PORT ? ServiceType.NODE_PORT : ServiceType.LOAD_BALANCER,
      ports: [{ name: PORT_NAME, port, targetPort: this.port, nodePort: options.nodePort }],
      loadBalancerSourceRanges: options.loadBalancerSourceRanges,
    });
    for (const [key, value] of Object.entries(selectorLabels(this.name, COMPONENT_SERVER))) {
      service.selectLabel(key, value);
    }
    this.external = { service, address: options.address };
    return service;
  }

  /**
   * Called by a `PrefectIngress` that takes this server as its `api`: the ingress decides the UI's
   * API URL, the sub-path and (by its access control) basic auth.
   * @internal
   */
  public _registerIngress(ingress: PrefectIngress): void {
    if (this.ingressOfApi) {
      throw propError(ingress, 'api', this.node.path,
        `a server without an ingress (${this.ingressOfApi.node.path} is in front of it already; list every host name in its hosts)`, ValidationCode.DUPLICATE);
    }
    this.ingressOfApi = ingress;
  }

  /**
   * Selects the API pods (`apiOnly`), or every pod of the server: API, background services and
   * migration.
   * @internal
   */
  public _podSelector(apiOnly: boolean): k8s.LabelSelector {
    return serverPodSelector(this.server, apiOnly);
  }

  /**
   * The TCP ports the server's pods connect to outside the cluster's pods: the database, Redis,
   * and Prefect's analytics.
   * @internal
   */
  public _outboundPorts(): number[] {
    return outboundPorts(this.server);
  }

  /**
   * Checks a basic auth Secret for this server's release, reporting errors against the construct
   * and prop that give it.
   * @internal
   */
  public _checkBasicAuth(scope: IConstruct, prop: string, authString: SecretKeyReference): void {
    checkBasicAuth(scope, prop, authString, this.image.version);
  }

  /** How the server is reached so far: an ingress added later changes it, so it is read at synth. */
  private exposure(): ServerExposure {
    return { uiApiUrl: this.uiApiUrl, apiPath: this.apiPath, subPath: this.ingressOfApi?.path, basicAuth: this.basicAuth };
  }

  private labels(component: string): Record<string, string> {
    return recommendedLabels(this.name, component, this.image.version);
  }
}
