/**
 * Runs the pods of synthesized manifests as local processes, each the way its pod would run:
 *  - a network namespace of its own with a pod address on a bridge (10.244.0.0/24), so every pod
 *    binds its ports as in a cluster; Services resolve (through the pod's /etc/hosts) to the
 *    address of a running pod they select;
 *  - bubblewrap: the host's file system as the image, read-only, with only the pod's volumes
 *    mounted (emptyDirs, claims, ConfigMaps and Secrets of its namespace, the ServiceAccount token
 *    when it is mounted), the container's working directory or the image's;
 *  - the container's uid, gid and fsGroup, no capabilities, no new privileges (setpriv);
 *  - the environment and command line as the kubelet builds them (./kubelet.ts).
 * Needs root (network namespaces, mounts), bubblewrap, tini and iproute2.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { matchesSelector } from '../../support/network-policies';
import { containerArgv, containerEnv, CreateContainerConfigError, NamespacedData, PodFacts } from './kubelet';

type Json = any;

const BRIDGE = 'cdk8sp0';
const SUBNET = '10.244.0';
/** The host's address on the bridge: PostgreSQL, Redis and the Kubernetes API listen here. */
export const HOST_IP = `${SUBNET}.1`;
const SKIPPED_ROOT_ENTRIES = new Set(['proc', 'dev', 'sys', 'tmp', 'lost+found']);

/** An image: the Python environment with Prefect, the entrypoint and the working directory. */
export interface RuntimeImage {
  /** The directory mounted at /opt/prefect (entrypoint.sh). */
  readonly root: string;
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly workingDir: string;
  readonly env: Record<string, string>;
}

export interface ClusterOptions {
  readonly objects: Json[];
  /** Secrets that exist, by namespace. */
  readonly secrets?: NamespacedData;
  /** The image to run for an image reference. */
  readonly imageFor: (reference: string) => RuntimeImage;
  /** Names (and addresses) outside the manifests, such as a database host. */
  readonly extraHosts?: Record<string, string>;
  /** Where logs and volumes go. */
  readonly workDir: string;
  /**
   * The Kubernetes API the pods see (KUBERNETES_SERVICE_HOST), the CA that signs it, and the
   * tokens of ServiceAccounts (`namespace/name`) it issued; an account without one gets a made-up
   * token, which a stand-in takes.
   */
  readonly kubernetesApi?: { port: number; caCert: string; tokens?: Record<string, string> };
}

export interface RunningContainer {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number>;
  readonly log: string;
}

let bridgeReady = false;
let nextAddress = 2;

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates the bridge the pods and the host meet on (once). */
export function ensureBridge(): void {
  if (bridgeReady) return;
  try {
    sh('ip', ['link', 'show', BRIDGE]);
  } catch {
    sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    sh('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', BRIDGE]);
  }
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  bridgeReady = true;
}

/** A pod of the local cluster. */
export class Pod {
  public readonly containers: RunningContainer[] = [];
  public readonly facts: PodFacts;
  private readonly netns: string;
  private readonly volumeDirs = new Map<string, string>();

