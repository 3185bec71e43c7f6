/**
 * A small client of the Kubernetes API for the cluster suite: requests with a bearer token over
 * the control plane's TLS, discovery of the resources, server-side apply with strict field
 * validation, and the API server's warnings (its Warning headers) with every answer.
 */
import * as https from 'node:https';
import type { ClusterInfo } from './control-plane';

type Json = any;

export interface Answer {
  readonly status: number;
  readonly body: Json;
  /** The Warning headers' texts (`299 - "text"`), one per header. */
  readonly warnings: string[];
}

interface Resource {
  readonly plural: string;
  readonly namespaced: boolean;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  readonly base: string;
}

/** The field manager of the suite's applies, as a GitOps tool has one of its own. */
export const FIELD_MANAGER = 'cdk8s-prefect-tests';

export class KubeClient {
  private resources?: Map<string, Resource>;

  constructor(private readonly cluster: Pick<ClusterInfo, 'url' | 'ca' | 'adminToken'>, private readonly token = cluster.adminToken) {}

  /** The client of another identity (a ServiceAccount's token). */
  public as(token: string): KubeClient {
    return new KubeClient(this.cluster, token);
  }

  public request(method: string, path: string, body?: Json, contentType = 'application/json'): Promise<Answer> {
    const url = new URL(path, this.cluster.url);
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(url, {
        method,
        ca: this.cluster.ca,
        // No connection outlives its request: the suite's process ends when its tests do.
        agent: false,
        headers: { 'Authorization': `Bearer ${this.token}`, 'Accept': 'application/json', ...(data !== undefined ? { 'Content-Type': contentType } : {}) },
      }, res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Json = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // a plain-text answer, such as /readyz's
          }
          const warnings: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            if (res.rawHeaders[i].toLowerCase() === 'warning') warnings.push(res.rawHeaders[i + 1]);
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
        });
      });
      req.on('error', reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  /** The answer's body when its status is 2xx; otherwise an error with the API server's message. */
  public async ok(method: string, path: string, body?: Json, contentType?: string): Promise<Json> {
    const answer = await this.request(method, path, body, contentType);
    if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${path}: ${answer.status} ${answer.body?.message ?? JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** Forgets the discovered resources (after a CustomResourceDefinition is added). */
  public rediscover(): void {
    this.resources = undefined;
  }

  /** The URL path of an object (or, without a name, of its collection). */
  public async pathOf(apiVersion: string, kind: string, namespace: string | undefined, name?: string): Promise<string> {
    const resources = await this.discover();
    const resource = resources.get(`${apiVersion}/${kind}`);
    if (!resource) throw new Error(`the API server serves no ${kind} of ${apiVersion}`);
    const scope = resource.namespaced ? `/namespaces/${namespace ?? 'default'}` : '';
    return `${resource.base}${scope}/${resource.plural}${name !== undefined ? `/${name}` : ''}`;
  }

  /** Server-side apply of one object with strict field validation, as a GitOps tool applies. */
  public async apply(object: Json, options: { dryRun?: boolean } = {}): Promise<Answer> {
    const path = await this.pathOf(object.apiVersion, object.kind, object.metadata?.namespace, object.metadata?.name);
    const query = `fieldManager=${FIELD_MANAGER}&fieldValidation=Strict&force=true${options.dryRun ? '&dryRun=All' : ''}`;
    return this.request('PATCH', `${path}?${query}`, object, 'application/apply-patch+yaml');
  }

  /** The object, or undefined where there is none. */
  public async get(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Json | undefined> {
    const answer = await this.request('GET', await this.pathOf(apiVersion, kind, namespace, name));
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw new Error(`GET ${kind} ${namespace}/${name}: ${answer.status} ${answer.body?.message}`);
    return answer.body;
  }

  /** The items of a kind in a namespace, optionally by a label selector. */
  public async list(apiVersion: string, kind: string, namespace: string | undefined, labelSelector?: string): Promise<Json[]> {
    const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    return (await this.ok('GET', `${await this.pathOf(apiVersion, kind, namespace)}${query}`)).items;
  }

  /** A token of a ServiceAccount, from the TokenRequest API, as a pod's projected token is. */
  public async tokenOf(namespace: string, serviceAccount: string): Promise<string> {
    const answer = await this.ok('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600 },
    });
    return answer.status.token;
  }

  private async discover(): Promise<Map<string, Resource>> {
    if (this.resources) return this.resources;
    const found = new Map<string, Resource>();
    const add = (base: string, groupVersion: string, list: Json) => {
      for (const r of list.resources ?? []) {
        if (!r.name.includes('/')) found.set(`${groupVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced, base });
      }
    };
    add('/api/v1', 'v1', await this.ok('GET', '/api/v1'));
    const groups = await this.ok('GET', '/apis');
    for (const group of groups.groups) {
      for (const version of group.versions) {
        add(`/apis/${version.groupVersion}`, version.groupVersion, await this.ok('GET', `/apis/${version.groupVersion}`));
      }
    }
    this.resources = found;
    return found;
  }
}
