// Service invocation benchmark: what a Pillion sidecar adds to a call, for local invocation
// (client → sidecar → its app) and sidecar-to-sidecar invocation (client → sidecar A → sidecar B
// over mTLS → B's app), over HTTP (/v1.0/invoke/…) and gRPC (transparent proxying with
// dapr-app-id), each next to calling the app directly, in one run. See bench/README.md.
//
// Three measurements per path:
//  - latency at a fixed 1,000 req/s (open loop, open-loop.ts): p50/p90/p99 from each request's
//    scheduled start; "added p50" = p50 via the sidecar(s) − p50 direct. Target ≤ 0.3 ms per hop.
//  - the CPU time each sidecar on the path (or the bare proxy) spends per call during those
//    fixed-rate runs: steadier than latency on a noisy machine.
//  - throughput, closed loop (autocannon 50 connections for HTTP; 50 in-flight unary calls on
//    4 HTTP/2 connections for gRPC), req/s via the sidecar(s) / direct.
// Direct and via runs alternate (direct, via, via, direct) so machine drift hits both alike.
// A third path per protocol goes through bare-proxy.ts, the smallest proxy Node can be: what
// it adds is this machine's floor for one hop (an extra process, its system calls and
// wake-ups), and "beyond bare" is what Pillion adds on top of that floor. For the remote paths the
// floor is bare-relay.ts: two such processes with HTTP/2 over mutual TLS between them.
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '../src/api/grpc/framing.js';
import { createCa, issueLeaf, parseCa } from '../src/remote/trust.js';
import type { BareRelayConfig, RelayTls } from './bare-relay.js';
import type { GrpcLoadConfig, GrpcLoadResult } from './grpc-load.js';
import type { OpenLoopConfig, OpenLoopResult } from './open-loop.js';
import { processCpuMs } from './cpu.js';
import { daprdBinary, startDaprd } from './daprd-process.js';
import { freePort, httpCall, startSidecar, track, type Sidecar } from './sidecar-process.js';
import { mean, sleep } from './stats.js';

const HERE = fileURLToPath(new URL('.', import.meta.url)); // dist/bench/
const num = (name: string, dflt: number): number => (process.env[name] ? Number(process.env[name]) : dflt);
const CFG = {
  rate: num('BENCH_RATE', 1000),
  warmupMs: num('BENCH_WARMUP_S', 2) * 1000,
  durationMs: num('BENCH_DURATION_S', 10) * 1000,
  throughputS: num('BENCH_THROUGHPUT_S', 5),
  oneAtATime: num('BENCH_ONE_AT_A_TIME', 5000),
  targetAddedP50Ms: 0.3,
};
const TOKEN = 'bench-token-6b1c0f7e9a2d4c58';
const GRPC_PATH = '/bench.Echo/Call';
const GRPC_BODY = encodeFrame(Buffer.from('ping')).toString('base64');

interface Target {
  protocol: 'http' | 'grpc';
  port: number;
  path: string;
  headers: Record<string, string>;
}
interface PathResult {
  name: string;
  protocol: 'http' | 'grpc';
  /** processes the call passes on its way (sidecars; 1 for the bare proxy, 2 for the bare relay) */
  hops: number;
  bare: boolean;
  /** measured through real daprd sidecars (DAPRD_BIN) instead of Pillion's */
  daprd: boolean;
  direct: OpenLoopResult[];
  via: OpenLoopResult[];
  rpsDirect: number;
  rpsVia: number;
  /** one call at a time: median round trip direct / via, ms */
  rttDirect: number;
  rttVia: number;
  /** CPU time of the hop's processes (sidecars, or the bare proxy) per call at the fixed rate,
   * µs, one entry per process (caller's sidecar first) — steadier than latency on a busy VM */
  cpuPerCall: number[];
}

function child<T>(file: string, msg: unknown): Promise<T> {
  return new Promise((ok, fail) => {
    const c = track(fork(join(HERE, file), { stdio: 'inherit' }));
    c.once('message', (m) => ok(m as T));
    c.once('exit', (code) => code !== 0 && fail(new Error(`${file} exited with ${code}`)));
    c.send(msg as object);
  });
}

/** A bare relay (bare-relay.ts) in its own process, once it listens. */
function relay(cfg: BareRelayConfig): Promise<ChildProcess> {
  return new Promise((ok, fail) => {
    const c = track(fork(join(HERE, 'bare-relay.js'), { stdio: 'inherit' }));
    c.once('message', () => ok(c));
    c.once('exit', (code) => fail(new Error(`bare-relay.js (${cfg.role}) exited with ${code}`)));
    c.send(cfg);
  });
}

