/**
 * A stand-in for the Kubernetes API that a pod reaches through its in-cluster config: it records
 * the objects created (the worker's Jobs, a flow run's DaskCluster) as the API server would store
 * them (`generateName` resolved), answers reads of collections with empty lists, and of named
 * objects with what was created (404 otherwise). It proves what the real worker code submits; the
 * API server's own behaviour is for the cluster suite.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { ensureBridge, HOST_IP } from './local-cluster';

type Json = any;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body?: Json;
}

export class KubernetesApiStandIn {
  public readonly requests: RecordedRequest[] = [];
  /** The objects created, in order. */
  public readonly created: Json[] = [];
  /** The Jobs among them. */
  public readonly jobs: Json[] = [];
  public readonly caCert: string;
  private readonly server: https.Server;
  private readonly open = new Set<import('node:http').ServerResponse>();

  public constructor(workDir: string, public readonly port = 6443) {
    const dir = path.join(workDir, 'kubernetes-api');
    fs.mkdirSync(dir, { recursive: true });
    const key = path.join(dir, 'tls.key');
    const cert = path.join(dir, 'tls.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kubernetes',
      '-addext', `subjectAltName=IP:${HOST_IP},DNS:kubernetes.default.svc`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
    this.caCert = fs.readFileSync(cert, 'utf8');
    this.server = https.createServer({ key: fs.readFileSync(key), cert: this.caCert }, (req, res) => {
      let data = '';
      req.on('data', chunk => { data += chunk; });
      req.on('end', () => {
        const body = data ? JSON.parse(data) : undefined;
        const url = new URL(req.url ?? '/', 'https://kubernetes');
        this.requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization, body });
        const collection = /^\/(api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/([^/]+)\/([^/]+)$/.exec(url.pathname);
        const named = /\/namespaces\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
        if (req.method === 'POST' && collection) {
          const object = structuredClone(body);
          object.metadata.namespace ??= collection[2];
          object.metadata.name ??= `${object.metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
          object.metadata.uid = `uid-${this.created.length}`;
          this.created.push(object);
          if (object.kind === 'Job') this.jobs.push(object);
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify(object));
        } else if (req.method === 'GET' && /^\/version\/?$/.test(url.pathname)) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ major: '1', minor: '33', gitVersion: 'v1.33.0' }));
        } else if (req.method === 'GET' && named) {
          // A named object: one created here, else none.
          const found = this.created.find(o => o.metadata.namespace === named[1] && plural(o) === named[2] && o.metadata.name === named[3]);
          res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify(found ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' }));
        } else if (req.method === 'GET' && url.searchParams.get('watch') === 'true') {
          // A watch that sees no events: kept open until the stand-in stops.
          res.writeHead(200, { 'content-type': 'application/json' });
          this.open.add(res);
        } else if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound' }));
        }
      });
    });
  }

  public async start(): Promise<void> {
    ensureBridge();
    await new Promise<void>(resolve => this.server.listen(this.port, HOST_IP, resolve));
  }

  public async stop(): Promise<void> {
    for (const res of this.open) res.end();
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

/** The resource name of an object's kind, as in its API path (Job: jobs, DaskCluster: daskclusters). */
function plural(object: Json): string {
  return `${String(object.kind).toLowerCase()}s`;
}
