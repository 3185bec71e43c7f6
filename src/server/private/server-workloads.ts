import { createHash } from 'node:crypto';
import { ApiObject, Duration, Lazy, Size } from 'cdk8s';
import { ContainerResources, Cpu, k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PrefectPodOptions } from '../../core/pod-options';
import { horizontalAutoscaler } from '../../core/private/autoscaler';
import { sortedKeysReplacer } from '../../core/private/json';
import { ContainerArg, ContainerEnvVar } from '../../core/private/kubelet';
import { selectorLabels, stableLabels } from '../../core/private/labels';
import { PodParts, restrictedContainerSpec, restrictedPodSpec } from '../../core/private/pod';
import { nativeSidecars, podMetadata, PodOptionsUse } from '../../core/private/pod-options';
import { httpGetProbe, PROBE_PERIOD_SECONDS } from '../../core/private/probes';
import { Program, programSource } from '../../core/private/programs';
import { mergeResources, toRequirements } from '../../core/private/resources';
import {
  COMPONENT_MIGRATION, COMPONENT_SERVER, COMPONENT_SERVICES, PORT_NAME, ResolvedServer, ServerExposure, serverMounts, serverVolumes,
} from './resolved-server';
import { extraEnv, serverOnlyEnv, sharedEnv } from './server-env';

const DEFAULT_SERVER_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(500) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};
const DEFAULT_SERVICES_RESOURCES: ContainerResources = {
  cpu: { request: Cpu.millis(250) },
  memory: { request: Size.mebibytes(512), limit: Size.gibibytes(1) },
};
const POD_SPEC = ['spec', 'template', 'spec'];

/** What the server's workloads take from their `PrefectApi`. */
export interface ServerContext {
  /** The `PrefectApi`, which holds the objects. */
  readonly scope: Construct;
  readonly server: ResolvedServer;
  readonly serviceName: string;
  readonly serviceAccountName: string;
  labels(component: string): Record<string, string>;
  /** The path of the API, known at synth: an ingress at a sub-path moves it. */
  apiPath(): string;
  exposure(): ServerExposure;
}

/**
 * The server's workloads: the API (a StatefulSet on SQLite, a Deployment on PostgreSQL), and, when
 * highly available, the background services Deployment and the migration Job.
 */
export class ServerWorkloads {
  public readonly workload: ApiObject;
  public readonly servicesWorkload?: ApiObject;
  public readonly migrationJob?: ApiObject;
  public readonly autoscaler?: ApiObject;

  public constructor(private readonly context: ServerContext) {
    const server = context.server;
    this.workload = server.database.isSqlite ? this.sqliteStatefulSet() : this.serverDeployment();
    nativeSidecars(this.workload, POD_SPEC, server.props.pod);
    if (server.props.autoscaling) {
      this.autoscaler = horizontalAutoscaler(context.scope, 'Autoscaler', this.workload, server.props.autoscaling, context.labels(COMPONENT_SERVER));
    }
    if (server.highlyAvailable) {
      this.servicesWorkload = this.servicesDeployment();
      if (server.servicesReplicas > 1) this.servicesBudget();
      nativeSidecars(this.servicesWorkload, POD_SPEC, this.podOptions('servicesPod').options);
      this.migrationJob = this.migration();
      nativeSidecars(this.migrationJob, POD_SPEC, this.podOptions('migrationPod').options);
    }
  }

  /** The pod options of a workload: its own, else the server's. */
  private podOptions(prop: 'pod' | 'servicesPod' | 'migrationPod'): PodOptionsUse {
    const props = this.context.server.props;
    const options: PrefectPodOptions | undefined = props[prop] ?? props.pod;
    // A SQLite server's pod also has the claim template's volume.
    const reservedVolumes = this.context.server.database.isSqlite ? ['data'] : [];
    return { scope: this.context.scope, prop: props[prop] !== undefined ? prop : 'pod', options, reservedVolumes };
  }

  /** A server pod: it never calls the Kubernetes API. */
  private podSpec(prop: 'pod' | 'servicesPod' | 'migrationPod', containers: k8s.Container[], volumes: k8s.Volume[], extra: Partial<PodParts> = {}): k8s.PodSpec {
    return restrictedPodSpec({
      containers,
      volumes,
      callsKubernetesApi: false,
      serviceAccountName: this.context.serviceAccountName,
      imagePullSecrets: this.context.server.props.imagePullSecrets,
      options: this.podOptions(prop),
      ...extra,
    });
  }

  private container(name: string, args: ContainerArg[], env: ContainerEnvVar[], resources: ContainerResources, withUi: boolean): k8s.Container {
    const server = this.context.server;
    return restrictedContainerSpec({
      name,
      image: server.image.reference,
      args,
      env: [...env, ...extraEnv(server)],
      resources: toRequirements(resources),
      volumeMounts: serverMounts(server, withUi),
    });
  }

