import { App, Chart, Duration, Size } from 'cdk8s';
import { Cpu, k8s } from 'cdk8s-plus-27';
import {
  IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PlatformServer, PrefectConnection, PrefectDatabase, PrefectImage,
  PrefectLogLevel, PrefectPlatform, PrefectPlatformWorkerPoolOptions, PrefectPodOptions, PrefectVersion, PrefectWarnings, QueueDeployments, SecretKeyReference, WarningCode, WorkerRuntime,
} from '..';

/**
 * The embedded default: a Prefect 3 server on SQLite, reached with
 * `kubectl port-forward svc/prefect-server 4200:4200`, and a kubernetes work pool whose worker
 * runs each flow run as a Job in the same namespace.
 */
export function minimal(app: App): PrefectPlatform {
  return new PrefectPlatform(app, 'minimal', {
    workerPools: [{ poolName: 'kubernetes' }],
  });
}

/**
 * A highly available Prefect 3 server: three API pods on PostgreSQL (credentials in Secrets that
 * already exist in the namespace), Redis for messaging, background services and migrations apart;
 * at https://prefect.example.com behind ingress-nginx with a cert-manager certificate and Prefect's
 * basic auth; two pools whose flow runs go to their own namespace; network policies with the
 * control plane's addresses narrowed. The namespaces exist already.
 */
export function production(app: App): PrefectPlatform {
  const platform = new PrefectPlatform(app, 'production', {
    // PostgreSQL and Redis run in the namespace too: it is managed with them, not by this chart,
    // which would otherwise delete them with itself.
    createNamespaces: false,
    server: PlatformServer.deploy({
      replicas: 3,
      database: PrefectDatabase.postgres({
        host: 'prefect-postgres-rw.prefect.svc.cluster.local',
        user: 'prefect',
        databaseName: 'prefect',
        password: SecretKeyReference.fromSecret('prefect-postgres-app', 'password'),
      }),
      redis: {
        host: 'prefect-redis.prefect.svc.cluster.local',
        password: SecretKeyReference.fromSecret('prefect-redis', 'password'),
      },
      logLevel: PrefectLogLevel.INFO,
      resources: {
        cpu: { request: Cpu.units(1) },
        memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
      },
    }),
    ingress: {
      hosts: ['prefect.example.com'],
      ingressClassName: 'nginx',
      tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt' }),
      accessControl: IngressAccessControl.prefectBasicAuth(SecretKeyReference.fromSecret('prefect-basic-auth', 'auth-string')),
    },
    workerPools: [
      // The main pipelines: one Deployment per queue, so a stuck queue does not starve the other.
      {
        poolName: 'etl',
        queues: [
          { name: 'prod-main', priority: 1, concurrencyLimit: 20 },
          { name: 'prod-secondary', priority: 2, concurrencyLimit: 5 },
        ],
        queueDeployments: QueueDeployments.PER_QUEUE,
        replicas: 2,
        jobTemplate: {
          namespace: 'prefect-runs',
          image: PrefectImage.fromRegistry('registry.example.com/data/etl-flows:2026.11.3', PrefectVersion.V3_8_3),
          resources: {
            cpu: { request: Cpu.units(1) },
            memory: { request: Size.gibibytes(2), limit: Size.gibibytes(4) },
          },
          labels: { team: 'data' },
        },
      },
      // Ad-hoc and reporting flows: one worker polling every queue of the pool.
      { poolName: 'reports', limit: 10, jobTemplate: { namespace: 'prefect-runs' } },
    ],
    networkPolicies: NetworkIsolation.defaultDeny({
      // The control plane's addresses (kubectl get endpoints kubernetes).
      kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [443, 6443]),
      // PostgreSQL (CloudNativePG) and Redis run in the namespace; some network plugins do not
      // match pods by address, so they are named by their labels too.
      serverEgress: [
        NetworkDestination.inNamespace('prefect', [5432], { 'cnpg.io/cluster': 'prefect-postgres' }),
        NetworkDestination.inNamespace('prefect', [6379], { 'app.kubernetes.io/name': 'redis' }),
      ],
      // Flow code and data come from git and object storage over HTTPS.
      flowRunEgress: [NetworkDestination.anywhere([443])],
    }),
  });
  // On purpose: git hosts and object stores have no fixed addresses; prefect-runs has the Secret.
  [WarningCode.EGRESS_ANYWHERE, WarningCode.SECRETS_IN_OTHER_NAMESPACES].forEach(code => PrefectWarnings.acknowledge(platform, code));
  return platform;
}

