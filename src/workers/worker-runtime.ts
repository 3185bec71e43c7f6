import { PrefectVersion } from '../core/prefect-version';
import { Prefect1AgentBehaviour, Prefect2AgentBehaviour, RuntimeBehaviour, WorkerBehaviour } from './private/runtimes';

/** Options of the Prefect 1 Kubernetes agent. */
export interface Prefect1AgentOptions {
  /**
   * Agent labels: the agent runs only flows whose labels are all among these.
   * @default none (the agent runs only flows without labels)
   */
  readonly labels?: string[];

  /**
   * Delete a flow run's Job when it has finished.
   * @default true
   */
  readonly deleteFinishedJobs?: boolean;
}

/** Which program polls the pool and launches the flow runs. */
export enum WorkerRuntimeKind {
  /** `prefect worker start` (Prefect 2.10+ and 3). */
  WORKER = 'WORKER',
  /** `prefect agent start` (Prefect 2 only). */
  PREFECT2_AGENT = 'PREFECT2_AGENT',
  /** `prefect agent kubernetes start` (Prefect 1). */
  PREFECT1_KUBERNETES_AGENT = 'PREFECT1_KUBERNETES_AGENT',
}

/**
 * The program that polls for flow runs and launches them: a Prefect 3 (or 2.10+) worker, a
 * Prefect 2 agent, or the Prefect 1 Kubernetes agent.
 */
export class WorkerRuntime {
  /**
   * A worker, `prefect worker start` (Prefect 2.10+ and 3): polls a typed work pool, applies its
   * base job template, and answers health checks so a hung worker is restarted.
   */
  public static worker(): WorkerRuntime {
    return new WorkerRuntime(WorkerRuntimeKind.WORKER, {}, new WorkerBehaviour());
  }

  /**
   * A Prefect 2 agent, `prefect agent start --pool P --work-queue Q`: runs the deployments'
   * infrastructure blocks (for example `KubernetesJob`). Agents have no health endpoint, so a hung
   * agent is not restarted; prefer workers (Prefect 2.10+).
   */
  public static prefect2Agent(): WorkerRuntime {
    return new WorkerRuntime(WorkerRuntimeKind.PREFECT2_AGENT, {}, new Prefect2AgentBehaviour());
  }

  /**
   * The Prefect 1 Kubernetes agent, `prefect agent kubernetes start`: what
   * `prefect agent kubernetes install --rbac` deploys, with least-privilege RBAC and API versions
   * current clusters serve.
   */
  public static prefect1KubernetesAgent(options: Prefect1AgentOptions = {}): WorkerRuntime {
    // null from JavaScript or Python stands for no options, as undefined does.
    options = options ?? {};
    return new WorkerRuntime(WorkerRuntimeKind.PREFECT1_KUBERNETES_AGENT, options,
      new Prefect1AgentBehaviour(options.labels ?? [], options.deleteFinishedJobs ?? true));
  }

  /** Which program it is. */
  public readonly kind: WorkerRuntimeKind;
  /** The Prefect release of the default image. */
  public readonly defaultVersion: PrefectVersion;
  /** Options of the Prefect 1 agent. */
  public readonly prefect1Options: Prefect1AgentOptions;
  /**
   * What the pool asks of the runtime: arguments, environment, probes, validation.
   * @internal
   */
  public readonly _behaviour: RuntimeBehaviour;

  private constructor(kind: WorkerRuntimeKind, prefect1Options: Prefect1AgentOptions, behaviour: RuntimeBehaviour) {
    this.kind = kind;
    this.defaultVersion = behaviour.defaultVersion;
    this.prefect1Options = prefect1Options;
    this._behaviour = behaviour;
  }
}