async function openLoop(t: Target, oneAtATime?: number): Promise<OpenLoopResult> {
  const cfg: OpenLoopConfig = { ...t, body: t.protocol === 'grpc' ? GRPC_BODY : undefined, rate: CFG.rate, warmupMs: CFG.warmupMs, durationMs: CFG.durationMs, oneAtATime };
  const r = await child<OpenLoopResult>('open-loop.js', cfg);
  if (r.failures) throw new Error(`${t.protocol} :${t.port}${t.path}: ${r.failures} failed, first: ${r.firstFailure}`);
  return r;
}

async function closedLoop(t: Target): Promise<number> {
  if (t.protocol === 'http') {
    const r = await autocannon({ url: `http://127.0.0.1:${t.port}${t.path}`, connections: 50, duration: CFG.throughputS, headers: t.headers });
    if (r.non2xx || r.errors) throw new Error(`HTTP :${t.port}${t.path}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return r['2xx'] / r.duration;
  }
  const cfg: GrpcLoadConfig = { port: t.port, sessions: 4, concurrency: 50, warmupMs: 1000, durationMs: CFG.throughputS * 1000, path: t.path, body: GRPC_BODY, headers: t.headers };
  return (await grpcResult(cfg)).rps;
}
// grpc-load.ts first reports 'measuring' (used by the state benchmark), then its result.
function grpcResult(cfg: GrpcLoadConfig): Promise<GrpcLoadResult> {
  return new Promise((ok, fail) => {
    const c = track(fork(join(HERE, 'grpc-load.js'), { stdio: 'inherit' }));
    c.on('message', (m) => {
      if (m === 'measuring') return;
      const r = m as GrpcLoadResult;
      if (r.failures) fail(new Error(`gRPC :${cfg.port}${cfg.path}: ${r.failures} failed, first: ${r.firstFailure}`));
      else ok(r);
    });
    c.send(cfg);
  });
}

async function measure(name: string, hops: number, direct: Target, via: Target, pids: readonly number[], bare = false, daprd = false): Promise<PathResult> {
  process.stdout.write(`${name}: `);
  const d1 = await openLoop(direct);
  // CPU over both fixed-rate runs via the hop, warm-up included (so are its calls).
  const cpu0 = pids.map(processCpuMs);
  const v1 = await openLoop(via);
  const v2 = await openLoop(via);
  const cpuPerCall = pids.map((pid, i) => ((processCpuMs(pid) - cpu0[i]!) * 1000) / (v1.sent + v2.sent));
  const d2 = await openLoop(direct);
  const rttDirect = (await openLoop(direct, CFG.oneAtATime)).p50;
  const rttVia = (await openLoop(via, CFG.oneAtATime)).p50;
  const rpsDirect = await closedLoop(direct);
  const rpsVia = await closedLoop(via);
  const p50 = (xs: OpenLoopResult[]): string => mean(xs.map((x) => x.p50)).toFixed(2);
  console.log(`p50 direct ${p50([d1, d2])} ms, via ${p50([v1, v2])} ms; one at a time ${rttDirect.toFixed(2)} vs ${rttVia.toFixed(2)} ms; closed loop ${Math.round(rpsDirect)} vs ${Math.round(rpsVia)} req/s; CPU per call ${cpuPerCall.map((x) => x.toFixed(0)).join(' + ')} µs`);
  return { name, protocol: via.protocol, hops, bare, daprd, direct: [d1, d2], via: [v1, v2], rpsDirect, rpsVia, rttDirect, rttVia, cpuPerCall };
}

async function main(): Promise<void> {
  const [appHttp, appGrpc] = [await freePort(), await freePort()];
  const app: ChildProcess = track(fork(join(HERE, 'echo-app.js'), { stdio: 'inherit' }));
  await new Promise<void>((ok) => {
    app.once('message', () => ok());
    app.send({ httpPort: appHttp, grpcPort: appGrpc });
  });
  const [bareHttp, bareGrpc] = [await freePort(), await freePort()];
  const bareProxy: ChildProcess = track(fork(join(HERE, 'bare-proxy.js'), { stdio: 'inherit' }));
  await new Promise<void>((ok) => {
    bareProxy.once('message', () => ok());
    bareProxy.send({ httpPort: bareHttp, grpcPort: bareGrpc, appHttp, appGrpc });
  });
  // The remote floor: two relays, HTTP/2 over mutual TLS between them (certificates from a
  // throw-away CA, as Pillion's sidecars get theirs).
  const relayIn = await freePort();
  const relayOut = await freePort();
  const relayOutGrpc = await freePort();
  const pem = createCa('bench');
  const ca = parseCa(pem.certPem, pem.keyPem, 'bench CA');
  const tls = (appId: string): RelayTls => {
    const leaf = issueLeaf(ca, { appId, namespace: 'default' });
    return { ca: ca.caCertPem, cert: leaf.certPem, key: leaf.keyPem };
  };
  const relays = [
    await relay({ role: 'in', h2Port: relayIn, appHttp, appGrpc, tls: tls('relay-in') }),
    await relay({ role: 'out', httpPort: relayOut, grpcPort: relayOutGrpc, peerPort: relayIn, tls: tls('relay-out') }),
  ];
  // Sidecars that must find each other share one PILLION_HOME (the self-hosted registry).
  const home = mkdtempSync(join(tmpdir(), 'pillion-bench-invoke-'));
  const sidecars: Sidecar[] = [];
  try {
    const echo = await startSidecar(TOKEN, { home, appId: 'echo', args: ['--app-port', String(appHttp)] });
    const echoGrpc = await startSidecar(TOKEN, { home, appId: 'echo-grpc', args: ['--app-port', String(appGrpc), '--app-protocol', 'grpc'] });
    const caller = await startSidecar(TOKEN, { home, appId: 'caller' });
    sidecars.push(echo, echoGrpc, caller);
    // Real daprd, when DAPRD_BIN names one: the same three sidecars, measured right after
    // Pillion's on each path.
    const daprdBin = daprdBinary();
    const daprd = daprdBin === undefined ? undefined : {
      echo: await startDaprd(daprdBin, TOKEN, { appId: 'echo', appPort: appHttp, shared: home }),
      echoGrpc: await startDaprd(daprdBin, TOKEN, { appId: 'echo-grpc', appPort: appGrpc, appProtocol: 'grpc', shared: home }),
      caller: await startDaprd(daprdBin, TOKEN, { appId: 'caller', shared: home }),
    };
    if (daprd) sidecars.push(daprd.echo, daprd.echoGrpc, daprd.caller);
    const auth = { 'dapr-api-token': TOKEN };
    // Every path must work before it is measured.
    const callers = [echo, caller, ...(daprd ? [daprd.echo, daprd.caller] : [])];
    for (const { httpPort: port } of callers) {
      const r = await httpCall(port, 'GET', '/v1.0/invoke/echo/method/echo', auth);
      if (r.status !== 200) throw new Error(`invoke via :${port} answered ${r.status}: ${r.body}`);
    }
    await sleep(500);

    const httpDirect: Target = { protocol: 'http', port: appHttp, path: '/echo', headers: {} };
    const grpcDirect: Target = { protocol: 'grpc', port: appGrpc, path: GRPC_PATH, headers: {} };
    const httpVia = (s: Sidecar): Target => ({ protocol: 'http', port: s.httpPort, path: '/v1.0/invoke/echo/method/echo', headers: auth });
    const grpcVia = (s: Sidecar): Target => ({ protocol: 'grpc', port: s.grpcPort, path: GRPC_PATH, headers: { ...auth, 'dapr-app-id': 'echo-grpc' } });
    // [path, hops, direct target, Pillion's sidecars on the path (the one called first), daprd's]
    const paths: Array<[name: string, hops: number, direct: Target, pillion: Sidecar[], daprd: Sidecar[] | undefined, via: (s: Sidecar) => Target]> = [
      ['HTTP local (client → sidecar → app)', 1, httpDirect, [echo], daprd && [daprd.echo], httpVia],
      ['gRPC local (proxy, dapr-app-id)', 1, grpcDirect, [echoGrpc], daprd && [daprd.echoGrpc], grpcVia],
      ['HTTP remote (client → A → B → app)', 2, httpDirect, [caller, echo], daprd && [daprd.caller, daprd.echo], httpVia],
      ['gRPC remote (proxy via A → B → app)', 2, grpcDirect, [caller, echoGrpc], daprd && [daprd.caller, daprd.echoGrpc], grpcVia],
    ];
    const pidsOf = (ss: Sidecar[]): number[] => ss.map((s) => s.pid);
    const results = [
      await measure('HTTP bare Node proxy (client → proxy → app)', 1, httpDirect, { protocol: 'http', port: bareHttp, path: '/echo', headers: {} }, [bareProxy.pid!], true),
      await measure('gRPC bare Node proxy (client → proxy → app)', 1, grpcDirect, { protocol: 'grpc', port: bareGrpc, path: GRPC_PATH, headers: {} }, [bareProxy.pid!], true),
      await measure('HTTP bare Node relay over mTLS (client → A → B → app)', 2, httpDirect, { protocol: 'http', port: relayOut, path: '/echo', headers: {} }, [relays[1]!.pid!, relays[0]!.pid!], true),
      await measure('gRPC bare Node relay over mTLS (client → A → B → app)', 2, grpcDirect, { protocol: 'grpc', port: relayOutGrpc, path: GRPC_PATH, headers: {} }, [relays[1]!.pid!, relays[0]!.pid!], true),
    ];
    for (const [name, hops, direct, pillion, real, via] of paths) {
      results.push(await measure(name, hops, direct, via(pillion[0]!), pidsOf(pillion)));
      if (real) results.push(await measure(`${name.split(' (')[0]} — daprd`, hops, direct, via(real[0]!), pidsOf(real), false, true));
    }
    report(results);
  } finally {
    await Promise.all(sidecars.map((s) => s.stop()));
    app.kill();
    bareProxy.kill();
    for (const r of relays) r.kill();
    rmSync(home, { recursive: true, force: true });
  }
}

function report(results: PathResult[]): void {
  const f2 = (x: number): string => x.toFixed(2);
  const f0 = (x: number): string => Math.round(x).toLocaleString('en-US');
  console.log(`\nFixed rate ${CFG.rate} req/s, ${CFG.durationMs / 1000} s measured ×2 each (direct, via, via, direct); throughput closed loop ${CFG.throughputS} s.`);
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}, node ${process.version}\n`);
  console.log('| path | direct p50 / p99 ms | via p50 / p99 ms | added p50 ms (per hop) | per hop beyond bare proxy | target | one at a time, added ms per hop | CPU µs per call (A + B) | direct req/s | via req/s | ratio |');
  console.log('|---|---:|---:|---:|---:|:---:|---:|---:|---:|---:|---:|');
  const cpu = (r: PathResult): string => r.cpuPerCall.map((x) => x.toFixed(0)).join(' + ');
  const cpuTotal = (r: PathResult): number => r.cpuPerCall.reduce((a, b) => a + b, 0);
  const addedPerHop = (r: PathResult): number => (mean(r.via.map((x) => x.p50)) - mean(r.direct.map((x) => x.p50))) / r.hops;
  /** one call at a time: added round trip per hop */
  const rtt = (r: PathResult): string => f2((r.rttVia - r.rttDirect) / r.hops);
  // a local path's floor is the bare proxy of its protocol, a remote path's the bare relay
  const floor = (protocol: string, hops: number): number | undefined => {
    const b = results.find((x) => x.bare && x.protocol === protocol && x.hops === hops);
    return b && addedPerHop(b);
  };
  const rows = results.map((r) => {
    const dp50 = mean(r.direct.map((x) => x.p50));
    const vp50 = mean(r.via.map((x) => x.p50));
    const added = vp50 - dp50;
    const perHop = addedPerHop(r);
    const bareFloor = floor(r.protocol, r.hops);
    const beyondBare = r.bare || bareFloor === undefined ? undefined : perHop - bareFloor;
    const pass = perHop <= CFG.targetAddedP50Ms;
    // the target is Pillion's; daprd's rows are for comparison
    const verdict = r.bare ? 'floor' : r.daprd ? 'daprd' : pass ? 'PASS' : 'FAIL';
    console.log(`| ${r.name} | ${f2(dp50)} / ${f2(mean(r.direct.map((x) => x.p99)))} | ${f2(vp50)} / ${f2(mean(r.via.map((x) => x.p99)))} | ${f2(added)} (${f2(perHop)}) | ${beyondBare === undefined ? '—' : f2(beyondBare)} | ${verdict} | ${rtt(r)} | ${cpu(r)} | ${f0(r.rpsDirect)} | ${f0(r.rpsVia)} | ${f2(r.rpsVia / r.rpsDirect)} |`);
    return { ...r, addedP50: added, addedP50PerHop: perHop, addedP50PerHopBeyondBare: beyondBare, pass: r.bare || r.daprd ? undefined : pass };
  });
  const real = rows.filter((r) => r.daprd);
  if (real.length) {
    // Pillion's row is the one measured just before daprd's on the same path.
    console.log('\n| path | added p50 per hop at the fixed rate, Pillion / daprd ms | one at a time, Pillion / daprd ms per hop | sidecar CPU per call at the fixed rate, Pillion / daprd µs | closed loop req/s, Pillion / daprd | Pillion ÷ daprd req/s |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const d of real) {
      const p = rows[rows.indexOf(d) - 1]!;
      console.log(`| ${p.name.split(' (')[0]} | ${f2(p.addedP50PerHop)} / ${f2(d.addedP50PerHop)} | ${rtt(p)} / ${rtt(d)} | ${f0(cpuTotal(p))} / ${f0(cpuTotal(d))} | ${f0(p.rpsVia)} / ${f0(d.rpsVia)} | ${f2(p.rpsVia / d.rpsVia)} |`);
    }
  }
  const out = join(HERE, '..', '..', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'invoke-latest.json'), JSON.stringify({ date: new Date().toISOString(), config: CFG, results: rows }, null, 2));
  console.log(`\nraw figures: bench/results/invoke-latest.json`);
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
