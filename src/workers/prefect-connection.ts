import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { PrefectVersion } from '../core/prefect-version';
import { secretEnv } from '../core/private/env';
import { SETTINGS, SINCE } from '../core/private/prefect-settings';
import { checkRequired, checkSecretReference, factoryError, parseHttpUrl, propError, requireArgument, requireBranded } from '../core/private/validation';
import { SecretKeyReference } from '../core/secret-key-reference';
import { ValidationCode } from '../core/validation-code';
import type { PrefectApi } from '../server/prefect-api';

/** Options for a Prefect Cloud workspace. */
export interface PrefectCloudOptions {
  /** The account id (a UUID, as in the workspace URL `app.prefect.cloud/account/<id>/...`). */
  readonly accountId: string;
  /** The workspace id (a UUID). */
  readonly workspaceId: string;
  /** The Secret key holding the API key (a service account's key, `pnu_...` or `pnb_...`). */
  readonly apiKey: SecretKeyReference;
}

/** Options for a Prefect API at any URL. */
export interface PrefectUrlOptions {
  /**
   * The Secret key holding the `user:password` basic auth string of a self-hosted server (Prefect 3.1.13+),
   * sent as `PREFECT_API_AUTH_STRING`.
   * @default none
   */
  readonly authString?: SecretKeyReference;

  /**
   * The Secret key holding an API key, sent as `PREFECT_API_KEY` (Prefect 2 and 3) or
   * `PREFECT__CLOUD__API_KEY` (Prefect 1).
   * @default none
   */
  readonly apiKey?: SecretKeyReference;

  /**
   * Prefect 1 only: the Secret key holding the tenant id (`PREFECT__CLOUD__TENANT_ID`).
   * @default the server's default tenant
   */
  readonly tenantId?: SecretKeyReference;
}

/** Options for the Prefect 1 Cloud backend. */
export interface Prefect1CloudOptions {
  /** The Secret key holding the API key. */
  readonly apiKey: SecretKeyReference;

  /**
   * The Secret key holding the tenant id.
   * @default the API key's default tenant
   */
  readonly tenantId?: SecretKeyReference;

  /**
   * The GraphQL API address.
   * @default "https://api.prefect.io"
   */
  readonly url?: string;
}

/** How the Prefect 1 agent reaches its backend. */
enum Prefect1Backend {
  /** Prefect Cloud (`PREFECT__BACKEND=cloud`). */
  CLOUD = 'cloud',
  /** A self-hosted Prefect Server (`PREFECT__BACKEND=server`). */
  SERVER = 'server',
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Where workers and agents find the Prefect API, and how they authenticate: a server in this
 * cluster, a Prefect Cloud workspace, or any URL. Credentials are only ever Secret references.
 */
export class PrefectConnection {
  /**
   * A `PrefectApi` of this app: the URL is its Service's and its basic auth, if any (also when an
   * ingress adds it later), is sent.
   */
  public static inCluster(api: PrefectApi): PrefectConnection {
    requireBranded('PrefectConnection.inCluster', 'api', api, 'PrefectApi', 'the PrefectApi of this app to connect to');
    return new PrefectConnection(api.serviceUrl, {}, api, undefined);
  }

  /**
   * A Prefect Cloud workspace (Prefect 2 and 3).
   */
  public static cloud(options: PrefectCloudOptions): PrefectConnection {
    requireArgument('PrefectConnection.cloud', 'options', options, '{ accountId, workspaceId, apiKey }');
    const ids = { accountId: options.accountId, workspaceId: options.workspaceId };
    return new PrefectConnection(
      `https://api.prefect.cloud/api/accounts/${options.accountId}/workspaces/${options.workspaceId}`,
      { apiKey: options.apiKey }, undefined, undefined, ids);
  }