/** Workers in this cluster for a Prefect Cloud workspace: no server. */
export function cloudWorkers(app: App): PrefectPlatform {
  return new PrefectPlatform(app, 'cloud-workers', {
    server: PlatformServer.external(PrefectConnection.cloud({
      accountId: '9b2c5d6e-1f3a-4b7c-8d9e-0a1b2c3d4e5f',
      workspaceId: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
      apiKey: SecretKeyReference.fromSecret('prefect-cloud', 'api-key'),
    })),
    workerPools: [{
      poolName: 'k8s-cluster-a',
      queues: [{ name: 'default' }, { name: 'gpu', priority: 1, concurrencyLimit: 2 }],
      replicas: 2,
    }],
  });
}

/**
 * A Prefect 2 server on PostgreSQL with agents, one per queue of the pool `production`, from a
 * private registry, with Kerberos configured, in Warsaw time; at https://prefect.company.local
 * with the UI behind nginx basic auth and `/api` open for the CLI and agents.
 */
export function prefect2Agents(app: App): PrefectPlatform {
  const image = PrefectImage.official({ version: PrefectVersion.V2_20_25, pythonVersion: '3.11' });
  return new PrefectPlatform(app, 'prefect2-agents', {
    server: PlatformServer.deploy({
      image,
      database: PrefectDatabase.postgresUrl(SecretKeyReference.fromSecret('prefect-postgres', 'connection-url')),
      imagePullSecrets: ['regcred'],
      timeZone: 'Europe/Warsaw',
    }),
    ingress: {
      hosts: ['prefect.company.local'],
      ingressClassName: 'nginx',
      tls: IngressTls.fromSecret('prefect-company-local-tls'),
      accessControl: IngressAccessControl.nginxBasicAuth({ htpasswdSecret: 'prefect-ui-htpasswd' }),
    },
    workerPools: [{
      runtime: WorkerRuntime.prefect2Agent(),
      image,
      poolName: 'production',
      queues: [{ name: 'prod-main' }, { name: 'prod-secondary' }],
      queueDeployments: QueueDeployments.PER_QUEUE,
      imagePullSecrets: ['regcred'],
      timeZone: 'Europe/Warsaw',
      configFiles: [{ path: '/etc/krb5.conf', content: KRB5_CONF }],
    }],
  });
}

const KRB5_CONF = `[libdefaults]
  default_realm = COMPANY.LOCAL
  dns_lookup_kdc = true
  dns_lookup_realm = false

[realms]
  COMPANY.LOCAL = {
    kdc = kdc.company.local
    admin_server = kdc.company.local
  }

[domain_realm]
  .company.local = COMPANY.LOCAL
`;

/**
 * The Prefect 1 Kubernetes agent for a Prefect Server running in the namespace `prefect-server`:
 * flows labelled `dev` and `staging` run as Jobs in the agent's namespace.
 */
export function prefect1Agent(app: App): PrefectPlatform {
  // The agent and its flow runs call the server's GraphQL API; some network plugins do not match
  // pods by a Service's address, so its pods are named too.
  const apollo = NetworkDestination.inNamespace('prefect-server', [4200], { 'app.kubernetes.io/component': 'apollo' });
  return new PrefectPlatform(app, 'prefect1-agent', {
    server: PlatformServer.external(PrefectConnection.fromUrl('http://prefect-apollo.prefect-server.svc.cluster.local:4200/graphql')),
    workerPools: [{
      runtime: WorkerRuntime.prefect1KubernetesAgent({ labels: ['dev', 'staging'] }),
      image: PrefectImage.official({ version: PrefectVersion.V1_4_1 }),
    }],
    networkPolicies: NetworkIsolation.defaultDeny({ workerEgress: [apollo], flowRunEgress: [apollo] }),
  });
}

/**
 * The minimal server and a kubernetes pool whose flow runs start throwaway Dask clusters in the
 * namespace `dask-scratch` (the dask-kubernetes operator must be installed). The flow image has
 * prefect-dask and dask-kubernetes.
 */
export function dask(app: App): PrefectPlatform {
  const flows = PrefectImage.fromRegistry('registry.example.com/data/flows-dask:2026.11.1', PrefectVersion.V3_8_3);
  return new PrefectPlatform(app, 'dask', {
    dask: { image: flows, namespace: 'dask-scratch' },
    workerPools: [{ poolName: 'dask', jobTemplate: { image: flows }, useDask: true }],
  });
}

