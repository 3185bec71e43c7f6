import { App, Chart, ChartProps, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PrefectApi, PrefectDatabase, PrefectLogLevel, SecretKeyReference } from '..';

/**
 * The embedded default: a Prefect 3 server on SQLite, reached with
 * `kubectl port-forward svc/prefect-server 4200:4200`.
 */
export class MinimalChart extends Chart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'prefect', ...props });
    new PrefectApi(this, 'Server');
  }
}

/**
 * A highly available Prefect 3 server: three API pods on PostgreSQL (credentials in Secrets that
 * already exist in the namespace), Redis for messaging, background services and migrations apart.
 */
export class ProductionChart extends Chart {
  public constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'prefect', ...props });
    new PrefectApi(this, 'Server', {
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
      basicAuth: SecretKeyReference.fromSecret('prefect-basic-auth', 'auth-string'),
      uiApiUrl: 'https://prefect.example.com/api',
      logLevel: PrefectLogLevel.INFO,
      resources: {
        cpu: { request: Cpu.units(1) },
        memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) },
      },
    });
  }
}

/** Every variant, one chart (and one file in dist/) each. */
export function buildVariants(app: App): Chart[] {
  return [
    new MinimalChart(app, 'minimal'),
    new ProductionChart(app, 'production'),
  ];
}