  /**
   * A Prefect API at any URL: a server elsewhere (`https://prefect.example.com/api`), or for the
   * Prefect 1 agent a Prefect Server's GraphQL address (backend `server`).
   */
  public static fromUrl(url: string, options: PrefectUrlOptions = {}): PrefectConnection {
    requireArgument('PrefectConnection.fromUrl', 'url', url, 'the API URL, such as "https://prefect.example.com/api"');
    if (typeof url !== 'string') throw factoryError('PrefectConnection.fromUrl', 'url', url, 'the API URL, a string', ValidationCode.FORMAT);
    options = options ?? {};
    return new PrefectConnection(url, options, undefined, Prefect1Backend.SERVER);
  }

  /**
   * Prefect 1 Cloud, for the Prefect 1 agent (backend `cloud`).
   */
  public static prefect1Cloud(options: Prefect1CloudOptions): PrefectConnection {
    requireArgument('PrefectConnection.prefect1Cloud', 'options', options, '{ apiKey }');
    if (options.url !== undefined && typeof options.url !== 'string') {
      throw factoryError('PrefectConnection.prefect1Cloud', 'url', options.url, 'the Prefect 1 Cloud API URL, a string', ValidationCode.FORMAT);
    }
    return new PrefectConnection(options.url ?? 'https://api.prefect.io',
      { apiKey: options.apiKey, tenantId: options.tenantId }, undefined, Prefect1Backend.CLOUD);
  }


  /** The server of this app the connection points at, if it is one. */
  public readonly api?: PrefectApi;
  /** The Secret key of the API key, if one is sent. */
  public readonly apiKey?: SecretKeyReference;
  private readonly tenantId?: SecretKeyReference;
  private readonly givenAuthString?: SecretKeyReference;
  private readonly givenUrl: string;
  private readonly prefect1Backend?: Prefect1Backend;
  private readonly cloudIds?: { accountId: string; workspaceId: string };

  private constructor(url: string, credentials: PrefectUrlOptions, api: PrefectApi | undefined,
    prefect1Backend: Prefect1Backend | undefined, cloudIds?: { accountId: string; workspaceId: string }) {
    this.givenUrl = url;
    this.api = api;
    this.givenAuthString = credentials.authString;
    this.apiKey = credentials.apiKey;
    this.tenantId = credentials.tenantId;
    this.prefect1Backend = prefect1Backend;
    this.cloudIds = cloudIds;
  }

  /** The API URL clients are given: for `inCluster`, the server's Service URL. */
  public get url(): string {
    return this.api ? this.api.serviceUrl : this.givenUrl;
  }

  /** The Secret key of the basic auth string, if one is sent: for `inCluster`, the server's. */
  public get authString(): SecretKeyReference | undefined {
    return this.api ? this.api.basicAuth : this.givenAuthString;
  }

