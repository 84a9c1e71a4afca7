// Child-process entry: an open-loop (fixed-rate) load generator for HTTP/1.1 or unary gRPC.
// Requests are started on a fixed schedule whether or not earlier ones have answered, and each
// latency is measured from its *scheduled* start, so a slow server cannot hide its queueing
// (no coordinated omission). That is what "added latency at 1,000 req/s" means. With
// `oneAtATime` it makes calls in sequence instead: the bare round trip, without queueing or the
// ~1 ms timer's jitter.
//
// Input (IPC message): OpenLoopConfig. Output (IPC message): OpenLoopResult.
import { Agent, request } from 'node:http';
import { connect, type ClientHttp2Session } from 'node:http2';
import { nowMs, percentile } from './stats.js';

export interface OpenLoopConfig {
  protocol: 'http' | 'grpc';
  port: number;
  /** HTTP: method + path; gRPC: the :path (/package.Service/Method) */
  method?: string;
  path: string;
  headers: Record<string, string>;
  /** gRPC only: the framed request message, base64 */
  body?: string;
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** instead of the fixed rate: this many calls one at a time (each starts when the previous
   * answered, after 300 unmeasured ones), latency = round trip — no queueing, no timer jitter */
  oneAtATime?: number;
}

export interface OpenLoopResult {
  sent: number;
  failures: number;
  firstFailure?: string;
  /** requests per second actually completed in the measured window */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
}

/** One request at a time to the target: `call(done)` starts one and reports how it ended. */
export interface Caller {
  call(done: (ok: boolean, why?: string) => void): void;
  close(): void;
}

/** HTTP: a keep-alive agent with enough sockets that a request never waits for a free one;
 * gRPC: 4 HTTP/2 connections used in turn (a session the server closed is replaced, its
 * calls counting as failures). */
export function callerFor(cfg: Pick<OpenLoopConfig, 'protocol' | 'port' | 'method' | 'path' | 'headers' | 'body'>): Caller {
  if (cfg.protocol === 'http') {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    return {
      close: () => agent.destroy(),
      call(done) {
        const req = request({ host: '127.0.0.1', port: cfg.port, method: cfg.method ?? 'GET', path: cfg.path, headers: cfg.headers, agent }, (res) => {
          res.resume();
          res.once('end', () => done(res.statusCode === 200, `HTTP ${res.statusCode}`));
        });
        req.once('error', (e) => done(false, e.message));
        req.end();
      },
    };
  }
  const body = Buffer.from(cfg.body ?? '', 'base64');
  const open = (): ClientHttp2Session => connect(`http://127.0.0.1:${cfg.port}`).on('error', () => {});
  const sessions = [0, 1, 2, 3].map(open);
  let next = 0;
  const headers = { ':method': 'POST', ':path': cfg.path, 'content-type': 'application/grpc', te: 'trailers', ...cfg.headers };
  return {
    close: () => sessions.forEach((s) => s.close()),
    call(done) {
      const i = next++ % sessions.length;
      if (sessions[i]!.closed || sessions[i]!.destroyed) sessions[i] = open();
      const stream = sessions[i]!.request(headers);
      let status: string | undefined;
      stream.on('response', (h) => void (h['grpc-status'] !== undefined && (status = String(h['grpc-status']))));
      stream.on('trailers', (t) => void (status = String(t['grpc-status'])));
      stream.on('data', () => {});
      stream.on('error', (e: Error) => void (status = `error ${e.message}`));
      stream.on('close', () => done(status === '0', `grpc-status ${status}`));
      stream.end(body);
    },
  };
}

async function run(cfg: OpenLoopConfig): Promise<OpenLoopResult> {
  const start = nowMs() + 50;
  const measureFrom = start + cfg.warmupMs;
  const end = measureFrom + cfg.durationMs;
  const interval = 1000 / cfg.rate;
  const lat: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let pending = 0;
  let sent = 0;
  const record = (scheduled: number, ok: boolean, why?: string): void => {
    pending--;
    if (scheduled < measureFrom || scheduled >= end) return;
    if (ok) lat.push(nowMs() - scheduled);
    else {
      failures++;
      firstFailure ??= why;
    }
  };

  const caller = callerFor(cfg);
  const fire = (scheduled: number): void => caller.call((ok, why) => record(scheduled, ok, why));
  const close = caller.close;

  // A 1 ms timer tick fires every request whose scheduled time has come (timers are coarse, so
  // one tick may start several; latencies still count from each request's own schedule).
  await new Promise<void>((done) => {
    let n = 0;
    const tick = setInterval(() => {
      const now = nowMs();
      while (start + n * interval <= now && start + n * interval < end) {
        pending++;
        sent++;
        fire(start + n * interval);
        n++;
      }
      if (start + n * interval >= end) {
        clearInterval(tick);
        const wait = setInterval(() => void (pending === 0 && (clearInterval(wait), done())), 5);
      }
    }, 1);
  });
  close();
  return { sent, failures, firstFailure, rps: lat.length / (cfg.durationMs / 1000), p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99) };
}

/** `cfg.oneAtATime` round trips in sequence; rps is the sequence's own pace. */
async function sequential(cfg: OpenLoopConfig, n: number): Promise<OpenLoopResult> {
  const caller = callerFor(cfg);
  const once = (): Promise<string | undefined> => new Promise((ok) => caller.call((good, why) => ok(good ? undefined : why ?? 'failed')));
  let failures = 0;
  let firstFailure: string | undefined;
  for (let i = 0; i < 300; i++) await once();
  const lat: number[] = [];
  const t0 = nowMs();
  for (let i = 0; i < n; i++) {
    const t = nowMs();
    const why = await once();
    if (why === undefined) lat.push(nowMs() - t);
    else {
      failures++;
      firstFailure ??= why;
    }
  }
  caller.close();
  return { sent: n, failures, firstFailure, rps: n / ((nowMs() - t0) / 1000), p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99) };
}

process.once('message', (cfg: OpenLoopConfig) => {
  (cfg.oneAtATime ? sequential(cfg, cfg.oneAtATime) : run(cfg)).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
});