  private serverPodTemplate(): k8s.PodTemplateSpec {
    const { server, labels } = this.context;
    const args = ['prefect', 'server', 'start', '--host', '0.0.0.0', '--port', String(server.port)];
    if (server.highlyAvailable) args.push('--no-services');
    const serverResources = mergeResources(DEFAULT_SERVER_RESOURCES, server.props.resources);
    // Rendered at synth, in one place: an ingress added later sets the UI's API URL, may add basic
    // auth, and at a sub-path moves the API the probes call.
    const container: k8s.Container = Lazy.any({ produce: () => this.serverContainer(args, serverResources) });
    const spread: Partial<PodParts> = server.highlyAvailable ? {
      topologySpreadConstraints: [{
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: selectorLabels(server.name, COMPONENT_SERVER) },
      }],
    } : {};
    return {
      metadata: podMetadata(server.props.pod, labels(COMPONENT_SERVER)),
      spec: this.podSpec('pod', [container], serverVolumes(true), { ...spread, ...this.schemaGate(serverResources) }),
    };
  }

  /** The server's container, as the exposure known at synth makes it. */
  private serverContainer(args: string[], resources: ContainerResources): k8s.Container {
    const { server, apiPath, exposure } = this.context;
    const path = apiPath();
    return {
      ...this.container('prefect-server', args, [...sharedEnv(server), ...serverOnlyEnv(server, exposure())], resources, true),
      ports: [{ name: PORT_NAME, containerPort: server.port, protocol: 'TCP' }],
      startupProbe: httpGetProbe(`${path}/health`, PORT_NAME,
        Math.ceil((server.props.startupTimeout ?? Duration.minutes(5)).toSeconds() / PROBE_PERIOD_SECONDS)),
      livenessProbe: httpGetProbe(`${path}/health`, PORT_NAME, 3),
      readinessProbe: httpGetProbe(`${path}/ready`, PORT_NAME, 3),
    };
  }

  private sqliteStatefulSet(): ApiObject {
    const { scope, server, labels } = this.context;
    const sqlite = server.database._sqlite!;
    return new k8s.KubeStatefulSet(scope, 'Resource', {
      metadata: { name: server.name, labels: labels(COMPONENT_SERVER) },
      spec: {
        // SQLite is single-writer: one pod, and a StatefulSet never runs two pods with one identity,
        // so a rollout or node failure cannot put two servers on the database file.
        replicas: 1,
        serviceName: this.context.serviceName,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        selector: { matchLabels: selectorLabels(server.name, COMPONENT_SERVER) },
        // Deleting or scaling the StatefulSet keeps the database claim.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        template: this.serverPodTemplate(),
        volumeClaimTemplates: [{
          // Claim templates are immutable: only labels that never change (no version).
          metadata: { name: 'data', labels: stableLabels(server.name, COMPONENT_SERVER) },
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
    const { scope, server, labels } = this.context;
    return new k8s.KubeDeployment(scope, 'Resource', {
      metadata: { name: server.name, labels: labels(COMPONENT_SERVER) },
      spec: {
        // An autoscaled Deployment leaves the count to its autoscaler, also when re-applied.
        ...(server.props.autoscaling ? {} : { replicas: server.replicas }),
        selector: { matchLabels: selectorLabels(server.name, COMPONENT_SERVER) },
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
    const { scope, server, labels } = this.context;
    const resources = mergeResources(DEFAULT_SERVICES_RESOURCES, server.props.servicesResources);
    const container = this.container('prefect-services', ['prefect', 'server', 'services', 'start'], sharedEnv(server), resources, false);
    return new k8s.KubeDeployment(scope, 'Services', {
      metadata: { name: `${server.name}-services`, labels: labels(COMPONENT_SERVICES) },
      spec: {
        replicas: server.servicesReplicas,
        selector: { matchLabels: selectorLabels(server.name, COMPONENT_SERVICES) },
        // One services pod runs the loop services alone, so it must not overlap with its successor;
        // several coordinate through docket and roll one at a time.
        strategy: server.servicesReplicas > 1
          ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } }
          : { type: 'Recreate' },
        template: {
          metadata: podMetadata(this.podOptions('servicesPod').options, labels(COMPONENT_SERVICES)),
          spec: this.podSpec('servicesPod', [container], serverVolumes(false), this.schemaGate(resources)),
        },
      },
    });
  }

  /** Several background services pods: a voluntary disruption takes one at a time. */
  private servicesBudget(): void {
    const { scope, server, labels } = this.context;
    new k8s.KubePodDisruptionBudget(scope, 'ServicesDisruptionBudget', {
      metadata: { name: `${server.name}-services`, labels: labels(COMPONENT_SERVICES) },
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: selectorLabels(server.name, COMPONENT_SERVICES) },
      },
    });
  }

  /**
   * What keeps the pods of a highly available server from starting before the migration Job has
   * brought the schema to this release (programs/wait-for-schema.py).
   */
  private schemaGate(resources: ContainerResources): Partial<PodParts> {
    const server = this.context.server;
    if (!server.highlyAvailable) return {};
    return { initContainers: [this.container('wait-for-schema', ['python', '-c', programSource(Program.WAIT_FOR_SCHEMA, true)], sharedEnv(server), resources, false)] };
  }

  private migration(): ApiObject {
    const { scope, server, labels } = this.context;
    const container = this.container('prefect-migrate', ['prefect', 'server', 'database', 'upgrade', '-y'], sharedEnv(server),
      mergeResources(DEFAULT_SERVER_RESOURCES, server.props.resources), false);
    const template: k8s.PodTemplateSpec = {
      metadata: podMetadata(this.podOptions('migrationPod').options, labels(COMPONENT_MIGRATION)),
      spec: this.podSpec('migrationPod', [container], serverVolumes(false), { restartPolicy: 'Never' }),
    };
    // A Job's pod template is immutable: a new image or database gets a Job of its own name.
    // Of the template with sorted keys, as the YAML has them: the same output, the same name.
    const digest = createHash('sha256').update(JSON.stringify(template, sortedKeysReplacer)).digest('hex').slice(0, 8);
    return new k8s.KubeJob(scope, 'Migration', {
      metadata: { name: `${server.name}-migrate-${digest}`, labels: labels(COMPONENT_MIGRATION) },
      spec: {
        backoffLimit: 3,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 86400,
        template,
      },
    });
  }
}
