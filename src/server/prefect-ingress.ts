import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { recommendedLabels } from '../core/private/labels';
import { SINCE } from '../core/private/prefect-settings';
import { register } from '../core/private/registry';
import {
  checkAnnotations, checkBranded, checkDns1123Subdomain, checkHostName, checkInstance, checkLists, checkRequired, checkString, propError, requireArgument,
  requireSecretArgument,
} from '../core/private/validation';
import { warn } from '../core/private/warnings';
import { SecretKeyReference } from '../core/secret-key-reference';
import { ValidationCode } from '../core/validation-code';
import { WarningCode } from '../core/warning-code';
import type { PrefectApi } from './prefect-api';

/** Options of a certificate issued by cert-manager. Give exactly one of `clusterIssuer` and `issuer`. */
export interface CertManagerTlsOptions {
  /**
   * Name of a cert-manager ClusterIssuer (`cert-manager.io/cluster-issuer`).
   * @default none: give issuer
   */
  readonly clusterIssuer?: string;

  /**
   * Name of a cert-manager Issuer in the ingress's namespace (`cert-manager.io/issuer`).
   * @default none: give clusterIssuer
   */
  readonly issuer?: string;

  /**
   * The Secret cert-manager writes the certificate to.
   * @default "<ingress name>-tls"
   */
  readonly secretName?: string;
}

/** How browsers reach the ingress: HTTPS with a certificate from a Secret or cert-manager, or HTTP. */
export class IngressTls {
  /** HTTPS with the certificate and key of an existing `kubernetes.io/tls` Secret in the namespace. */
  public static fromSecret(secretName: string): IngressTls {
    requireArgument('IngressTls.fromSecret', 'secretName', secretName, 'the name of a kubernetes.io/tls Secret');
    return new IngressTls('secret', secretName);
  }

  /** HTTPS with a certificate cert-manager issues and renews (its ingress-shim reads the annotation). */
  public static certManager(options: CertManagerTlsOptions): IngressTls {
    requireArgument('IngressTls.certManager', 'options', options, '{ clusterIssuer } or { issuer }');
    return new IngressTls('cert-manager', options.secretName, options);
  }

  /**
   * HTTPS that ends in front of the ingress controller (a cloud load balancer holds the
   * certificate): the URLs are `https://`, the Ingress has no TLS section.
   */
  public static terminatedUpstream(): IngressTls {
    return new IngressTls('upstream');
  }

  /** Plain HTTP: passwords and API keys cross the network readable. For isolated networks only. */
  public static none(): IngressTls {
    return new IngressTls('none');
  }

  private constructor(
    private readonly mode: 'secret' | 'cert-manager' | 'upstream' | 'none',
    private readonly secret?: string,
    private readonly certManagerOptions?: CertManagerTlsOptions,
  ) {}

  /** Whether browsers use HTTPS. */
  public get https(): boolean {
    return this.mode !== 'none';
  }

  /** @internal */
  public _validate(scope: Construct, prop: string): void {
    if (this.secret !== undefined) checkDns1123Subdomain(scope, `${prop}.secretName`, this.secret);
    const options = this.certManagerOptions;
    if (this.mode === 'cert-manager') {
      if ((options?.clusterIssuer === undefined) === (options?.issuer === undefined)) {
        throw propError(scope, prop, `IngressTls.certManager() with ${options?.clusterIssuer ? 'both clusterIssuer and issuer' : 'neither clusterIssuer nor issuer'}`,
          'exactly one of clusterIssuer (a ClusterIssuer\'s name) and issuer (an Issuer\'s name in the ingress\'s namespace)', ValidationCode.CONFLICT);
      }
      if (options!.clusterIssuer !== undefined) checkDns1123Subdomain(scope, `${prop}.clusterIssuer`, options!.clusterIssuer);
      if (options!.issuer !== undefined) checkDns1123Subdomain(scope, `${prop}.issuer`, options!.issuer);
    }
  }

