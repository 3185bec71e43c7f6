/**
 * A Kubernetes control plane on loopback, as controller-runtime's envtest starts one: etcd,
 * kube-apiserver and kube-controller-manager, with no kubelet, scheduler or container runtime. The
 * API server has what a real cluster's has: TLS from its own CA, service-account token signing,
 * the default admission plugins (Pod Security among them) and RBAC authorization. Its one user
 * outside RBAC is the tests' admin (group system:masters, by a static token).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where a started control plane is, for the tests (written to a file by the global setup). */
export interface ClusterInfo {
  /** The release folder under tools/ ("1.37"). */
  readonly release: string;
  /** The exact version the API server reports ("v1.37.2"). */
  readonly version: string;
  readonly url: string;
  /** The CA that signed the API server's certificate (PEM). */
  readonly ca: string;
  /** A token of the group system:masters. */
  readonly adminToken: string;
  /** The folder with the logs, keys and data. */
  readonly dir: string;
  readonly pids: number[];
}

/** Where scripts/cluster-setup.sh puts the binaries. */
export function binariesRoot(): string {
  return process.env.CDK8S_PREFECT_KUBE ?? path.join(os.homedir(), '.cache', 'cdk8s-prefect', 'kube');
}

/** The releases pinned under tools/ (kube-<release>/). */
export function pinnedReleases(): string[] {
  return fs.readdirSync(path.join(__dirname, '..', '..', '..', 'tools')).filter(d => d.startsWith('kube-')).map(d => d.slice('kube-'.length));
}

/**
 * The pinned releases built by scripts/cluster-setup.sh, oldest first (KUBE_RELEASES picks some);
 * a stale build of a release no longer pinned is left out.
 */
export function builtReleases(): string[] {
  const root = binariesRoot();
  const chosen = process.env.KUBE_RELEASES?.split(',').filter(Boolean);
  const built = fs.existsSync(root) ? fs.readdirSync(root).filter(r => fs.existsSync(path.join(root, r, '.stamp'))) : [];
  const order = (r: string) => r.split('.').map(Number);
  return built.filter(r => pinnedReleases().includes(r) && (!chosen || chosen.includes(r))).sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A CA, and a serving certificate it signs for the loopback address and the in-cluster names. */
function certificates(dir: string, address: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=cluster-tests-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver');
  fs.writeFileSync(path.join(dir, 'apiserver.ext'), [
    `subjectAltName=IP:127.0.0.1,IP:${address},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
    'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth',
  ].join('\n'));
  run('x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '2', '-extfile', 'apiserver.ext');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
  fs.writeFileSync(path.join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
}

function start(dir: string, name: string, binary: string, args: string[]): ChildProcess {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'w');
  const child = spawn(binary, args, { stdio: ['ignore', log, log], detached: false });
  fs.closeSync(log);
  // Stopped by the global teardown; jest's process need not wait for it.
  child.unref();
  return child;
}

async function waitFor(what: string, check: () => Promise<boolean>, seconds: number, logFile: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise(r => setTimeout(r, 250));
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
  throw new Error(`${what} not ready after ${seconds} s; the end of ${logFile}:\n${log}`);
}

/**
 * Starts the control plane of a release built by scripts/cluster-setup.sh; the API server listens
 * on loopback, or on `address` (the runtime suite's bridge, for its pods).
 */
export async function startControlPlane(release: string, address = '127.0.0.1'): Promise<ClusterInfo> {
  const bin = path.join(binariesRoot(), release);
  const version = fs.readFileSync(path.join(bin, '.version'), 'utf8').trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `control-plane-${release}-`));
  certificates(dir, address);
  const adminToken = randomBytes(24).toString('hex');
  fs.writeFileSync(path.join(dir, 'tokens.csv'), `${adminToken},cluster-tests-admin,cluster-tests-admin,"system:masters"\n`);
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  children.push(start(dir, 'etcd', path.join(bin, 'etcd'), [
    '--data-dir', path.join(dir, 'etcd'), '--listen-client-urls', `http://127.0.0.1:${etcdClient}`, '--advertise-client-urls', `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls', `http://127.0.0.1:${etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster', `default=http://127.0.0.1:${etcdPeer}`, '--unsafe-no-fsync',
  ]));
  const file = (name: string) => path.join(dir, name);
  children.push(start(dir, 'kube-apiserver', path.join(bin, 'kube-apiserver'), [
    '--etcd-servers', `http://127.0.0.1:${etcdClient}`,
    '--bind-address', address, '--secure-port', String(apiPort), '--advertise-address', address,
    // The "kubernetes" Service's endpoints would be the advertised address, which may not be loopback.
    '--endpoint-reconciler-type', 'none',
    '--tls-cert-file', file('apiserver.crt'), '--tls-private-key-file', file('apiserver.key'), '--client-ca-file', file('ca.crt'),
    '--service-cluster-ip-range', '10.96.0.0/16',
    // As kubeadm and the managed offerings run it: privileged pods are Pod Security's to refuse.
    '--allow-privileged=true',
    '--authorization-mode', 'RBAC', '--anonymous-auth=false', '--token-auth-file', file('tokens.csv'),
    '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
    '--service-account-key-file', file('sa.pub'), '--service-account-signing-key-file', file('sa.key'),
  ]));
  const info: ClusterInfo = { release, version, url: `https://${address}:${apiPort}`, ca: fs.readFileSync(file('ca.crt'), 'utf8'), adminToken, dir, pids: [] };
  const { KubeClient } = await import('./kube-client');
  const admin = new KubeClient(info);
  try {
    await waitFor(`kube-apiserver ${version}`, async () => (await admin.request('GET', '/readyz')).status === 200, 120, file('kube-apiserver.log'));
    const served = (await admin.request('GET', '/version')).body?.gitVersion;
    if (served !== version) throw new Error(`the API server of ${release} reports ${served}, not ${version}`);
    fs.writeFileSync(file('kubeconfig'), kubeconfig(info));
    children.push(start(dir, 'kube-controller-manager', path.join(bin, 'kube-controller-manager'), [
      '--kubeconfig', file('kubeconfig'), '--bind-address', '127.0.0.1', '--secure-port', '0', '--leader-elect=false',
      '--controllers', '*', '--service-account-private-key-file', file('sa.key'), '--root-ca-file', file('ca.crt'),
      '--use-service-account-credentials',
    ]));
    // The controllers run: the service-account controller has given the default namespace its account.
    await waitFor(`kube-controller-manager ${version}`, async () => (await admin.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      120, file('kube-controller-manager.log'));
  } catch (e) {
    for (const c of children) c.kill('SIGKILL');
    throw e;
  }
  return { ...info, pids: children.map(c => c.pid!) };
}

/** A kubeconfig for the admin, for the controller manager and for a person looking into a failure. */
export function kubeconfig(info: ClusterInfo, token = info.adminToken): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'tests',
    clusters: [{ name: 'tests', cluster: { 'server': info.url, 'certificate-authority': path.join(info.dir, 'ca.crt') } }],
    users: [{ name: 'tests', user: { token } }],
    contexts: [{ name: 'tests', context: { cluster: 'tests', user: 'tests' } }],
  }, undefined, 2);
}

/**
 * Stops the processes of a control plane, the API server and controllers before etcd, and removes
 * its folder (KEEP_CLUSTER=1 keeps it). A process still running 10 s after SIGTERM is killed.
 */
export async function stopControlPlane(info: ClusterInfo): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const pid of [...info.pids].reverse()) {
    if (!alive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (!process.env.KEEP_CLUSTER) fs.rmSync(info.dir, { recursive: true, force: true });
}
