// Starting, probing, measuring and stopping one Pillion sidecar process for the benchmark.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowMs, sleep } from './stats.js';

// dist/bench/sidecar-process.js -> repository root
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'pillion');

/** Every child the benchmark starts, so a crash or Ctrl-C never leaves one running. */
const children = new Set<ChildProcess>();
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

/** A port that was free a moment ago (the OS picks it; we close and reuse the number). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One plain HTTP/1.1 request (no keep-alive), resolving even on non-2xx; rejects on socket errors. */
export function httpCall(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<HttpReply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 2000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end(body);
  });
}

/** VmRSS of a process in MB, read from /proc (Linux only); undefined once it has gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples RSS every `everyMs` until stopped; returns the peak seen. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let peak = rssMb(pid) ?? 0;
  const t = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, rssMb(pid) ?? 0);
    },
  };
}

export interface Sidecar {
  readonly pid: number;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** spawn → first 204 from /v1.0/healthz, ms */
  readonly startupMs: number;
  stop(): Promise<void>;
}

export interface SidecarOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** PILLION_HOME; a caller-provided one is shared (sidecars that must find each other) and left in place */
  readonly home?: string;
  readonly appId?: string;
}

/** The ports a sidecar listens on; any of them may be given by the caller. */
export interface SidecarPorts {
  readonly http: number;
  readonly grpc: number;
  readonly internal: number;
  readonly metrics: number;
  readonly public: number;
}

export async function sidecarPorts(): Promise<SidecarPorts> {
  return { http: await freePort(), grpc: await freePort(), internal: await freePort(), metrics: await freePort(), public: await freePort() };
}

/**
 * Spawns `bin/pillion run` on fresh ports with a fresh PILLION_HOME (so the embedded SQLite
 * store starts empty), and resolves once /v1.0/healthz answers 204. The launcher `exec`s node,
 * so the spawned pid is the sidecar's own pid (what the RSS figures are read from).
 */
export async function startSidecar(token: string | undefined, extra: SidecarOptions = {}): Promise<Sidecar> {
  const ports = await sidecarPorts();
  const home = extra.home ?? mkdtempSync(join(tmpdir(), 'pillion-bench-'));
  const args = ['run', '--app-id', extra.appId ?? 'bench', '--dapr-http-port', String(ports.http), '--dapr-grpc-port', String(ports.grpc), '--dapr-internal-grpc-port', String(ports.internal),
    '--dapr-public-port', String(ports.public), '--metrics-port', String(ports.metrics), ...(extra.args ?? [])];
  return launch(LAUNCHER, args, { ...extra.env, PILLION_HOME: home }, token, ports, () => {
    if (extra.home === undefined) rmSync(home, { recursive: true, force: true });
  });
}

/**
 * Spawns a sidecar binary (Pillion's launcher, or a real daprd) with `env` added to ours and
 * DAPR_API_TOKEN set to `token` (unset when undefined), and resolves once /v1.0/healthz on
 * `ports.http` answers 204. stop(): SIGTERM, SIGKILL after 5 s, then `cleanup`.
 */
export async function launch(command: string, args: readonly string[], extraEnv: Readonly<Record<string, string>>, token: string | undefined, ports: SidecarPorts, cleanup: () => void = () => {}): Promise<Sidecar> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete env.DAPR_API_TOKEN; // auth off unless we set it below
  if (token !== undefined) env.DAPR_API_TOKEN = token;
  const t0 = nowMs();
  const child = track(spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  // Keep the tail of the output for error messages; draining the pipes also keeps the child from blocking.
  let log = '';
  const keep = (c: Buffer): void => void (log = (log + c.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.once('exit', () => (exited = true));

  // Poll healthz as fast as is reasonable: connection refused returns immediately.
  let startupMs = NaN;
  while (Number.isNaN(startupMs)) {
    if (exited) throw new Error(`${command} exited during start-up:\n${log}`);
    if (nowMs() - t0 > 30_000) throw new Error(`${command} not healthy after 30 s:\n${log}`);
    try {
      const r = await httpCall(ports.http, 'GET', '/v1.0/healthz');
      if (r.status === 204) startupMs = nowMs() - t0;
      else await sleep(5);
    } catch {
      await sleep(5);
    }
  }

  return {
    pid: child.pid!,
    httpPort: ports.http,
    grpcPort: ports.grpc,
    startupMs,
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((ok) => child.once('exit', () => ok()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}