  /** The `tls` entries of the Ingress. @internal */
  public _tlsSection(hosts: string[], defaultSecret: string): k8s.IngressTls[] | undefined {
    if (this.mode !== 'secret' && this.mode !== 'cert-manager') return undefined;
    return [{ hosts, secretName: this.secret ?? defaultSecret }];
  }

  /** The annotations that make cert-manager issue the certificate. @internal */
  public _annotations(): Record<string, string> {
    const options = this.certManagerOptions;
    if (this.mode !== 'cert-manager') return {};
    return options!.clusterIssuer !== undefined
      ? { 'cert-manager.io/cluster-issuer': options!.clusterIssuer }
      : { 'cert-manager.io/issuer': options!.issuer! };
  }
}

/** Options of nginx basic auth in front of the UI (ingress-nginx). */
export interface NginxBasicAuthOptions {
  /**
   * Name of an existing Secret in the ingress's namespace whose key `auth` holds htpasswd lines
   * (`htpasswd -c auth admin`, then `kubectl create secret generic <name> --from-file=auth`).
   */
  readonly htpasswdSecret: string;

  /**
   * The realm the browser shows in its password prompt.
   * @default "Prefect"
   */
  readonly realm?: string;
}

/** Who may use the UI and the API through the ingress. */
export class IngressAccessControl {
  /**
   * Prefect's own basic auth (Prefect 3.1.13+) on the UI and the API: the server requires the
   * `user:password` string from the Secret, and every in-cluster client of this app (workers, and
   * through them flow runs) sends it. Recommended for production.
   */
  public static prefectBasicAuth(authString: SecretKeyReference): IngressAccessControl {
    requireSecretArgument('IngressAccessControl.prefectBasicAuth', 'authString', authString, SecretKeyReference);
    return new IngressAccessControl('prefect', authString);
  }

  /**
   * ingress-nginx basic auth on the UI only; `/api` stays open, for the CLI, workers and the
   * browser's own API calls. Anyone who reaches the host can use the API: Prefect 2's server has no
   * authentication of its own, so keep such a host on a trusted network.
   */
  public static nginxBasicAuth(options: NginxBasicAuthOptions): IngressAccessControl {
    requireArgument('IngressAccessControl.nginxBasicAuth', 'options', options, '{ htpasswdSecret }');
    requireArgument('IngressAccessControl.nginxBasicAuth', 'htpasswdSecret', options.htpasswdSecret, 'the name of the htpasswd Secret');
    return new IngressAccessControl('nginx', undefined, options);
  }

  /** No authentication: anyone who reaches the host can use the UI and the API. */
  public static none(): IngressAccessControl {
    return new IngressAccessControl('none');
  }

  private constructor(
    private readonly mode: 'prefect' | 'nginx' | 'none',
    /** @internal */
    public readonly _authString?: SecretKeyReference,
    private readonly nginx?: NginxBasicAuthOptions,
  ) {}

  /** Warns where anyone who reaches the host can use the API. @internal */
  public _warn(scope: Construct, prop: string): void {
    if (this.mode === 'prefect') return;
    const given = this.mode === 'none' ? 'IngressAccessControl.none(): anyone who reaches the host can use the UI and the API'
      : 'IngressAccessControl.nginxBasicAuth(): the UI asks for a password, but /api stays open to anyone who reaches the host';
    warn(scope, WarningCode.API_WITHOUT_AUTH, () => `${prop} is ${given}, and can create deployments that run code in the cluster; IngressAccessControl.prefectBasicAuth() (Prefect 3) guards both, or keep the host on a trusted network`);
  }

  /** Whether the UI and the API are separate Ingresses (auth on the UI only). @internal */
  public get _split(): boolean {
    return this.mode === 'nginx';
  }

