import { Construct, IConstruct } from 'constructs';
import { factoryError, requireArgument } from './private/validation';
import { acknowledge, warningsOf } from './private/warnings';
import { ValidationCode } from './validation-code';

/**
 * The stable code of a warning: a choice that is accepted but risky. Warnings are printed at synth
 * (`Warning: [CODE] <Construct> '<path>': ...` on stderr); the environment variable
 * `CDK8S_PREFECT_WARNINGS` set to `error` makes them fail the synth, set to `silent` leaves them out.
 */
export enum WarningCode {
  /** An ingress without TLS (`IngressTls.none()`): the UI and the API are served in plain HTTP. */
  INGRESS_WITHOUT_TLS = 'INGRESS_WITHOUT_TLS',
  /** A network destination open to every address (`NetworkDestination.anywhere`). */
  EGRESS_ANYWHERE = 'EGRESS_ANYWHERE',
  /** A Prefect release newer than the newest this library was verified with. */
  UNVERIFIED_RELEASE = 'UNVERIFIED_RELEASE',
  /** An image whose tag names another Prefect release than the one it is said to contain. */
  IMAGE_TAG_RELEASE = 'IMAGE_TAG_RELEASE',
  /** An AgentRbac granted in every namespace (`clusterWide`), Secrets included with `manageApiKeySecrets`. */
  CLUSTER_WIDE_RBAC = 'CLUSTER_WIDE_RBAC',
  /** Secrets that the flow-run pods reference in namespaces where the chart does not create them. */
  SECRETS_IN_OTHER_NAMESPACES = 'SECRETS_IN_OTHER_NAMESPACES',
  /**
   * An ingress that lets anyone who reaches its host use the API: `IngressAccessControl.none()`,
   * or `nginxBasicAuth()`, which guards the UI only.
   */
  API_WITHOUT_AUTH = 'API_WITHOUT_AUTH',
  /**
   * A namespace the chart creates enforcing Pod Security "baseline" rather than "restricted",
   * because a pool launches flow-run pods whose spec is made outside the library there.
   */
  POD_SECURITY_BASELINE = 'POD_SECURITY_BASELINE',
}

/** A warning of a construct. */
export interface PrefectWarning {
  /** The warning's stable code. */
  readonly code: WarningCode;
  /** The path of the construct that warns. */
  readonly constructPath: string;
  /** The message, as printed: code, construct, path and what is risky. */
  readonly message: string;
}

/** The warnings the constructs give, for a test or a CI check, and a way to acknowledge one. */
export class PrefectWarnings {
  /** The warnings of the constructs at or under `scope` (an app, a chart, a construct), in order. */
  public static of(scope: IConstruct): PrefectWarning[] {
    checkScope('PrefectWarnings.of', scope);
    return warningsOf(scope);
  }

  /**
   * Acknowledges a risk taken on purpose: warnings of `code` of `scope` and the constructs under it
   * are no longer given.
   */
  public static acknowledge(scope: IConstruct, code: WarningCode): void {
    checkScope('PrefectWarnings.acknowledge', scope);
    requireArgument('PrefectWarnings.acknowledge', 'code', code, 'a WarningCode');
    const codes = Object.values(WarningCode) as string[];
    if (!codes.includes(code)) throw factoryError('PrefectWarnings.acknowledge', 'code', code, `one of ${codes.join(', ')}`, ValidationCode.CHOICE);
    acknowledge(scope, code);
  }

  private constructor() {}
}

/** A construct (an app, a chart, a construct of the library), where JavaScript or Python can pass anything. */
function checkScope(factory: string, scope: unknown): void {
  requireArgument(factory, 'scope', scope, 'an app, a chart or a construct');
  if (!Construct.isConstruct(scope)) throw factoryError(factory, 'scope', scope, 'an app, a chart or a construct', ValidationCode.FORMAT);
}
