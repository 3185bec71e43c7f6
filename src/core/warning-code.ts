import { IConstruct } from 'constructs';
import { acknowledge, warningsOf } from './private/warnings';

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
    return warningsOf(scope);
  }

  /**
   * Acknowledges a risk taken on purpose: warnings of `code` of `scope` and the constructs under it
   * are no longer given.
   */
  public static acknowledge(scope: IConstruct, code: WarningCode): void {
    acknowledge(scope, code);
  }

  private constructor() {}
}
