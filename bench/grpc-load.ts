// Child-process entry: a unary gRPC load generator on plain node:http2.
// It runs in its own process (forked by run.ts) so the load it generates does not compete with the
// parent for one event loop; on a 2-core machine it gets one core and the server the other.
//
// `concurrency` loops are spread round-robin over `sessions` HTTP/2 connections; each loop issues
// one call, waits for it to finish, and issues the next (closed-loop, like autocannon). Calls that
// finish during the warm-up are discarded. Every call must end with grpc-status 0.
//
// Input (IPC message): GrpcLoadConfig. Output (IPC messages): 'measuring' when the warm-up ends
// (so the parent can snapshot CPU counters), then GrpcLoadResult.
import { connect, type ClientHttp2Session } from 'node:http2';
import { GET_STATE_PATH, getStateRequestFrame } from './grpc-frame.js';
import { selfCpuMs } from './cpu.js';
import { nowMs, percentile } from './stats.js';

export interface GrpcLoadConfig {
  port: number;
  token?: string;
  sessions: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** defaults: GetState of key k (the state benchmark); the invocation benchmark sets its own */
  path?: string;
  /** framed request message, base64 */
  body?: string;
  headers?: Record<string, string>;
}

export interface GrpcLoadResult {
  calls: number;
  failures: number;
  firstFailure?: string;
  rps: number;
  p50: number;
  p99: number;
  /** this generator's own CPU time during the measured window, ms */
  cpuMs: number;
}

async function run(cfg: GrpcLoadConfig): Promise<GrpcLoadResult> {
  const body = cfg.body === undefined ? getStateRequestFrame() : Buffer.from(cfg.body, 'base64');
  const headers: Record<string, string> = { ':method': 'POST', ':path': cfg.path ?? GET_STATE_PATH, 'content-type': 'application/grpc', te: 'trailers', ...cfg.headers };
  if (cfg.token !== undefined) headers['dapr-api-token'] = cfg.token;

  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < cfg.sessions; i++) {
    const s = connect(`http://127.0.0.1:${cfg.port}`);
    s.on('error', () => {}); // failures surface on the streams
    sessions.push(s);
  }

  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const start = nowMs();
  const measureFrom = start + cfg.warmupMs;
  const end = measureFrom + cfg.durationMs;
  let cpuAtStart = 0;
  setTimeout(() => {
    cpuAtStart = selfCpuMs();
    process.send?.('measuring');
  }, cfg.warmupMs);

  // One call; resolves when the stream closes, recording its latency if it counted.
  const call = (session: ClientHttp2Session): Promise<void> =>
    new Promise((done) => {
      const t0 = nowMs();
      let status: string | undefined;
      const stream = session.request(headers);
      // A trailers-only reply (errors) carries grpc-status in the headers.
      stream.on('response', (h) => void (h['grpc-status'] !== undefined && (status = String(h['grpc-status']))));
      stream.on('trailers', (t) => void (status = String(t['grpc-status'])));
      stream.on('data', () => {}); // the response message itself is not decoded
      stream.on('error', (e: Error) => void (status = `error ${e.message}`));
      stream.on('close', () => {
        const t1 = nowMs();
        if (t0 >= measureFrom && t1 <= end) {
          if (status === '0') latencies.push(t1 - t0);
          else {
            failures++;
            firstFailure ??= `grpc-status ${status}`;
          }
        }
        done();
      });
      stream.end(body);
    });

  const loop = async (i: number): Promise<void> => {
    const session = sessions[i % sessions.length]!;
    while (nowMs() < end) await call(session);
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, (_, i) => loop(i)));
  const cpuMs = selfCpuMs() - cpuAtStart;
  for (const s of sessions) s.close();

  return {
    calls: latencies.length,
    failures,
    firstFailure,
    rps: latencies.length / (cfg.durationMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMs,
  };
}

if (process.send) {
  process.once('message', (cfg: GrpcLoadConfig) => {
    run(cfg).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