  /**
   * Checks the connection for a client of the given Prefect release, reporting errors against the
   * construct and prop that hold it.
   * @internal
   */
  public _validate(scope: IConstruct, prop: string, client: PrefectVersion): void {
    if (this.cloudIds) {
      for (const [key, value] of Object.entries(this.cloudIds)) {
        checkRequired(scope, `${prop}.${key}`, value, 'a Prefect Cloud id, as in the workspace URL');
        if (!UUID.test(value)) {
          throw propError(scope, `${prop}.${key}`, value,
            'a Prefect Cloud id: a lower-case UUID such as "0ff44498-d380-4d7b-bd68-9b52da03823f", as in the workspace URL', ValidationCode.FORMAT);
        }
      }
    }
    const parsed = parseHttpUrl(this.url);
    // A token in the query, fragment or a path parameter (`;password=`) would be sent as written,
    // in the clear in the YAML.
    if (!parsed || parsed.username || parsed.password || parsed.search || parsed.hash || parsed.pathname.includes(';')) {
      throw propError(scope, `${prop}.url`, this.url,
        'an absolute http(s) URL without credentials, query, fragment, path parameters (;), whitespace or "$(" in it, such as "https://prefect.example.com/api" (pass credentials as Secret references)', ValidationCode.URL);
    }
    for (const [key, reference] of Object.entries({ authString: this.authString, apiKey: this.apiKey, tenantId: this.tenantId })) {
      checkSecretReference(scope, `${prop}.${key}`, reference, SecretKeyReference);
    }
    this.authString?._validate(scope, `${prop}.authString`);
    // Prefect Cloud, of either major, answers nothing without an API key.
    if (this.cloudIds || this.prefect1Backend === Prefect1Backend.CLOUD) checkRequired(scope, `${prop}.apiKey`, this.apiKey, 'a SecretKeyReference to the API key');
    this.apiKey?._validate(scope, `${prop}.apiKey`);
    this.tenantId?._validate(scope, `${prop}.tenantId`);

    if (client.major === 1) {
      if (this.prefect1Backend === undefined) {
        throw propError(scope, prop, this.api ? `PrefectConnection.inCluster(${this.api.node.path})` : 'PrefectConnection.cloud()',
          'for the Prefect 1 agent, PrefectConnection.fromUrl(<Prefect Server GraphQL address>) or PrefectConnection.prefect1Cloud(); PrefectApi and Prefect Cloud run Prefect 2 and 3, whose API Prefect 1 cannot use', ValidationCode.CONFLICT);
      }
      if (this.authString) {
        throw propError(scope, `${prop}.authString`, this.authString.secretName, 'none for the Prefect 1 agent, which has no basic auth (use apiKey)', ValidationCode.CONFLICT);
      }
      return;
    }
    if (this.prefect1Backend === Prefect1Backend.CLOUD) {
      throw propError(scope, prop, 'PrefectConnection.prefect1Cloud()',
        `a connection for Prefect ${client.major}: PrefectConnection.cloud({ accountId, workspaceId, apiKey }) for Prefect Cloud`, ValidationCode.RELEASE);
    }
    if (this.tenantId) {
      throw propError(scope, `${prop}.tenantId`, this.tenantId.secretName, 'none: tenants exist only in Prefect 1', ValidationCode.CONFLICT);
    }
    if (this.api) {
      const server = this.api.image.version;
      if (server.major !== client.major) {
        throw propError(scope, prop, `PrefectConnection.inCluster(${this.api.node.path}) running Prefect ${server} for a Prefect ${client} client`,
          `a server of the same major release as its workers (Prefect ${client.major}): the client and server APIs of different majors are incompatible`, ValidationCode.RELEASE);
      }
    }
  }

  /**
   * Checks that a client of the given release can send the basic auth string. An ingress can add
   * basic auth to an in-cluster server after the connection is made, so this runs at synth.
   * @internal
   */
  public _checkClientAuth(scope: IConstruct, prop: string, client: PrefectVersion): void {
    const auth = this.authString;
    if (auth && client.major >= 2 && !client.isAtLeast(SINCE.CLIENT_AUTH_STRING)) {
      throw propError(scope, prop, `basic auth from Secret ${auth.secretName} for a Prefect ${client} client`,
        `a Prefect ${SINCE.CLIENT_AUTH_STRING} or newer client (image), the first to send ${SETTINGS.client.API_AUTH_STRING.name}`, ValidationCode.RELEASE);
    }
  }

  /**
   * The environment of a Prefect 2 or 3 client: URL, basic auth and API key.
   * @internal
   */
  public _clientEnv(): k8s.EnvVar[] {
    const env: k8s.EnvVar[] = [{ name: SETTINGS.client.API_URL.name, value: this.url }];
    if (this.authString) env.push(secretEnv(SETTINGS.client.API_AUTH_STRING.name, this.authString));
    if (this.apiKey) env.push(secretEnv(SETTINGS.client.API_KEY.name, this.apiKey));
    return env;
  }

  /**
   * The environment of the Prefect 1 agent: backend, API address, API key and tenant.
   * @internal
   */
  public _prefect1Env(): k8s.EnvVar[] {
    const P1 = SETTINGS.prefect1;
    const env: k8s.EnvVar[] = [
      { name: P1.BACKEND.name, value: this.prefect1Backend ?? Prefect1Backend.SERVER },
      { name: P1.API.name, value: this.url },
    ];
    if (this.apiKey) env.push(secretEnv(P1.API_KEY.name, this.apiKey));
    if (this.tenantId) env.push(secretEnv(P1.TENANT_ID.name, this.tenantId));
    return env;
  }
}