  /** @internal */
  public _validate(scope: Construct, prop: string, api: PrefectApi, tls: IngressTls, ingressClassName: string | undefined): void {
    if (this.mode !== 'none' && !tls.https) {
      throw propError(scope, prop, `${this.mode === 'prefect' ? 'IngressAccessControl.prefectBasicAuth()' : 'IngressAccessControl.nginxBasicAuth()'} with IngressTls.none()`,
        'TLS for basic auth, whose password would cross the network readable: IngressTls.fromSecret(), IngressTls.certManager(), or IngressTls.terminatedUpstream() when a load balancer in front ends TLS', ValidationCode.CONFLICT);
    }
    if (this.mode === 'nginx' && ingressClassName === undefined) {
      throw propError(scope, 'ingressClassName', undefined,
        'the IngressClass of an ingress-nginx controller with IngressAccessControl.nginxBasicAuth(): other controllers ignore its annotations and would serve the UI unprotected', ValidationCode.REQUIRED);
    }
    const serverAuth = api.basicAuth;
    if (this.mode === 'prefect') {
      api._checkBasicAuth(scope, `${prop}.authString`, this._authString!);
      if (serverAuth && (serverAuth.secretName !== this._authString!.secretName || serverAuth.key !== this._authString!.key)) {
        throw propError(scope, `${prop}.authString`, `${this._authString!.secretName}/${this._authString!.key}`,
          `the server's own basicAuth (${serverAuth.secretName}/${serverAuth.key}), or leave basicAuth unset on ${api.node.path}`, ValidationCode.CONFLICT);
      }
      return;
    }
    if (serverAuth) {
      const what = this.mode === 'nginx' ? 'IngressAccessControl.nginxBasicAuth()' : 'IngressAccessControl.none()';
      throw propError(scope, prop, what,
        `IngressAccessControl.prefectBasicAuth() with the server's Secret (${serverAuth.secretName}/${serverAuth.key}): ${api.node.path} requires Prefect's basic auth${this.mode === 'nginx' ? ', and nginx\'s would claim the same Authorization header' : ''}`, ValidationCode.CONFLICT);
    }
    if (this.mode === 'nginx') {
      checkDns1123Subdomain(scope, `${prop}.htpasswdSecret`, this.nginx!.htpasswdSecret);
      const realm = this.nginx!.realm;
      if (realm !== undefined) checkString(scope, `${prop}.realm`, realm);
      if (realm !== undefined && !/^[A-Za-z0-9 _.,:()-]{1,100}$/.test(realm)) {
        throw propError(scope, `${prop}.realm`, realm, 'a realm of 1 to 100 letters, digits, spaces and _ . , : ( ) -', ValidationCode.FORMAT);
      }
    }
  }

  /** The annotations of the UI's Ingress. @internal */
  public _uiAnnotations(): Record<string, string> {
    if (this.mode !== 'nginx') return {};
    return {
      'nginx.ingress.kubernetes.io/auth-type': 'basic',
      'nginx.ingress.kubernetes.io/auth-secret': this.nginx!.htpasswdSecret,
      'nginx.ingress.kubernetes.io/auth-realm': this.nginx!.realm ?? 'Prefect',
    };
  }
}

/** Options of an ingress in front of a `PrefectApi` (`api.exposeViaIngress(options)`). */
export interface PrefectIngressOptions {
  /**
   * Host names of the UI and API, e.g. `prefect.example.com`. The first is the one the UI calls the
   * API at (`https://<first host>/api`).
   */
  readonly hosts: string[];

  /** HTTPS, and where its certificate comes from. */
  readonly tls: IngressTls;

  /** Who may use the UI and the API. */
  readonly accessControl: IngressAccessControl;

  /**
   * The IngressClass, e.g. `nginx`.
   * @default the cluster's default IngressClass
   */
  readonly ingressClassName?: string;

  /**
   * Extra annotations of the Ingress(es), e.g. for the controller. Those the construct sets (TLS
   * issuer, auth) come from its props.
   * @default none
   */
  readonly annotations?: { [key: string]: string };

