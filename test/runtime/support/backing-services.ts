/**
 * PostgreSQL and Redis from Debian's packages, started for a scenario on the host's address of the
 * pod network (where the pods' /etc/hosts sends the database and Redis host names).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { ensureBridge, grace, HOST_IP, sleep } from './local-cluster';

export interface BackingService {
  stop(): Promise<void>;
}

async function listening(port: number, what: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}:\n${fs.readFileSync(log, 'utf8')}`);
    const open = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, HOST_IP, () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(250);
  }
  throw new Error(`${what} did not listen on ${HOST_IP}:${port}:\n${fs.readFileSync(log, 'utf8')}`);
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(resolve => child.once('exit', resolve));
  child.kill(signal);
  await Promise.race([exited, grace(15_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function postgresBin(): string {
  const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: run bash scripts/runtime-setup.sh');
  return path.join('/usr/lib/postgresql', versions[0], 'bin');
}

export interface Postgres extends BackingService {
  /** Runs a statement as the superuser in a database. */
  sql(statement: string, database: string): void;
}

/** A PostgreSQL cluster with one database owned by `user`, who logs in with `password`. */
export async function startPostgres(dir: string, database: { user: string; password: string; name: string }): Promise<Postgres> {
  ensureBridge();
  const data = path.join(dir, 'postgres');
  fs.mkdirSync(data, { recursive: true });
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
  fs.chownSync(data, uid, gid);
  const as = (args: string[]) => execFileSync(args[0], args.slice(1), { stdio: 'pipe', uid, gid, cwd: data });
  const bin = postgresBin();
  as([path.join(bin, 'initdb'), '-D', data, '--auth-local=trust', '--auth-host=scram-sha-256', '-U', 'postgres']);
  fs.appendFileSync(path.join(data, 'pg_hba.conf'), 'host all all 10.244.0.0/24 scram-sha-256\n');
  const log = path.join(dir, 'postgres.log');
  const out = fs.openSync(log, 'w');
  const child = spawn(path.join(bin, 'postgres'), ['-D', data, '-c', `listen_addresses=${HOST_IP}`,
    '-c', 'port=5432', '-c', `unix_socket_directories=${data}`, '-c', 'fsync=off'], { stdio: ['ignore', out, out], uid, gid, cwd: data });
  fs.closeSync(out);
  await listening(5432, 'PostgreSQL', child, log);
  const sql = (statement: string, name = 'postgres') => {
    as([path.join(bin, 'psql'), '-h', data, '-U', 'postgres', '-d', name, '-v', 'ON_ERROR_STOP=1', '-c', statement]);
  };
  sql(`CREATE ROLE ${database.user} LOGIN PASSWORD '${database.password}'`);
  sql(`CREATE DATABASE ${database.name} OWNER ${database.user}`);
  return {
    sql,
    async stop() {
      // Fast shutdown.
      await stopChild(child, 'SIGINT');
    },
  };
}

/** A Redis server that requires `password`, keeping nothing on disk. */
export async function startRedis(dir: string, password: string): Promise<BackingService> {
  ensureBridge();
  const log = path.join(dir, 'redis.log');
  const out = fs.openSync(log, 'w');
  const child = spawn('redis-server', ['--bind', HOST_IP, '--port', '6379', '--requirepass', password, '--save', '', '--appendonly', 'no',
    '--dir', dir], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  await listening(6379, 'Redis', child, log);
  return {
    async stop() {
      await stopChild(child, 'SIGTERM');
    },
  };
}
