import { PrefectNetworkPoliciesOptions } from './network-policies-props';

/** Whether a `PrefectPlatform` fences its pods in with NetworkPolicies. */
export class NetworkIsolation {
  /**
   * `PrefectNetworkPolicies` around every pod of the platform: all traffic is denied but the paths
   * Prefect needs (see `PrefectNetworkPolicies` for the options).
   */
  public static defaultDeny(options: PrefectNetworkPoliciesOptions = {}): NetworkIsolation {
    // null from JavaScript or Python is "no options", not "no policies".
    return new NetworkIsolation(options ?? {});
  }

  /** No NetworkPolicies: every pod may reach and be reached by any other. */
  public static none(): NetworkIsolation {
    return new NetworkIsolation(undefined);
  }

  private constructor(
    /** @internal */
    public readonly _options: PrefectNetworkPoliciesOptions | undefined,
  ) {}
}
