// Child-process entry: an open-loop (fixed-rate) load generator for HTTP/1.1 or unary gRPC.
// Requests are started on a fixed schedule whether or not earlier ones have answered, and each
// latency is measured from its *scheduled* start, so a slow server cannot hide its queueing
// (no coordinated omission). That is what "added latency at 1,000 req/s" means.
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

  let fire: (scheduled: number) => void;
  let close = (): void => {};
  if (cfg.protocol === 'http') {
    // Enough keep-alive sockets that a request never waits for a free one at this rate.
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    close = () => agent.destroy();
    fire = (scheduled) => {
      const req = request({ host: '127.0.0.1', port: cfg.port, method: cfg.method ?? 'GET', path: cfg.path, headers: cfg.headers, agent }, (res) => {
        res.resume();
        res.once('end', () => record(scheduled, res.statusCode === 200, `HTTP ${res.statusCode}`));
      });
      req.once('error', (e) => record(scheduled, false, e.message));
      req.end();
    };
  } else {
    const body = Buffer.from(cfg.body ?? '', 'base64');
    // A session the server closed is replaced (its calls count as failures), never reused.
    const open = (): ClientHttp2Session => connect(`http://127.0.0.1:${cfg.port}`).on('error', () => {});
    const sessions = [0, 1, 2, 3].map(open);
    close = () => sessions.forEach((s) => s.close());
    let next = 0;
    const headers = { ':method': 'POST', ':path': cfg.path, 'content-type': 'application/grpc', te: 'trailers', ...cfg.headers };
    fire = (scheduled) => {
      const i = next++ % sessions.length;
      if (sessions[i]!.closed || sessions[i]!.destroyed) sessions[i] = open();
      const stream = sessions[i]!.request(headers);
      let status: string | undefined;
      stream.on('response', (h) => void (h['grpc-status'] !== undefined && (status = String(h['grpc-status']))));
      stream.on('trailers', (t) => void (status = String(t['grpc-status'])));
      stream.on('data', () => {});
      stream.on('error', (e: Error) => void (status = `error ${e.message}`));
      stream.on('close', () => record(scheduled, status === '0', `grpc-status ${status}`));
      stream.end(body);
    };
  }

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

process.once('message', (cfg: OpenLoopConfig) => {
  run(cfg).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
});
