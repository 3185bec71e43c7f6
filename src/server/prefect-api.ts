import { createHash } from 'node:crypto';
import { ApiObject, Chart, Duration, Lazy, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s, Service, ServiceType } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { PrefectImage } from '../core/prefect-image';
import { brand } from '../core/private/brands';
import { ContainerArg, ContainerEnvVar } from '../core/private/kubelet';
import { recommendedLabels, selectorLabels, stableLabels } from '../core/private/labels';
import { PodParts, restrictedContainerSpec, restrictedPodSpec } from '../core/private/pod';
import { httpGetProbe, PROBE_PERIOD_SECONDS } from '../core/private/probes';
import { Program, programSource } from '../core/private/programs';
import { register } from '../core/private/registry';
import { mergeResources, toRequirements } from '../core/private/resources';
import { checkRequired, propError } from '../core/private/validation';
import { SecretKeyReference } from '../core/secret-key-reference';
import { ValidationCode } from '../core/validation-code';
import { ExternalServiceOptions, ExternalServiceType } from './external-service';
import { PrefectApiProps } from './prefect-api-props';
import { PrefectDatabase } from './prefect-database';
import { PrefectIngress, PrefectIngressOptions } from './prefect-ingress';
import {
  COMPONENT_MIGRATION, COMPONENT_SERVER, COMPONENT_SERVICES, PORT_NAME, ResolvedServer, resolveServer, ServerExposure, serverMounts, serverVolumes,
} from './private/resolved-server';
import { extraEnv, serverOnlyEnv, sharedEnv } from './private/server-env';
import { outboundPorts, serverPodSelector } from './private/server-network';
import { browserUrlProblems, checkBasicAuth, checkExternalService, checkServerShapes, validateServer } from './private/server-validation';