  /**
   * A sub-path of the hosts to serve the UI and the API under, e.g. `/prefect`: the UI at
   * `/prefect/`, the API at `/prefect/api` (Prefect 3.4.13+, whose server serves both under a base
   * path, so the ingress needs no rewrite).
   * @default the hosts' root
   */
  readonly path?: string;

  /**
   * Name of the Ingress; the split of `IngressAccessControl.nginxBasicAuth` adds `<name>-api`.
   * @default the server's name
   */
  readonly name?: string;
}

/** Properties of a `PrefectIngress`. */
export interface PrefectIngressProps extends PrefectIngressOptions {
  /** The server to route to. */
  readonly api: PrefectApi;
}

const API_PATH = '/api';
const RESERVED_ANNOTATIONS = [
  'cert-manager.io/cluster-issuer', 'cert-manager.io/issuer',
  'nginx.ingress.kubernetes.io/auth-type', 'nginx.ingress.kubernetes.io/auth-secret', 'nginx.ingress.kubernetes.io/auth-realm',
];

/**
 * An Ingress in front of a `PrefectApi`: the UI at `/` and the API at `/api`, with TLS and access
 * control. It gives the server its browser-facing API URL, so the UI never calls `0.0.0.0` or
 * `localhost`.
 */
export class PrefectIngress extends Construct {
  /** The server the ingress routes to. */
  public readonly api: PrefectApi;
  /** Name of the Ingress. */
  public readonly name: string;
  /** The host names. */
  public readonly hosts: string[];
  /** The sub-path the UI and API are served under, if any (e.g. `/prefect`). */
  public readonly path?: string;
  /** Who may use the UI and the API. */
  public readonly accessControl: IngressAccessControl;
  /** The URL of the UI, e.g. `https://prefect.example.com`. */
  public readonly url: string;
  /** The API URL browsers use: `<url>/api`. */
  public readonly uiApiUrl: string;
  /** The IngressClass, if one is named (else the cluster's default). */
  public readonly ingressClassName?: string;
  /** The Ingress (for the nginx split, the UI's). */
  public readonly resource: ApiObject;
  /** The API's Ingress of the nginx split (`<name>-api`, without auth). */
  public readonly apiResource?: ApiObject;

