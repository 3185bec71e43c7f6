import { Chart } from 'cdk8s';
import { k8s, ServiceAccount } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PrefectVersion } from '../core/prefect-version';
import { clusterScoped } from '../core/private/cluster-scoped';
import { recommendedLabels } from '../core/private/labels';
import { bindRole } from '../core/private/rbac';
import { register } from '../core/private/registry';
import { checkAnnotations, checkBooleans, checkDns1123Subdomain, checkEnum, checkInstance, checkJobNamespace, checkLists, propError } from '../core/private/validation';
import { warn } from '../core/private/warnings';
import { ValidationCode } from '../core/validation-code';
import { WarningCode } from '../core/warning-code';

/** What launches the flow runs, which decides the Kubernetes permissions it needs. */
export enum RunLauncher {
  /** A Prefect 2.10+ or 3 worker of a `kubernetes` work pool (prefect-kubernetes). */
  KUBERNETES_WORKER = 'KUBERNETES_WORKER',
  /** A Prefect 2 agent running `KubernetesJob` infrastructure. */
  PREFECT2_AGENT = 'PREFECT2_AGENT',
  /** The Prefect 1 Kubernetes agent. */
  PREFECT1_KUBERNETES_AGENT = 'PREFECT1_KUBERNETES_AGENT',
}

/** Properties of an `AgentRbac`. */
export interface AgentRbacProps {
  /**
   * What launches the runs.
   * @default RunLauncher.KUBERNETES_WORKER
   */
  readonly launcher?: RunLauncher;

  /**
   * Name of the ServiceAccount, and of the Role and RoleBinding in each job namespace.
   * @default "prefect-worker"
   */
  readonly name?: string;

  /**
   * Namespaces where flow-run Jobs are created: each gets a Role and a RoleBinding.
   * @default the chart's namespace
   */
  readonly jobNamespaces?: string[];

  /**
   * Let a Kubernetes worker manage Secrets in the job namespaces, which it needs only when it creates
   * a Secret for the API key of its runs (`PREFECT_INTEGRATIONS_KUBERNETES_WORKER_CREATE_SECRET_FOR_API_KEY=true`).
   * @default false
   */
  readonly manageApiKeySecrets?: boolean;

  /**
   * Grant the permissions in every namespace, with a ClusterRole and ClusterRoleBinding, instead
   * of a Role per job namespace. Only for workers whose runs may go to any namespace.
   * @default false
   */
  readonly clusterWide?: boolean;

  /**
   * The Prefect release of the worker or agent, for the `app.kubernetes.io/version` label.
   * @default 3.8.3 for workers, 2.20.25 for Prefect 2 agents, 1.4.1 for the Prefect 1 agent
   */
  readonly version?: PrefectVersion;

  /**
   * Annotations of the ServiceAccount: a cloud identity such as `eks.amazonaws.com/role-arn`
   * (IRSA) or `iam.gke.io/gcp-service-account` (Workload Identity).
   * @default none
   */
  readonly serviceAccountAnnotations?: { [key: string]: string };
}

const READ = ['get', 'list', 'watch'];
const LAUNCH_JOBS = ['get', 'list', 'watch', 'create', 'delete'];

/**
 * The least-privilege rules of each launcher, from the Kubernetes calls of its source: Prefect
 * 2.10 to 3.8 workers (Jobs created, watched, read and deleted on cancellation; pods watched and
 * their logs read; events listed by Prefect 2), Prefect 2's `KubernetesJob` infrastructure, and the
 * Prefect 1.4 agent. Nothing patches or updates Jobs or reads `pods/status`.
 */
