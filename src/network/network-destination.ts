import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkCidr, checkInteger, checkLabels, checkNamespaceName, propError } from '../core/private/validation';
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
    return new NetworkDestination(ports, [{ ipBlock: { cidr: ANY_IPV4 } }, { ipBlock: { cidr: ANY_IPV6 } }], undefined, undefined, true);
  }

  /** The addresses of a CIDR, e.g. `10.20.0.0/16`, minus `exceptCidrs` (within it), on the given TCP ports. */
  public static cidr(cidr: string, ports: number[], exceptCidrs?: string[]): NetworkDestination {
    return new NetworkDestination(ports, [{ ipBlock: { cidr, except: exceptCidrs } }]);
  }

  /**
   * Pods of a namespace (all, or those with `podLabels`), on the given TCP ports: for services in
   * the cluster such as a database.
   */
  public static inNamespace(namespaceName: string, ports: number[], podLabels?: { [key: string]: string }): NetworkDestination {
    return new NetworkDestination(ports, [namespacePeer(namespaceName, podLabels)], namespaceName, podLabels);
  }

  private constructor(
    private readonly ports: number[],
    private readonly peers: k8s.NetworkPolicyPeer[],
    private readonly namespaceName?: string,
    private readonly podLabels?: { [key: string]: string },
    private readonly anywhere = false,
  ) {}

  /** @internal */
  public _validate(scope: IConstruct, prop: string): void {
    if (this.ports.length === 0) throw propError(scope, `${prop}.ports`, '(none)', 'at least one TCP port', ValidationCode.REQUIRED);
    for (const port of this.ports) checkInteger(scope, `${prop}.ports`, port, 1, 65535);
    if (this.anywhere) {
      warn(scope, WarningCode.EGRESS_ANYWHERE, () => `${prop} is NetworkDestination.anywhere([${this.ports.join(', ')}]): the pods may connect to every address on these ports, the internet included; NetworkDestination.cidr() narrows it where the addresses are known`);
    }
    for (const peer of this.peers) {
      if (peer.ipBlock) {
        checkCidr(scope, `${prop}.cidr`, peer.ipBlock.cidr);
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
  }

  /** @internal */
  public _rule(): k8s.NetworkPolicyEgressRule {
    return { to: this.peers, ports: tcp(this.ports) };
  }
}
