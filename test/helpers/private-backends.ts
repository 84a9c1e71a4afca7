// Throwaway Redis and PostgreSQL servers for tests that stop and restart a backend: each
// runs on its own free port with its data in a temp dir, so the shared servers (and the
// tests using them) are never disturbed. Both are durable for acknowledged writes: Redis with
// appendonly + appendfsync always, PostgreSQL with its defaults (fsync on).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, sleep } from './sidecar.js';

async function waitPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((res) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

abstract class PrivateServer {
  protected proc: ChildProcess | undefined;
  protected log = '';
  constructor(readonly port: number, readonly dir: string) {}
  protected abstract spawnServer(): ChildProcess;
  protected abstract ready(): Promise<void>;

  async start(): Promise<void> {
    const p = this.spawnServer();
    this.proc = p;
    p.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    await this.ready();
  }

  /** Stops the server with `signal` and waits until it is gone. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
    this.proc = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  get output(): string {
    return this.log;
  }
}

export class PrivateRedis extends PrivateServer {
  static async create(): Promise<PrivateRedis> {
    const [port] = await freePorts(1);
    const s = new PrivateRedis(port!, mkdtempSync(join(tmpdir(), 'pillion-redis-')));
    await s.start();
    return s;
  }
  protected spawnServer(): ChildProcess {
    return spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--dir', this.dir, '--daemonize', 'no',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  protected ready(): Promise<void> {
    return waitPort(this.port, 10_000, 'redis-server');
  }
}

function pgBin(name: string): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  for (const v of readdirSync(base).sort().reverse()) {
    const p = join(base, v, 'bin', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Why a private PostgreSQL cannot run here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!pgBin('initdb') || !pgBin('postgres')) return 'initdb/postgres not found under /usr/lib/postgresql';
  if (process.getuid?.() !== 0) {
    return undefined; // initdb runs as the current (non-root) user
  }
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'running as root without a postgres user to run initdb as';
  }
}

export class PrivatePostgres extends PrivateServer {
  private ids: { uid: number; gid: number } | undefined;

  static async create(): Promise<PrivatePostgres> {
    const [port] = await freePorts(1);
    const s = new PrivatePostgres(port!, mkdtempSync(join(tmpdir(), 'pillion-pg-')));
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses to run as root: hand the cluster to the postgres user.
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      s.ids = { uid, gid };
      chownSync(s.dir, uid, gid);
    }
    execFileSync(pgBin('initdb')!, ['-D', join(s.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
      stdio: 'ignore', ...s.ids,
    });
    await s.start();
    return s;
  }
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }
  protected spawnServer(): ChildProcess {
    return spawn(pgBin('postgres')!, [
      '-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'shared_buffers=16MB', '-c', 'max_connections=30',
    ], { stdio: ['ignore', 'pipe', 'pipe'], ...this.ids });
  }
  protected async ready(): Promise<void> {
    await waitPort(this.port, 20_000, 'postgres');
    // listening is not accepting: wait until a connection gets past start-up / recovery
    const pg = (await import('pg')).default;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = new pg.Client({ connectionString: this.url });
      try {
        await c.connect();
        await c.query('SELECT 1');
        await c.end();
        return;
      } catch (err) {
        await c.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`postgres not ready: ${(err as Error).message}\n${this.log}`);
        await sleep(100);
      }
    }
  }
}
