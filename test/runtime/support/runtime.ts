/**
 * The runtime suite's environment: the Python environments with the pinned Prefect releases
 * (installed by scripts/runtime-setup.sh), the image they make, the synthesized variants, and a
 * client of the Prefect REST API for the assertions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { RuntimeImage } from './local-cluster';

type Json = any;

/** Where scripts/runtime-setup.sh installs the Python environments, the package index and the flow repository. */
export const RUNTIME_HOME = process.env.CDK8S_PREFECT_RUNTIME ?? '/opt/cdk8s-prefect-runtime';
const REPOSITORY = path.resolve(__dirname, '..', '..', '..');
const IMAGE_ROOT = path.join(REPOSITORY, 'test', 'runtime', 'image');

/** The Python environment of a Prefect major release. */
export function environment(major: 2 | 3): string {
  const dir = path.join(RUNTIME_HOME, `prefect-${major}`);
  if (!fs.existsSync(path.join(dir, 'bin', 'prefect'))) {
    throw new Error(`${dir} has no Prefect: run bash scripts/runtime-setup.sh first`);
  }
  return dir;
}

/** The official image's layout and environment, with the Prefect release of the environment. */
export function prefectImage(major: 2 | 3): RuntimeImage {
  return {
    root: IMAGE_ROOT,
    entrypoint: ['/usr/bin/tini', '-g', '--', '/opt/prefect/entrypoint.sh'],
    cmd: [],
    workingDir: '/opt/prefect',
    env: {
      PATH: `${environment(major)}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
    },
  };
}

/** The image for a reference: official Prefect images by their tag's release, others as given. */
export function imageFor(others: Record<string, 2 | 3> = {}): (reference: string) => RuntimeImage {
  return reference => {
    if (reference in others) return prefectImage(others[reference]);
    const tag = /^prefecthq\/prefect:(\d+)\./.exec(reference);
    if (!tag || (tag[1] !== '2' && tag[1] !== '3')) throw new Error(`no runtime image for ${reference}`);
    return prefectImage(Number(tag[1]) as 2 | 3);
  };
}

/** The objects of a synthesized variant (npm run synth writes dist/). */
export function variant(name: string): Json[] {
  const file = path.join(REPOSITORY, 'dist', `${name}.k8s.yaml`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run synth first`);
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map(d => d.toJSON()).filter(o => o);
}

/** A fresh directory for a scenario's logs and volumes. */
export function workDir(scenario: string): string {
  // Not under /tmp, which the pods do not see: a scenario's files (a git repository) are read in the pods.
  const base = process.env.CDK8S_PREFECT_RUNTIME_WORK ?? path.join(RUNTIME_HOME, 'work');
  const dir = path.join(base, `${scenario}-${Date.now()}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A client of a Prefect server's REST API. */
export class PrefectClient {
  public constructor(private readonly apiUrl: string, private readonly authString?: string) {}

  public async request(method: string, route: string, body?: Json): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.authString) headers.authorization = `Basic ${Buffer.from(this.authString).toString('base64')}`;
    const response = await fetch(`${this.apiUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let parsed: Json = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: response.status, body: parsed };
  }

  /**
   * The parsed body of a successful call; throws with the server's answer otherwise. A 503 (the
   * SQLite database busy) is retried, as Prefect's own client retries it.
   */
  public async call(method: string, route: string, body?: Json): Promise<Json> {
    let r = await this.request(method, route, body);
    for (let attempt = 1; r.status === 503 && attempt <= 5; attempt++) {
      await new Promise(resolve => setTimeout(resolve, 500 * 2 ** attempt));
      r = await this.request(method, route, body);
    }
    if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  public workPool(name: string): Promise<Json> {
    return this.call('GET', `/work_pools/${encodeURIComponent(name)}`);
  }

  public async queues(pool: string): Promise<Json[]> {
    return this.call('POST', `/work_pools/${encodeURIComponent(pool)}/queues/filter`, {});
  }

  public async workers(pool: string): Promise<Json[]> {
    return this.call('POST', `/work_pools/${encodeURIComponent(pool)}/workers/filter`, {});
  }

  /** The names of the pool's workers, once `count` have joined (they join a little after /health answers). */
  public async workerNames(pool: string, count: number): Promise<string[]> {
    return eventually(`${count} workers in pool ${pool}`, async () => {
      const names = (await this.workers(pool)).map(w => w.name).sort();
      return names.length >= count ? names : undefined;
    }, 60);
  }

  public flowRun(id: string): Promise<Json> {
    return this.call('GET', `/flow_runs/${id}`);
  }
}

/** Polls `check` until it returns a value (not undefined), or fails after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutSeconds = 120): Promise<T> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  throw new Error(`${what}: not within ${timeoutSeconds} s${last ? ` (last error: ${last})` : ''}`);
}