  public constructor(scope: Construct, id: string, props: PrefectIngressProps) {
    super(scope, id);
    register(this);
    // null or undefined from JavaScript or Python: each required prop is reported as missing.
    props = props ?? ({} as PrefectIngressProps);
    checkIngressShapes(this, props);
    const api = props.api;
    this.api = api;
    this.name = props.name ?? api.name;
    this.hosts = props.hosts;
    this.path = props.path === '/' ? undefined : props.path;
    this.accessControl = props.accessControl;
    this.ingressClassName = props.ingressClassName;
    this.validate(props);
    if (!props.tls.https) {
      warn(this, WarningCode.INGRESS_WITHOUT_TLS, () => `tls is IngressTls.none(): the UI and the API are served in plain HTTP, readable and changeable on the way; IngressTls.fromSecret(), certManager() or terminatedUpstream() serve HTTPS`);
    }
    props.accessControl._warn(this, 'accessControl');
    this.url = `${props.tls.https ? 'https' : 'http'}://${this.hosts[0]}${this.path ?? ''}`;
    this.uiApiUrl = `${this.url}${API_PATH}`;
    api._registerIngress(this);

    const access = props.accessControl;
    const tlsSecret = `${this.name}-tls`;
    const tls = props.tls._tlsSection(this.hosts, tlsSecret);
    const extra = props.annotations ?? {};
    const ingress = (id2: string, name: string, paths: string[], annotations: Record<string, string>) => new k8s.KubeIngress(this, id2, {
      metadata: {
        name,
        labels: recommendedLabels(api.name, 'server', api.image.version),
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec: {
        ingressClassName: props.ingressClassName,
        tls,
        rules: this.hosts.map(host => ({
          host,
          http: {
            paths: paths.map(path => ({
              path,
              pathType: 'Prefix',
              backend: { service: { name: api.service.name, port: { number: api.port } } },
            })),
          },
        })),
      },
    });

    // cert-manager owns one Certificate per Secret: only one Ingress asks for it, both use it.
    const uiAnnotations = { ...extra, ...props.tls._annotations(), ...access._uiAnnotations() };
    const uiPath = this.path ?? '/';
    const apiPath = `${this.path ?? ''}${API_PATH}`;
    if (access._split) {
      this.resource = ingress('Resource', this.name, [uiPath], uiAnnotations);
      this.apiResource = ingress('Api', `${this.name}-api`, [apiPath], extra);
    } else {
      this.resource = ingress('Resource', this.name, [apiPath, uiPath], uiAnnotations);
    }
  }

  private validate(props: PrefectIngressProps): void {
    const api = props.api;
    checkDns1123Subdomain(this, 'name', this.name);
    if (this.name.length > 249) throw propError(this, 'name', this.name, 'a name of at most 249 characters (the split adds "-api")', ValidationCode.TOO_LONG);
    if (Chart.of(this).namespace !== Chart.of(api).namespace) {
      throw propError(this, 'api', api.node.path,
        `a server in this chart's namespace (${Chart.of(this).namespace ?? 'none'}): an Ingress routes only to Services of its own namespace`, ValidationCode.PLACEMENT);
    }
    if (this.hosts.length === 0) throw propError(this, 'hosts', '(none)', 'at least one host name, such as "prefect.example.com"', ValidationCode.REQUIRED);
    for (const host of this.hosts) checkHostName(this, 'hosts', host);
    const duplicate = this.hosts.find((h, i) => this.hosts.indexOf(h) !== i);
    if (duplicate) throw propError(this, 'hosts', duplicate, 'each host name once', ValidationCode.DUPLICATE);
    if (props.ingressClassName !== undefined) checkDns1123Subdomain(this, 'ingressClassName', props.ingressClassName);
    checkAnnotations(this, 'annotations', props.annotations ?? {}, RESERVED_ANNOTATIONS);
    props.tls._validate(this, 'tls');
    if (this.path !== undefined) {
      if (!/^(\/[a-z0-9][-a-z0-9_.]*)+$/.test(this.path) || this.path.length > 100) {
        throw propError(this, 'path', this.path, 'a sub-path such as "/prefect": segments of lower-case letters, digits, \'-\', \'_\' and \'.\', no trailing slash', ValidationCode.FORMAT);
      }
      const version = api.image.version;
      if (!version.isAtLeast(SINCE.SUB_PATH)) {
        throw propError(this, 'path', `${this.path} with Prefect ${version}`,
          `the hosts' root (leave path unset), or Prefect ${SINCE.SUB_PATH} or newer: older servers mount the API at /api only, and serving the UI elsewhere would need a rewrite in the proxy that the Ingress API cannot express portably`, ValidationCode.RELEASE);
      }
    }
    props.accessControl._validate(this, 'accessControl', api, props.tls, props.ingressClassName);
  }
}

/** The props' presence and types, which a JavaScript or Python caller can get wrong. */
function checkIngressShapes(scope: Construct, props: PrefectIngressProps): void {
  const tls = 'IngressTls.fromSecret(), certManager(), terminatedUpstream() or none()';
  const access = 'IngressAccessControl.prefectBasicAuth(), nginxBasicAuth() or none()';
  checkRequired(scope, 'api', props.api, 'the PrefectApi the ingress routes to');
  checkBranded(scope, 'api', props.api, 'PrefectApi');
  checkRequired(scope, 'hosts', props.hosts, 'the host names, such as ["prefect.example.com"]');
  checkLists(scope, { hosts: props.hosts }, 'string');
  checkRequired(scope, 'tls', props.tls, tls);
  checkRequired(scope, 'accessControl', props.accessControl, access);
  checkInstance(scope, 'tls', props.tls, IngressTls, tls);
  checkInstance(scope, 'accessControl', props.accessControl, IngressAccessControl, access);
}