/** A ServiceAccount annotation for an IAM role (IRSA, on EKS). */
const irsa = (role: string) => ({ annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::123456789012:role/${role}` } });

/**
 * An enterprise install on EKS: an autoscaled, highly available server on RDS PostgreSQL through a
 * PgBouncer sidecar (a native sidecar, so it is up before the server, its background services and
 * its migration), on the platform node group with a high priority; GPU flow runs on tainted GPU
 * nodes, with an IAM role for their data (IRSA); workers with a disruption budget. Kubernetes 1.29
 * or later (native sidecars).
 */
export function enterprise(app: App): PrefectPlatform {
  const platform = enterprisePlatform(app);
  // On purpose: S3 and ECR have no fixed addresses; prefect-gpu has the basic auth Secret.
  [WarningCode.EGRESS_ANYWHERE, WarningCode.SECRETS_IN_OTHER_NAMESPACES].forEach(code => PrefectWarnings.acknowledge(platform, code));
  return platform;
}

/** PgBouncer in front of RDS, on the pod's loopback. */
function pgbouncer(): k8s.Container {
  return {
    name: 'pgbouncer',
    image: 'docker.io/edoburu/pgbouncer:v1.25.1-p0',
    env: [
      { name: 'DB_HOST', value: 'prefect.cluster-c1a2b3c4d5e6.eu-west-1.rds.amazonaws.com' },
      { name: 'DB_USER', value: 'prefect' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'prefect-rds', key: 'password' } } },
      { name: 'LISTEN_PORT', value: '6432' },
      { name: 'POOL_MODE', value: 'session' },
      { name: 'AUTH_TYPE', value: 'scram-sha-256' },
    ],
    ports: [{ name: 'pgbouncer', containerPort: 6432 }],
    startupProbe: { tcpSocket: { port: k8s.IntOrString.fromNumber(6432) }, periodSeconds: 2, failureThreshold: 30 },
    resources: { requests: { cpu: k8s.Quantity.fromString('50m'), memory: k8s.Quantity.fromString('32Mi') }, limits: { memory: k8s.Quantity.fromString('128Mi') } },
    // The image writes its configuration from the environment at start.
    volumeMounts: [{ name: 'pgbouncer-config', mountPath: '/etc/pgbouncer' }],
  };
}

/** GPU flow runs on tainted nodes, with an IAM role for their data; workers with a disruption budget. */
function gpuPool(platformNodes: PrefectPodOptions): PrefectPlatformWorkerPoolOptions {
  return {
    poolName: 'gpu',
    replicas: 2,
    disruptionBudget: { maxUnavailable: 1 },
    pod: { ...platformNodes, serviceAccount: irsa('prefect-worker') },
    jobTemplate: {
      namespace: 'prefect-gpu',
      image: PrefectImage.fromRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml/flows-gpu:2026.11.2', PrefectVersion.V3_8_3),
      resources: {
        cpu: { request: Cpu.units(4) },
        memory: { request: Size.gibibytes(16), limit: Size.gibibytes(16) },
      },
      extendedResources: { 'nvidia.com/gpu': 1 },
      pod: {
        nodeSelector: { 'nvidia.com/gpu.present': 'true' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        serviceAccount: irsa('prefect-flows-gpu'),
        terminationGracePeriod: Duration.minutes(2),
      },
    },
  };
}

function enterprisePlatform(app: App): PrefectPlatform {
  const platformNodes: PrefectPodOptions = {
    nodeSelector: { 'eks.amazonaws.com/nodegroup': 'platform' },
    priorityClassName: 'prefect-critical',
  };
  return new PrefectPlatform(app, 'enterprise', {
    server: PlatformServer.deploy({
      autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 70 },
      servicesReplicas: 2,
      database: PrefectDatabase.postgres({
        host: '127.0.0.1',
        port: 6432,
        user: 'prefect',
        databaseName: 'prefect',
        password: SecretKeyReference.fromSecret('prefect-rds', 'password'),
      }),
      redis: {
        host: 'prefect.a1b2c3.ng.0001.euw1.cache.amazonaws.com',
        ssl: true,
        password: SecretKeyReference.fromSecret('prefect-redis', 'auth-token'),
      },
      pod: {
        ...platformNodes,
        sidecars: [pgbouncer()],
        volumes: [{ name: 'pgbouncer-config', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } }],
        annotations: { 'ad.datadoghq.com/prefect-server.logs': '[{"source":"prefect","service":"prefect-server"}]' },
      },
    }),
    ingress: {
      hosts: ['prefect.corp.example.com'],
      ingressClassName: 'nginx',
      tls: IngressTls.certManager({ clusterIssuer: 'corp-ca' }),
      accessControl: IngressAccessControl.prefectBasicAuth(SecretKeyReference.fromSecret('prefect-basic-auth', 'auth-string')),
    },
    workerPools: [gpuPool(platformNodes)],
    networkPolicies: NetworkIsolation.defaultDeny({
      kubernetesApiServer: NetworkDestination.cidr('10.0.0.0/24', [443]),
      // RDS (through the sidecar) and ElastiCache in the VPC.
      serverEgress: [NetworkDestination.cidr('10.20.0.0/16', [5432, 6379])],
      // Flow data in S3 and the image registry, over HTTPS.
      flowRunEgress: [NetworkDestination.anywhere([443])],
    }),
  });
}

/** Every variant, one chart (and one file in dist/) each. */
export function buildVariants(app: App): Chart[] {
  return [minimal(app), production(app), cloudWorkers(app), prefect2Agents(app), prefect1Agent(app), dask(app), enterprise(app)];
}
