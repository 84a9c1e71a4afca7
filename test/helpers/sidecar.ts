// Black-box helpers for the end-to-end tests: start the REAL `bin/pillion` process on free
// ports, wait until it answers GET /v1.0/healthz, capture its output, stop or kill it.
// Every sidecar started here is remembered so a test file can clean up with stopAll().
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** /work/main (this file compiles to dist/test/helpers/sidecar.js). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const PILLION_BIN = join(ROOT, 'bin', 'pillion');
export const DAPRD_BIN = join(ROOT, 'bin', 'daprd');

const tempDirs = new Set<string>();

/** A fresh temp dir, removed by cleanupTempDirs() (called by stopAll()). */
export function tempDir(prefix = 'pillion-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

// Ports are handed out in sequence from a random start, as the kernel does for listen(0):
// two test processes then use disjoint runs of ports unless their runs happen to meet,
// whereas drawing each port at random would make them collide now and then.
const PORT_LOW = 20000;
const PORT_SPAN = 12700;
let cursor = Math.floor(Math.random() * PORT_SPAN);
const nextPort = (): number => PORT_LOW + (cursor++ % PORT_SPAN);

/**
 * n distinct free TCP ports on 127.0.0.1 (all bound at once, then released). They are drawn
 * from below the kernel's ephemeral range (32768+ on Linux), so a server another test file
 * starts with listen(0) can never be handed a port that was reserved here and is bound a
 * moment later by a sidecar or an app (test files run two at a time).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const bind = (port: number): Promise<boolean> => {
    const s = net.createServer();
    return new Promise((res) => {
      s.once('error', () => res(false));
      s.listen(port, '127.0.0.1', () => {
        servers.push(s);
        res(true);
      });
    });
  };
  try {
    const ports: number[] = [];
    for (let tries = 0; ports.length < n && tries < 1000; tries++) {
      const port = nextPort();
      if (!ports.includes(port) && (await bind(port))) ports.push(port);
    }
    while (ports.length < n) {
      if (!(await bind(0))) continue;
      ports.push((servers.at(-1)!.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** A minimal environment: what a child needs to find node, nothing of ours (no stray tokens). */
export function minimalEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface StartOptions {
  appId?: string;
  /** DAPR_API_TOKEN for the sidecar (auth on when non-empty) */
  token?: string;
  resourcesPaths?: string[];
  /** more flags, appended after the generated ones */
  args?: string[];
  /** keep daprd's default internal port (50002); otherwise each sidecar gets a free one so
   * that test files running side by side never compete for it */
  defaultInternalPort?: boolean;
  /** replaces the generated flag list entirely (ports must then be given by the caller) */
  rawArgs?: string[];
  /** app command after `--` */
  appCommand?: string[];
  /** PILLION_HOME; a fresh temp dir when not given */
  home?: string;
  /** extra env vars (merged into the minimal env) */
  env?: Record<string, string | undefined>;
  /** use exactly this environment (no PATH added) */
  exactEnv?: Record<string, string>;
  /** executable; defaults to bin/pillion (with the `run` subcommand) */
  bin?: string;
  /** false: do not add the `run` subcommand (daprd invocation) */
  runSubcommand?: boolean;
  /** ms to wait for readiness (default 15000) */
  readyTimeoutMs?: number;
  /** false: return right after spawning, do not wait for healthz */
  waitReady?: boolean;
  /** ports to use instead of fresh ones */
  ports?: Partial<Ports>;
}

export interface Ports {
  http: number;
  grpc: number;
  public: number;
  metrics: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Sidecar {
  private out = '';
  private err = '';
  readonly exited: Promise<Exit>;
  private exitInfo: Exit | undefined;

  constructor(
    readonly proc: ChildProcess,
    readonly ports: Ports,
    readonly home: string,
    readonly appId: string,
    readonly token: string | undefined,
  ) {
    proc.stdout?.setEncoding('utf8');
    proc.stderr?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => (this.out += d));
    proc.stderr?.on('data', (d: string) => (this.err += d));
    this.exited = new Promise<Exit>((res) => {
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      });
      proc.once('error', () => {
        this.exitInfo = { code: -1, signal: null };
        res(this.exitInfo);
      });
    });
  }

  get httpPort(): number {
    return this.ports.http;
  }
  get grpcPort(): number {
    return this.ports.grpc;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }
  /** stdout + stderr */
  get output(): string {
    return this.out + this.err;
  }
  get running(): boolean {
    return this.exitInfo === undefined;
  }
  url(path: string, port = this.ports.http): string {
    return `http://127.0.0.1:${port}${path}`;
  }
  /** headers carrying the sidecar's token (empty when auth is off) */
  authHeaders(): Record<string, string> {
    return this.token ? { 'dapr-api-token': this.token } : {};
  }

  /** polls GET /v1.0/healthz until 204; rejects (with the captured output) on timeout or exit */
  async waitReady(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`sidecar exited before it was ready (${JSON.stringify(this.exitInfo)}):\n${this.output}`);
      const status = await probe(this.ports.http);
      if (status === 204) return;
      await sleep(25);
    }
    throw new Error(`sidecar not ready after ${timeoutMs} ms:\n${this.output}`);
  }

  /** waits for the process to exit by itself, with a timeout (rejects on timeout) */
  async waitExit(timeoutMs = 10_000): Promise<Exit> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      t = setTimeout(() => rej(new Error(`sidecar did not exit within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** SIGTERM (or another signal), then wait for exit; SIGKILL after timeoutMs. Returns the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<Exit> {
    if (!this.running) return this.exitInfo!;
    this.proc.kill(signal);
    let t: NodeJS.Timeout | undefined;
    const killer = new Promise<void>((r) => {
      t = setTimeout(() => {
        if (this.running) this.proc.kill('SIGKILL');
        r();
      }, timeoutMs);
    });
    void killer;
    const exit = await this.exited;
    clearTimeout(t);
    return exit;
  }

  /** SIGKILL, wait for exit */
  async kill(): Promise<Exit> {
    if (!this.running) return this.exitInfo!;
    this.proc.kill('SIGKILL');
    return this.exited;
  }
}

const started = new Set<Sidecar>();

function probe(port: number): Promise<number> {
  return new Promise((res) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v1.0/healthz', timeout: 1000, agent: false }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', () => res(0));
    req.on('timeout', () => req.destroy());
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts bin/pillion on fresh ports with a fresh PILLION_HOME and waits for readiness. */
export async function startSidecar(opts: StartOptions = {}): Promise<Sidecar> {
  // A port is free only until the sidecar binds it: in between, the other test process may
  // hold it for a moment while it probes for free ports itself. A start that failed on that
  // alone is tried again: on fresh ports when they are ours to choose, after a pause (the
  // probe lets go at once) when the caller chose some of them (an internal port, say).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address is already in use/.test((err as Error).message)) throw err;
      await sleep(200);
    }
  }
}

async function startOnce(opts: StartOptions): Promise<Sidecar> {
  const [h, g, p, m] = await freePorts(4);
  const ports: Ports = { http: h!, grpc: g!, public: p!, metrics: m!, ...opts.ports };
  const appId = opts.appId ?? 'e2e-app';
  const home = opts.home ?? tempDir('pillion-home-');
  const args: string[] = [];
  const bin = opts.bin ?? PILLION_BIN;
  if (opts.runSubcommand ?? bin === PILLION_BIN) args.push('run');
  if (opts.rawArgs) {
    args.push(...opts.rawArgs);
  } else {
    args.push(
      '--app-id', appId,
      '--dapr-http-port', String(ports.http),
      '--dapr-grpc-port', String(ports.grpc),
      '--dapr-public-port', String(ports.public),
      '--metrics-port', String(ports.metrics),
    );
    for (const r of opts.resourcesPaths ?? []) args.push('--resources-path', r);
    if (!opts.defaultInternalPort && !(opts.args ?? []).some((a) => a.startsWith('--dapr-internal-grpc-port'))) {
      args.push('--dapr-internal-grpc-port', String((await freePorts(1))[0]));
    }
    args.push(...(opts.args ?? []));
  }
  if (opts.appCommand) args.push('--', ...opts.appCommand);
  const env = opts.exactEnv ?? minimalEnv({ PILLION_HOME: home, DAPR_API_TOKEN: opts.token, ...opts.env });
  const proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  const sc = new Sidecar(proc, ports, home, appId, opts.token);
  started.add(sc);
  if (opts.waitReady !== false) {
    try {
      await sc.waitReady(opts.readyTimeoutMs);
    } catch (err) {
      await sc.kill();
      throw err;
    }
  }
  return sc;
}

/** For after(): stops (SIGKILL if needed) every sidecar this file started, removes temp dirs. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(async (s) => {
      if (s.running) await s.stop('SIGTERM', 3000);
    }),
  );
  started.clear();
  cleanupTempDirs();
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/pillion with args to completion (for --help, --version, bad flags). */
export function runCli(args: string[], opts: { env?: Record<string, string>; bin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((res, rej) => {
    const proc = spawn(opts.bin ?? PILLION_BIN, args, {
      env: opts.env ?? minimalEnv({ PILLION_HOME: tempDir('pillion-home-') }),
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      rej(new Error(`pillion ${args.join(' ')} did not exit in time:\n${stdout}${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    proc.once('exit', (code, signal) => {
      clearTimeout(t);
      // let the pipes drain
      setImmediate(() => res({ code, signal, stdout, stderr }));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Raw HTTP helpers

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
}

export interface RawRequest {
  port: number;
  method?: string;
  /** sent exactly as given (no normalisation) */
  path: string;
  /** array values are sent as repeated header lines */
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  timeoutMs?: number;
}

/** http.request with a raw path: what is written is what the server sees. */
export function httpRaw(r: RawRequest): Promise<RawResponse> {
  return new Promise((res, rej) => {
    const headers: Record<string, string | string[]> = { ...r.headers };
    if (r.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(Buffer.byteLength(r.body));
    }
    const req = http.request(
      { host: '127.0.0.1', port: r.port, method: r.method ?? 'GET', path: r.path, headers, agent: false, timeout: r.timeoutMs ?? 10_000 },
      (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => {
          const body = Buffer.concat(chunks);
          res({ status: resp.statusCode ?? 0, headers: resp.headers, rawHeaders: resp.rawHeaders, body, text: body.toString('utf8') });
        });
        resp.on('error', rej);
      },
    );
    req.on('error', rej);
    req.on('timeout', () => req.destroy(new Error('request timeout')));
    if (r.body !== undefined) req.write(r.body);
    req.end();
  });
}

/** Writes bytes on a plain TCP connection and returns everything the server sends until close. */
export function tcpRaw(port: number, data: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((res, rej) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => {
      sock.destroy();
      res(out);
    }, timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (out += d));
    sock.on('close', () => {
      clearTimeout(t);
      res(out);
    });
    sock.on('error', (e) => {
      clearTimeout(t);
      if (out) res(out);
      else rej(e);
    });
    sock.write(data);
  });
}

/** JSON body of a response (throws with the body text if it is not JSON). */
export function jsonOf<T = unknown>(r: RawResponse): T {
  try {
    return JSON.parse(r.text) as T;
  } catch {
    throw new Error(`not JSON (status ${r.status}): ${JSON.stringify(r.text)}`);
  }
}

/** Scrapes the metrics port. */
export async function scrapeMetrics(sc: Sidecar): Promise<string> {
  const r = await httpRaw({ port: sc.ports.metrics, path: '/metrics' });
  if (r.status !== 200) throw new Error(`metrics scrape failed: ${r.status} ${r.text}`);
  return r.text;
}

/** Sum of the samples of one metric whose labels include all of `labels`. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const m = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[lm[1]!] = lm[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) sum += Number(m[3]);
  }
  return sum;
}