const RULES: Record<RunLauncher, (manageApiKeySecrets: boolean) => k8s.PolicyRule[]> = {
  [RunLauncher.KUBERNETES_WORKER]: manageApiKeySecrets => [
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['list'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: LAUNCH_JOBS },
    ...(manageApiKeySecrets ? [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update', 'delete'] }] : []),
  ],
  [RunLauncher.PREFECT2_AGENT]: () => [
    { apiGroups: [''], resources: ['pods'], verbs: READ },
    { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    { apiGroups: ['batch'], resources: ['jobs'], verbs: LAUNCH_JOBS },
  ],
  [RunLauncher.PREFECT1_KUBERNETES_AGENT]: () => [
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list', 'delete'] },
    { apiGroups: [''], resources: ['pods', 'events'], verbs: ['list'] },
  ],
};

const DEFAULT_VERSION: Record<RunLauncher, PrefectVersion> = {
  [RunLauncher.KUBERNETES_WORKER]: PrefectVersion.V3_8_3,
  [RunLauncher.PREFECT2_AGENT]: PrefectVersion.V2_20_25,
  [RunLauncher.PREFECT1_KUBERNETES_AGENT]: PrefectVersion.V1_4_1,
};

/**
 * The identity of a worker or agent that launches flow runs as Kubernetes Jobs: a ServiceAccount,
 * and in every namespace where runs are launched a Role with exactly the permissions the launcher
 * uses and a RoleBinding to the ServiceAccount. No wildcards, no Secrets access unless asked for,
 * no cluster-wide grant unless asked for.
 */
export class AgentRbac extends Construct {
  /** The ServiceAccount the worker or agent pods run as. */
  public readonly serviceAccount: ServiceAccount;
  /** Name of the ServiceAccount, and of the Role and RoleBinding in each job namespace. */
  public readonly name: string;
  /** The ServiceAccount's name. */
  public readonly serviceAccountName: string;
  /** The namespace of the ServiceAccount (the chart's). */
  public readonly namespace: string;
  /** The namespaces with a Role and RoleBinding (empty when cluster-wide). */
  public readonly jobNamespaces: string[];
  /** What the permissions are for. */
  public readonly launcher: RunLauncher;
  /** Whether the permissions hold in every namespace. */
  public readonly clusterWide: boolean;

  public constructor(scope: Construct, id: string, props: AgentRbacProps = {}) {
    super(scope, id);
    register(this);
    // null from JavaScript or Python stands for no props, as undefined does.
    props = props ?? {};
    const name = props.name ?? 'prefect-worker';
    this.name = name;
    checkEnum(this, 'launcher', props.launcher, RunLauncher, 'RunLauncher');
    checkLists(this, { jobNamespaces: props.jobNamespaces }, 'string');
    checkInstance(this, 'version', props.version, PrefectVersion, 'a PrefectVersion, such as PrefectVersion.V3_8_3 or PrefectVersion.of("3.8.3")');
    checkBooleans(this, { clusterWide: props.clusterWide, manageApiKeySecrets: props.manageApiKeySecrets });
    checkAnnotations(this, 'serviceAccountAnnotations', props.serviceAccountAnnotations ?? {});
    this.launcher = props.launcher ?? RunLauncher.KUBERNETES_WORKER;
    this.clusterWide = props.clusterWide ?? false;
    const manageSecrets = props.manageApiKeySecrets ?? false;
    if (this.clusterWide) {
      warn(this, WarningCode.CLUSTER_WIDE_RBAC, () => `clusterWide is true: the worker may create Jobs and read pods in every namespace${manageSecrets ? ', and read and write every Secret of the cluster (manageApiKeySecrets)' : ''}; jobNamespaces grants only those it names`);
    }
    const namespace = Chart.of(this).namespace;
    if (!namespace) {
      throw propError(this, 'namespace', undefined,
        'a chart with a namespace: the RoleBindings name the ServiceAccount by namespace (new Chart(app, id, { namespace }))', ValidationCode.REQUIRED);
    }
    this.namespace = namespace;
    checkDns1123Subdomain(this, 'name', name);
    if (name.length > 63) {
      throw propError(this, 'name', name, 'at most 63 characters', ValidationCode.TOO_LONG);
    }
    if (manageSecrets && this.launcher !== RunLauncher.KUBERNETES_WORKER) {
      throw propError(this, 'manageApiKeySecrets', true, `false for ${this.launcher}: only the Kubernetes worker stores API keys in Secrets`, ValidationCode.CONFLICT);
    }
    if (this.clusterWide && props.jobNamespaces !== undefined) {
      throw propError(this, 'jobNamespaces', props.jobNamespaces.join(','), 'unset when clusterWide is true (the grant covers every namespace)', ValidationCode.CONFLICT);
    }
    const jobNamespaces = this.clusterWide ? [] : props.jobNamespaces ?? [namespace];
    if (!this.clusterWide && jobNamespaces.length === 0) {
      throw propError(this, 'jobNamespaces', '', 'at least one namespace', ValidationCode.REQUIRED);
    }
    for (const ns of jobNamespaces) checkJobNamespace(this, 'jobNamespaces', ns);
    const duplicate = jobNamespaces.find((n, i) => jobNamespaces.indexOf(n) !== i);
    if (duplicate) throw propError(this, 'jobNamespaces', duplicate, 'each namespace once', ValidationCode.DUPLICATE);
    this.jobNamespaces = jobNamespaces;

    const labels = recommendedLabels(name, 'rbac', props.version ?? DEFAULT_VERSION[this.launcher]);
    this.serviceAccount = new ServiceAccount(this, 'Resource', {
      metadata: { name, labels, annotations: props.serviceAccountAnnotations },
      // The token is mounted by the pods that use it, not by every pod of the namespace.
      automountToken: false,
    });
    this.serviceAccountName = this.serviceAccount.name;

    const rules = RULES[this.launcher](manageSecrets);
    const subjects = [this.serviceAccount];
    if (this.clusterWide) {
      const role = clusterScoped(new k8s.KubeClusterRole(this, 'ClusterRole', { metadata: { name: `${namespace}-${name}`, labels }, rules }));
      bindRole(this, 'ClusterRoleBinding', role, { labels, subjects });
      return;
    }
    for (const ns of jobNamespaces) {
      // The chart's namespace keeps the plain ids, so adding job namespaces never renames them.
      const suffix = ns === namespace ? '' : `-${ns}`;
      const role = new k8s.KubeRole(this, `Role${suffix}`, { metadata: { name, namespace: ns, labels }, rules });
      bindRole(this, `RoleBinding${suffix}`, role, { labels, subjects });
    }
  }
}
