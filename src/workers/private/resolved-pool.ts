import { Duration } from 'cdk8s';
import { EnvironmentVariable } from '../../core/environment-variable';
import { PrefectLogLevel } from '../../core/log-level';
import { PrefectImage } from '../../core/prefect-image';
import { PrefectVersion } from '../../core/prefect-version';
import { KubernetesJobTemplateOptions } from '../kubernetes-job-template';
import { PrefectConnection } from '../prefect-connection';
import { ConfigFile, WorkPoolType, WorkQueue } from '../work-pool';

/**
 * A pool's props with every default applied, resolved once in the pool's constructor: what the
 * runtimes, the validation and the builders read instead of the props.
 */
export interface ResolvedPool {
  readonly type: WorkPoolType;
  /** Whether flow runs are Kubernetes Jobs (kubernetes pools). */
  readonly launchesJobs: boolean;
  /** The chart's namespace, where the workers run. */
  readonly namespace?: string;
  /** The work pool's name in Prefect (undefined for the Prefect 1 agent). */
  readonly poolName?: string;
  /** Name of the Kubernetes objects. */
  readonly name: string;
  readonly image: PrefectImage;
  readonly version: PrefectVersion;
  readonly connection: PrefectConnection;
  readonly queues: WorkQueue[];
  /** One Deployment per queue. */
  readonly perQueue: boolean;
  readonly replicas: number;
  /** Whether the pool, its template and its queues are set up here. */
  readonly managePool: boolean;
  /** Whether a base job template kept here is applied to the pool (managed kubernetes pools of workers). */
  readonly keepsBaseJobTemplate: boolean;
  readonly jobTemplate: KubernetesJobTemplateOptions;
  /** The namespace of the flow-run Jobs (kubernetes pools). */
  readonly jobNamespace?: string;
  /** Every namespace flow runs are launched in, the job template's first. */
  readonly jobNamespaces: string[];
  readonly imagePullSecrets: string[];
  readonly files: ConfigFile[];
  readonly pipPackages: string[];
  readonly env: EnvironmentVariable[];
  readonly logLevel: PrefectLogLevel;
  readonly timeZone?: string;
  readonly workerName?: string;
  readonly limit?: number;
  readonly prefetch?: Duration;
  readonly queryInterval?: Duration;
  readonly clusterUid?: string;
}

/** Kubernetes-safe form of a Prefect name: lower case, other characters as '-'. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}