  public constructor(private readonly cluster: LocalCluster, public readonly spec: Json, metadata: Json, namespace: string, name: string) {
    ensureBridge();
    const address = nextAddress++;
    if (address > 254) throw new Error('out of pod addresses');
    this.facts = {
      name,
      namespace,
      uid: randomUUID(),
      ip: `${SUBNET}.${address}`,
      serviceAccountName: spec.serviceAccountName ?? 'default',
      labels: metadata.labels ?? {},
      annotations: metadata.annotations ?? {},
    };
    this.netns = `cdk8sp-${address}`;
    const host = `vh${address}`;
    try { sh('ip', ['netns', 'del', this.netns]); } catch { /* not there */ }
    try { sh('ip', ['link', 'del', host]); } catch { /* not there */ }
    sh('ip', ['netns', 'add', this.netns]);
    sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns]);
    sh('ip', ['link', 'set', host, 'master', BRIDGE]);
    sh('ip', ['link', 'set', host, 'up']);
    sh('ip', ['netns', 'exec', this.netns, 'ip', 'addr', 'add', `${this.facts.ip}/24`, 'dev', 'eth0']);
    sh('ip', ['netns', 'exec', this.netns, 'ip', 'link', 'set', 'eth0', 'up']);
    sh('ip', ['netns', 'exec', this.netns, 'ip', 'link', 'set', 'lo', 'up']);
    sh('ip', ['netns', 'exec', this.netns, 'ip', 'route', 'add', 'default', 'via', HOST_IP]);
    this.prepareVolumes();
  }

  public get ip(): string {
    return this.facts.ip;
  }

  public get labels(): Record<string, string> {
    return this.facts.labels;
  }

  /** Runs the init containers in order, each to completion; throws when one fails. */
  public async runInitContainers(): Promise<void> {
    for (const container of this.spec.initContainers ?? []) {
      const run = this.start(container);
      const code = await run.exited;
      if (code !== 0) throw new Error(`init container ${container.name} of ${this.facts.name} exited with ${code}:\n${tail(fs.readFileSync(run.log, 'utf8'))}`);
    }
  }

  /** Starts every init container in order, then the containers (after their init containers succeeded). */
  public async startAll(): Promise<void> {
    await this.runInitContainers();
    for (const container of this.spec.containers) this.start(container);
  }

  /**
   * Runs a command in a running container, as `kubectl exec` does: in the container's file system,
   * user and environment, without the image's entrypoint.
   */
  public async exec(containerName: string, command: string[]): Promise<{ code: number; output: string }> {
    const container = [...(this.spec.initContainers ?? []), ...this.spec.containers].find((c: Json) => c.name === containerName);
    const run = this.start(container, command);
    const code = await run.exited;
    return { code, output: fs.readFileSync(run.log, 'utf8') };
  }

  /** Starts one container of the pod (init or main) by its spec, or a command in its place. */
  public start(container: Json, command?: string[]): RunningContainer {
    const image = this.cluster.options.imageFor(container.image);
    const kubernetesService = { host: HOST_IP, port: this.cluster.options.kubernetesApi?.port ?? 6443 };
    const env = containerEnv(container, this.facts, image.env, this.cluster.secrets, this.cluster.configMaps, kubernetesService);
    const argv = command ?? containerArgv(container, env.kubelet, image);
    const security = { ...this.spec.securityContext, ...container.securityContext };
    if (security.readOnlyRootFilesystem !== true) throw new Error(`${this.facts.name}/${container.name}: the runtime suite runs read-only roots only`);
    const uid = security.runAsUser;
    const gid = security.runAsGroup ?? uid;
    if (uid === undefined || uid === 0) throw new Error(`${this.facts.name}/${container.name}: no non-root runAsUser`);
    const fsGroup = this.spec.securityContext?.fsGroup;

    const mounts = this.mountsOf(container, image);
    const args = ['netns', 'exec', this.netns, 'bwrap', '--die-with-parent', '--unshare-pid', '--as-pid-1', '--unshare-ipc', '--unshare-uts',
      '--hostname', this.facts.name, ...rootArgs(mounts.map(m => m.target)), '--dev', '/dev', '--proc', '/proc', '--ro-bind', '/sys', '/sys'];
    for (const m of mounts) args.push(m.readOnly ? '--ro-bind' : '--bind', m.source, m.target);
    args.push('--remount-ro', '/', '--chdir', container.workingDir ?? image.workingDir, '--clearenv');
    for (const [k, v] of env.process) args.push('--setenv', k, v);
    args.push('--', 'setpriv', '--reuid', String(uid), '--regid', String(gid),
      ...(fsGroup !== undefined ? ['--groups', String(fsGroup)] : ['--clear-groups']),
      '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', ...argv);

    const log = path.join(this.cluster.options.workDir, 'logs', `${this.facts.name}.${container.name}.${this.containers.length}.log`);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    const out = fs.openSync(log, 'w');
    const child = spawn('ip', args, { stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const exited = new Promise<number>(resolve => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    const running = { name: command ? `${container.name} (exec)` : container.name, process: child, exited, log };
    this.containers.push(running);
    return running;
  }

  /** The container's log so far. */
  public logOf(name: string): string {
    return this.containers.filter(c => c.name === name).map(c => fs.readFileSync(c.log, 'utf8')).join('\n');
  }

  /** Whether the container's probe of that kind answers with success now (httpGet probes). */
  public async probe(container: Json, kind: 'readinessProbe' | 'livenessProbe' | 'startupProbe'): Promise<boolean> {
    const probe = container[kind];
    if (!probe?.httpGet) throw new Error(`${container.name} has no httpGet ${kind}`);
    const port = typeof probe.httpGet.port === 'number' ? probe.httpGet.port
      : container.ports.find((p: Json) => p.name === probe.httpGet.port)?.containerPort;
    if (port === undefined) throw new Error(`${container.name}: ${kind} port ${probe.httpGet.port} is not a port of the container`);
    try {
      const response = await fetch(`http://${this.ip}:${port}${probe.httpGet.path}`, { signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000) });
      // The kubelet counts 200-399 as success.
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }

  /** Waits until the probe succeeds, failing early when the container exits. */
  public async waitFor(containerName: string, kind: 'readinessProbe' | 'livenessProbe' | 'startupProbe', timeoutSeconds = 120): Promise<void> {
    const container = this.spec.containers.find((c: Json) => c.name === containerName);
    const running = this.containers.find(c => c.name === containerName);
    let exited: number | undefined;
    void running?.exited.then(code => { exited = code; });
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (Date.now() < deadline) {
      if (await this.probe(container, kind)) return;
      if (exited !== undefined) throw new Error(`${this.facts.name}/${containerName} exited with ${exited} before its ${kind} passed:\n${tail(this.logOf(containerName))}`);
      await sleep(500);
    }
    throw new Error(`${this.facts.name}/${containerName}: ${kind} did not pass within ${timeoutSeconds} s:\n${tail(this.logOf(containerName))}`);
  }

  public async stop(): Promise<void> {
    for (const c of this.containers) {
      if (c.process.exitCode === null && c.process.signalCode === null) {
        try { process.kill(-c.process.pid!, 'SIGTERM'); } catch { /* gone */ }
      }
    }
    await Promise.race([Promise.all(this.containers.map(c => c.exited)), grace(10_000)]);
    for (const c of this.containers) {
      try { process.kill(-c.process.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    try { sh('ip', ['netns', 'del', this.netns]); } catch { /* gone */ }
  }

  private prepareVolumes(): void {
    for (const volume of this.spec.volumes ?? []) {
      const dir = path.join(this.cluster.options.workDir, 'volumes', this.facts.name, volume.name);
      fs.mkdirSync(dir, { recursive: true });
      if (volume.emptyDir) {
        this.writable(dir);
      } else if (volume.configMap || volume.secret) {
        const data = volume.configMap
          ? this.cluster.configMaps[this.facts.namespace]?.[volume.configMap.name]
          : this.cluster.secrets[this.facts.namespace]?.[volume.secret.secretName];
        if (!data) throw new CreateContainerConfigError(`volume ${volume.name}: not found in namespace ${this.facts.namespace}`);
        const items: Json[] = (volume.configMap ?? volume.secret).items ?? Object.keys(data).map(key => ({ key, path: key }));
        for (const item of items) {
          const file = path.join(dir, item.path);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, data[item.key], { mode: 0o644 });
        }
      } else if (volume.persistentVolumeClaim) {
        this.volumeDirs.set(volume.name, this.cluster.claim(this.facts.namespace, volume.persistentVolumeClaim.claimName, this.spec.securityContext?.fsGroup));
        continue;
      } else {
        throw new Error(`volume ${volume.name}: type not supported by the runtime suite`);
      }
      this.volumeDirs.set(volume.name, dir);
    }
    if (this.spec.automountServiceAccountToken !== false) {
      // The projected token volume the kubelet mounts: a token, the cluster's CA and the namespace.
      const dir = path.join(this.cluster.options.workDir, 'volumes', this.facts.name, 'kube-api-access');
      fs.mkdirSync(dir, { recursive: true });
      const token = this.cluster.options.kubernetesApi?.tokens?.[`${this.facts.namespace}/${this.facts.serviceAccountName}`];
      fs.writeFileSync(path.join(dir, 'token'), token ?? `token-of-${this.facts.namespace}-${this.facts.serviceAccountName}`, { mode: 0o644 });
      fs.writeFileSync(path.join(dir, 'namespace'), this.facts.namespace, { mode: 0o644 });
      fs.writeFileSync(path.join(dir, 'ca.crt'), this.cluster.options.kubernetesApi?.caCert ?? '', { mode: 0o644 });
      this.volumeDirs.set('kube-api-access', dir);
    }
  }

  private writable(dir: string): void {
    const group = this.spec.securityContext?.fsGroup ?? 0;
    fs.chownSync(dir, 0, group);
    // emptyDirs are world-writable; fsGroup makes new files the group's.
    fs.chmodSync(dir, 0o2777);
  }

  private mountsOf(container: Json, image: RuntimeImage): Array<{ source: string; target: string; readOnly: boolean }> {
    const mounts: Array<{ source: string; target: string; readOnly: boolean }> = [
      { source: image.root, target: '/opt/prefect', readOnly: true },
      { source: this.cluster.hostsFile(this.facts.name), target: '/etc/hosts', readOnly: true },
    ];
    for (const m of container.volumeMounts ?? []) {
      const dir = this.volumeDirs.get(m.name);
      if (!dir) throw new CreateContainerConfigError(`${container.name}: volumeMount ${m.name} has no volume`);
      const volume = (this.spec.volumes ?? []).find((v: Json) => v.name === m.name);
      const readOnly = m.readOnly === true || volume?.configMap !== undefined || volume?.secret !== undefined;
      const source = m.subPath ? path.join(dir, m.subPath) : dir;
      if (m.subPath && !fs.existsSync(source)) fs.mkdirSync(source, { recursive: true });
      mounts.push({ source, target: m.mountPath, readOnly });
    }
    if (this.volumeDirs.has('kube-api-access')) {
      mounts.push({ source: this.volumeDirs.get('kube-api-access')!, target: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    }
    for (const m of mounts) m.target = throughSymlinks(m.target);
    // Parents first, so a mount inside another lands in it.
    return mounts.sort((a, b) => a.target.split('/').length - b.target.split('/').length);
  }
}

/** The path with its existing leading part resolved (/var/run/x is /run/x where /var/run is a link). */
function throughSymlinks(target: string): string {
  let existing = target;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  return path.join(fs.realpathSync(existing), path.relative(existing, target));
}

/**
 * The root file system: the host's, read-only, entry by entry, with a directory made wherever a
 * mount needs a mount point the host lacks (the root is a tmpfs made read-only after the mounts).
 */
function rootArgs(targets: string[]): string[] {
  const args: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (dir === '/' && SKIPPED_ROOT_ENTRIES.has(entry)) continue;
      if (targets.includes(full)) continue;
      const inside = targets.some(t => t.startsWith(`${full}/`));
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) {
        args.push('--symlink', fs.readlinkSync(full), full);
      } else if (inside && stat.isDirectory()) {
        args.push('--dir', full);
        walk(full);
      } else {
        args.push('--ro-bind', full, full);
      }
    }
  };
  walk('/');
  for (const t of targets) {
    const parent = path.dirname(t);
    if (!fs.existsSync(parent)) args.push('--dir', parent);
  }
  args.push('--dir', '/tmp');
  return args;
}

/** The pods of a set of manifests, with their Services and data. */
export class LocalCluster {
  public readonly secrets: NamespacedData;
  public readonly configMaps: NamespacedData = {};
  public readonly pods: Pod[] = [];
  private readonly claims = new Map<string, string>();

  public constructor(public readonly options: ClusterOptions) {
    this.secrets = options.secrets ?? {};
    for (const o of options.objects) {
      if (o.kind === 'ConfigMap') (this.configMaps[o.metadata.namespace] ??= {})[o.metadata.name] = o.data ?? {};
      if (o.kind === 'Secret') {
        const decoded = Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')]));
        (this.secrets[o.metadata.namespace] ??= {})[o.metadata.name] = { ...decoded, ...o.stringData };
      }
    }
    fs.mkdirSync(options.workDir, { recursive: true });
  }

  /**
   * A new pod of a workload (Deployment, StatefulSet, Job, CronJob), named as its controller
   * names it; volumeClaimTemplates become claims of the pod.
   */
  public podOf(workload: Json, index = 0): Pod {
    const template = workload.kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template;
    const namespace = workload.metadata.namespace;
    const name = workload.kind === 'StatefulSet' ? `${workload.metadata.name}-${index}`
      : workload.kind === 'Job' ? `${workload.metadata.name}-${randomSuffix()}`
        : `${workload.metadata.name}-${randomSuffix()}-${randomSuffix()}`;
    const spec = structuredClone(template.spec);
    for (const claim of workload.spec.volumeClaimTemplates ?? []) {
      spec.volumes = [...(spec.volumes ?? []), { name: claim.metadata.name, persistentVolumeClaim: { claimName: `${claim.metadata.name}-${name}` } }];
    }
    const labels = { ...template.metadata?.labels, ...(workload.kind === 'Job' ? { 'job-name': workload.metadata.name } : {}) };
    const pod = new Pod(this, spec, { ...template.metadata, labels }, namespace, name);
    this.pods.push(pod);
    return pod;
  }

  /** A pod from a bare pod spec (e.g. a Job the worker submitted). */
  public podFromJob(job: Json): Pod {
    const template = job.spec.template;
    const name = `${job.metadata.name ?? `${job.metadata.generateName}${randomSuffix()}`}-${randomSuffix()}`;
    const pod = new Pod(this, structuredClone(template.spec), template.metadata ?? {}, job.metadata.namespace, name);
    this.pods.push(pod);
    return pod;
  }

  /** A claim's directory, kept across the pods that mount it. */
  public claim(namespace: string, name: string, fsGroup: number | undefined): string {
    const key = `${namespace}/${name}`;
    let dir = this.claims.get(key);
    if (!dir) {
      dir = path.join(this.options.workDir, 'claims', namespace, name);
      fs.mkdirSync(dir, { recursive: true });
      // A fresh volume belongs to root; fsGroup gives the pod's group write access (setgid).
      fs.chownSync(dir, 0, fsGroup ?? 0);
      fs.chmodSync(dir, 0o2775);
      this.claims.set(key, dir);
    }
    return dir;
  }

  /** /etc/hosts of a pod: every Service of the manifests at the address of a running pod it selects. */
  public hostsFile(podName: string): string {
    const lines = ['127.0.0.1 localhost', `::1 localhost`];
    for (const service of this.options.objects.filter(o => o.kind === 'Service')) {
      const ns = service.metadata.namespace;
      const backend = this.pods.find(p => p.facts.namespace === ns && service.spec.selector !== undefined && matchesSelector({ matchLabels: service.spec.selector }, p.labels));
      if (!backend) continue;
      const n = service.metadata.name;
      lines.push(`${backend.ip} ${n}.${ns}.svc.cluster.local ${n}.${ns}.svc ${n}.${ns} ${n}`);
    }
    for (const [host, ip] of Object.entries(this.options.extraHosts ?? {})) lines.push(`${ip} ${host}`);
    const self = this.pods.find(p => p.facts.name === podName);
    if (self) lines.push(`${self.ip} ${podName}`);
    const file = path.join(this.options.workDir, 'hosts', podName);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o644 });
    return file;
  }

  public async stop(): Promise<void> {
    await Promise.all(this.pods.map(p => p.stop()));
  }
}

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 7);
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Resolves after `ms` without keeping the process alive: for races against an exit. */
export function grace(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms).unref());
}

export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