const DEFAULT_SERVER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(500) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};
const DEFAULT_SERVICES_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(250) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};

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

    if (this.database.isSqlite) {
      this.workload = this.sqliteStatefulSet();
    } else {
      this.workload = this.serverDeployment();
    }
    if (this.highlyAvailable) {
      this.servicesWorkload = this.servicesDeployment();
      this.migrationJob = this.migration();
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

  /** A server pod: it never calls the Kubernetes API. */
  private podSpec(containers: k8s.Container[], volumes: k8s.Volume[], extra: Partial<PodParts> = {}): k8s.PodSpec {
    return restrictedPodSpec({ containers, volumes, callsKubernetesApi: false, imagePullSecrets: this.props.imagePullSecrets, ...extra });
  }

  private container(name: string, args: ContainerArg[], env: ContainerEnvVar[], resources: ContainerResources, withUi: boolean): k8s.Container {
    return restrictedContainerSpec({
      name,
      image: this.image.reference,
      args,
      env: [...env, ...extraEnv(this.server)],
      resources: toRequirements(resources),
      volumeMounts: serverMounts(this.server, withUi),
    });
  }

  private serverPodTemplate(): k8s.PodTemplateSpec {
    const args = ['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', String(this.port)];
    if (this.highlyAvailable) args.push('--no-services');
    const serverResources = mergeResources(DEFAULT_SERVER_RESOURCES, this.props.resources);
    // Rendered at synth, in one place: an ingress added later sets the UI's API URL, may add basic
    // auth, and at a sub-path moves the API the probes call.
    const server: k8s.Container = Lazy.any({ produce: () => this.serverContainer(args, serverResources) });
    const spread: Partial<PodParts> = this.highlyAvailable ? {
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
      }],
    } : {};
    return {
      metadata: { labels: this.labels(COMPONENT_SERVER) },
      spec: this.podSpec([server], serverVolumes(true), { ...spread, ...this.schemaGate(serverResources) }),
    };
  }

  /** The server's container, as the exposure known at synth makes it. */
  private serverContainer(args: string[], resources: ContainerResources): k8s.Container {
    return {
      ...this.container('prefect-server', args, [...sharedEnv(this.server), ...serverOnlyEnv(this.server, this.exposure())], resources, true),
      ports: [{ name: PORT_NAME, containerPort: this.port, protocol: 'TCP' }],
      startupProbe: httpGetProbe(`${this.apiPath}/health`, PORT_NAME,
        Math.ceil((this.props.startupTimeout ?? Duration.minutes(5)).toSeconds() / PROBE_PERIOD_SECONDS)),
      livenessProbe: httpGetProbe(`${this.apiPath}/health`, PORT_NAME, 3),
      readinessProbe: httpGetProbe(`${this.apiPath}/ready`, PORT_NAME, 3),
    };
  }

  private sqliteStatefulSet(): ApiObject {
    const sqlite = this.database._sqlite!;
    return new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
      spec: {
        // SQLite is single-writer: one pod, and a StatefulSet never runs two pods with one identity,
        // so a rollout or node failure cannot put two servers on the database file.
        replicas: 1,
        serviceName: this.service.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
        // Deleting or scaling the StatefulSet keeps the database claim.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: this.serverPodTemplate(),
        volumeClaimTemplates: [{
          // Claim templates are immutable: only labels that never change (no version).
          metadata: { name: 'data', labels: stableLabels(this.name, COMPONENT_SERVER) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            storageClassName: sqlite.storageClassName,
            resources: { requests: { storage: k8s.Quantity.fromString((sqlite.size ?? Size.gibibytes(5)).asString()) } },
          },
        }],
      },
    });
  }

  private serverDeployment(): ApiObject {
    return new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: this.name, labels: this.labels(COMPONENT_SERVER) },
      spec: {
        replicas: this.replicas,
        selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVER) },
        // A new pod is ready before an old one goes, so a rollout never drops the API.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) },
        },
        template: this.serverPodTemplate(),
      },
    });
  }

  /**
   * `prefect server services start` opens no port and has no health endpoint, so its container has
   * no probes: it exits (and is restarted) when a service fails fatally.
   */
  private servicesDeployment(): ApiObject {
    const resources = mergeResources(DEFAULT_SERVICES_RESOURCES, this.props.servicesResources);
    const container = this.container('prefect-services', ['prefect', 'server', 'services', 'start'], sharedEnv(this.server), resources, false);
    return new k8s.KubeDeployment(this, 'Services', {
      metadata: { name: `${this.name}-services`, labels: this.labels(COMPONENT_SERVICES) },
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels(this.name, COMPONENT_SERVICES) },
        // The loop services (scheduler, late runs, ...) must not run twice at once.
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: this.labels(COMPONENT_SERVICES) },
          spec: this.podSpec([container], serverVolumes(false), this.schemaGate(resources)),
        },
      },
    });
  }

  /**
   * What keeps the pods of a highly available server from starting before the migration Job has
   * brought the schema to this release (programs/wait-for-schema.py).
   */
  private schemaGate(resources: ContainerResources): Partial<PodParts> {
    if (!this.highlyAvailable) return {};
    return { initContainers: [this.container('wait-for-schema', ['python', '-c', programSource(Program.WAIT_FOR_SCHEMA, true)], sharedEnv(this.server), resources, false)] };
  }

  private migration(): ApiObject {
    const container = this.container('prefect-migrate', ['prefect', 'server', 'database', 'upgrade', '-y'], sharedEnv(this.server),
      mergeResources(DEFAULT_SERVER_RESOURCES, this.props.resources), false);
    const template: k8s.PodTemplateSpec = {
      metadata: { labels: this.labels(COMPONENT_MIGRATION) },
      spec: this.podSpec([container], serverVolumes(false), { restartPolicy: 'Never' }),
    };
    // A Job's pod template is immutable: a new image or database gets a Job of its own name.
    const digest = createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 8);
    return new k8s.KubeJob(this, 'Migration', {
      metadata: { name: `${this.name}-migrate-${digest}`, labels: this.labels(COMPONENT_MIGRATION) },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template,
      },
    });
  }
}
