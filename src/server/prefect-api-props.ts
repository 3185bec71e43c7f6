import { Duration } from 'cdk8s';
import { ContainerResources } from 'cdk8s-plus-27';
import { PrefectAutoscaling } from '../core/autoscaling';
import { EnvironmentVariable } from '../core/environment-variable';
import { PrefectLogLevel } from '../core/log-level';
import { PrefectPodOptions } from '../core/pod-options';
import { PrefectImage } from '../core/prefect-image';
import { SecretKeyReference } from '../core/secret-key-reference';
import { PrefectDatabase } from './prefect-database';
import { PrefectRedisOptions } from './prefect-redis';

/** Properties of a `PrefectApi`. */
export interface PrefectApiProps {
  /**
   * Name of the server's Service and workload, and prefix of its other objects.
   * @default "prefect-server"
   */
  readonly name?: string;

  /**
   * The Prefect image, which also decides the Prefect release (settings names and features).
   * @default PrefectImage.official(): Prefect 3.8.3; the `-kubernetes` flavor (with prefect-redis) when highly available
   */
  readonly image?: PrefectImage;

  /**
   * Names of existing Secrets to pull the image with.
   * @default none
   */
  readonly imagePullSecrets?: string[];

  /**
   * The database.
   * @default PrefectDatabase.sqlite()
   */
  readonly database?: PrefectDatabase;

  /**
   * Number of API server pods. More than one makes the server highly available (Prefect 3.4.16+):
   * it needs PostgreSQL and `redis`; the background services then run in their own Deployment,
   * migrations run once in a Job, and a PodDisruptionBudget protects the API.
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Scale the API pods with a HorizontalPodAutoscaler instead of a fixed `replicas` (which must
   * then be unset). The server is highly available, so `minReplicas` is at least 2 and the
   * requirements of `replicas` > 1 apply.
   * @default none: `replicas` pods
   */
  readonly autoscaling?: PrefectAutoscaling;

  /**
   * Background services pods of a highly available server. More than one needs Prefect 3.6.7 or
   * newer, whose loop services run as docket tasks on Redis, each in one pod at a time; they then
   * roll one at a time and get a PodDisruptionBudget.
   * @default 1
   */
  readonly servicesReplicas?: number;

  /**
   * Redis for a highly available server. Required when `replicas` is more than one.
   * @default none
   */
  readonly redis?: PrefectRedisOptions;

  /**
   * Port the server listens on and the Service exposes.
   * @default 4200
   */
  readonly port?: number;

  /**
   * The API URL as the browser sees it: the UI calls the API there. Leave it unset when the server
   * has a `PrefectIngress` (which sets it) or an external Service with an `address`. Without
   * either, the UI is reached through `kubectl port-forward`, hence the default.
   * @default the ingress's URL, else the external Service's address, else "http://localhost:<port>/api"
   */
  readonly uiApiUrl?: string;

  /**
   * Send anonymous usage data to Prefect.
   * @default false
   */
  readonly analytics?: boolean;

  /**
   * Log level of the server.
   * @default PrefectLogLevel.WARNING
   */
  readonly logLevel?: PrefectLogLevel;

  /**
   * Basic auth for the UI and API (Prefect 3.1.13+): a Secret key holding `user:password`. Clients
   * must then send the same string as `PREFECT_API_AUTH_STRING`; the worker pools of this app that
   * connect with `PrefectConnection.inCluster` do. The health endpoints stay open. A `PrefectIngress`
   * with `IngressAccessControl.prefectBasicAuth` sets it too.
   * @default no authentication
   */
  readonly basicAuth?: SecretKeyReference;

  /**
   * Extra environment variables for every Prefect container of the server. They may not replace
   * one the construct sets (use its prop instead).
   * @default none
   */
  readonly env?: EnvironmentVariable[];

  /**
   * IANA time zone of the containers (`TZ`), e.g. `Europe/Berlin`.
   * @default the image's (UTC)
   */
  readonly timeZone?: string;

  /**
   * Resources of the API server container. A memory limit is required.
   * @default requests 500m CPU and 512Mi memory, memory limit 1Gi
   */
  readonly resources?: ContainerResources;

  /**
   * Resources of the background services container (highly available servers only).
   * @default requests 250m CPU and 512Mi memory, memory limit 1Gi
   */
  readonly servicesResources?: ContainerResources;

  /**
   * How long the server may take to start, first database migrations included, before it is
   * restarted.
   * @default Duration.minutes(5)
   */
  readonly startupTimeout?: Duration;

  /**
   * What is set on the server's pods (see `PrefectPodOptions`): labels, annotations, scheduling,
   * extra volumes, init containers and sidecars, `envFrom`. Its `serviceAccount` annotates the
   * server's ServiceAccount, which the background services and the migration Job share.
   * @default none
   */
  readonly pod?: PrefectPodOptions;

  /**
   * What is set on the background services' pods (highly available servers only), instead of `pod`.
   * @default the server's `pod`
   */
  readonly servicesPod?: PrefectPodOptions;

  /**
   * What is set on the migration Job's pod (highly available servers only), instead of `pod`.
   * @default the server's `pod`
   */
  readonly migrationPod?: PrefectPodOptions;
}
