import { App, Chart, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import {
  IngressAccessControl, IngressTls, NetworkDestination, NetworkIsolation, PlatformServer, PrefectConnection, PrefectDatabase, PrefectImage,
  PrefectLogLevel, PrefectPlatform, PrefectVersion, PrefectWarnings, QueueDeployments, SecretKeyReference, WarningCode, WorkerRuntime,
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

/** Every variant, one chart (and one file in dist/) each. */
export function buildVariants(app: App): Chart[] {
  return [minimal(app), production(app), cloudWorkers(app), prefect2Agents(app), prefect1Agent(app), dask(app)];
}
