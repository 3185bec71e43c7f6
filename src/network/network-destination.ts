import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkCidr, checkInteger, checkLabels, checkLists, checkNamespaceName, checkRequired, propError, requireArgument } from '../core/private/validation';
import { warn } from '../core/private/warnings';
import { ValidationCode } from '../core/validation-code';
import { WarningCode } from '../core/warning-code';
import { ANY_IPV4, ANY_IPV6, cidrContains, namespacePeer, tcp } from './private/peers';

/** Somewhere pods may connect to, beyond what the policies allow by themselves. */
export class NetworkDestination {
  /**
   * Any address, on the given TCP ports: for services outside the cluster whose addresses are not
   * known in advance (object storage, git hosts, SaaS APIs).
   */
  public static anywhere(ports: number[]): NetworkDestination {
    requireArgument('NetworkDestination.anywhere', 'ports', ports, 'the TCP ports, such as [443]');
    return new NetworkDestination('anywhere', ports, [{ ipBlock: { cidr: ANY_IPV4 } }, { ipBlock: { cidr: ANY_IPV6 } }]);
  }

  /** The addresses of a CIDR, e.g. `10.20.0.0/16`, minus `exceptCidrs` (within it), on the given TCP ports. */
  public static cidr(cidr: string, ports: number[], exceptCidrs?: string[]): NetworkDestination {
    requireArgument('NetworkDestination.cidr', 'cidr', cidr, 'a CIDR such as "10.0.0.0/8"');
    requireArgument('NetworkDestination.cidr', 'ports', ports, 'the TCP ports, such as [443]');
    return new NetworkDestination('cidr', ports, [{ ipBlock: { cidr, except: exceptCidrs } }]);
  }

  /**
   * Pods of a namespace (all, or those with `podLabels`), on the given TCP ports: for services in
   * the cluster such as a database.
   */
  public static inNamespace(namespaceName: string, ports: number[], podLabels?: { [key: string]: string }): NetworkDestination {
    requireArgument('NetworkDestination.inNamespace', 'namespaceName', namespaceName, 'a namespace name');
    requireArgument('NetworkDestination.inNamespace', 'ports', ports, 'the TCP ports, such as [5432]');
    return new NetworkDestination('namespace', ports, [namespacePeer(namespaceName ?? '', podLabels)], namespaceName, podLabels);
  }

  private constructor(
    private readonly kind: 'anywhere' | 'cidr' | 'namespace',
    private readonly ports: number[],
    private readonly peers: k8s.NetworkPolicyPeer[],
    private readonly namespaceName?: string,
    private readonly podLabels?: { [key: string]: string },
  ) {}

  /** @internal */
  public _validate(scope: IConstruct, prop: string): void {
    if (!Array.isArray(this.ports) || this.ports.length === 0) {
      throw propError(scope, `${prop}.ports`, Array.isArray(this.ports) ? '(none)' : this.ports, 'at least one TCP port, in a list', ValidationCode.REQUIRED);
    }
    for (const port of this.ports) checkInteger(scope, `${prop}.ports`, port, 1, 65535);
    // Without a namespace the selector would match every namespace's pods.
    if (this.kind === 'namespace') checkRequired(scope, `${prop}.namespaceName`, this.namespaceName, 'a namespace name');
    for (const peer of this.peers) {
      if (peer.ipBlock) {
        checkRequired(scope, `${prop}.cidr`, peer.ipBlock.cidr, 'a CIDR such as "10.0.0.0/8"');
        checkCidr(scope, `${prop}.cidr`, peer.ipBlock.cidr);
        checkLists(scope, { [`${prop}.exceptCidrs`]: peer.ipBlock.except }, 'string');
        for (const except of peer.ipBlock.except ?? []) {
          checkCidr(scope, `${prop}.exceptCidrs`, except);
          if (!cidrContains(peer.ipBlock.cidr, except)) {
            throw propError(scope, `${prop}.exceptCidrs`, except, `ranges within ${peer.ipBlock.cidr}, of the same address family`, ValidationCode.CONFLICT);
          }
        }
      }
    }
    if (this.namespaceName !== undefined) checkNamespaceName(scope, `${prop}.namespaceName`, this.namespaceName);
    checkLabels(scope, `${prop}.podLabels`, this.podLabels);
    // A /0 range is every address of its family, as anywhere() is.
    const every = this.kind === 'anywhere' || this.peers.some(p => p.ipBlock?.cidr.endsWith('/0') && !(p.ipBlock.except?.length));
    if (every) {
      const given = this.kind === 'anywhere' ? `NetworkDestination.anywhere([${this.ports.join(', ')}])` : `NetworkDestination.cidr("${this.peers[0].ipBlock!.cidr}")`;
      warn(scope, WarningCode.EGRESS_ANYWHERE, () => `${prop} is ${given}: the pods may connect to every address on these ports, the internet included; NetworkDestination.cidr() with a narrower range limits it where the addresses are known`);
    }
  }

  /** @internal */
  public _rule(): k8s.NetworkPolicyEgressRule {
    return { to: this.peers, ports: tcp(this.ports) };
  }
}
