// Pillion benchmark: HTTP and gRPC GetState throughput/latency (auth on, auth off, bare Node),
// sidecar memory (idle and peak under load) and start-up time. Prints a table with PASS/FAIL per
// target and writes bench/results/latest.json. See bench/README.md.
//
// Processes: each server under test (Pillion, or the bare baseline) is its own process; the HTTP
// load generator (autocannon) runs in this process and the gRPC one in a forked child, so a load
// generator never shares an event loop with the server it measures. Configurations run strictly
// one after another, never concurrently.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GET_STATE_PATH, getStateRequestFrame, unaryOnce } from './grpc-frame.js';
import type { GrpcLoadConfig, GrpcLoadResult } from './grpc-load.js';
import { daprdBinary, startDaprd } from './daprd-process.js';
import { freePort, httpCall, rssMb, sampleRss, startSidecar, track, type Sidecar } from './sidecar-process.js';
import { machineBusyMs, processCpuMs, selfCpuMs } from './cpu.js';
import { mean, median, nowMs, percentile, sleep } from './stats.js';

const HERE = fileURLToPath(new URL('.', import.meta.url)); // dist/bench/
const ROOT = resolve(HERE, '..', '..');
const num = (name: string, dflt: number): number => (process.env[name] ? Number(process.env[name]) : dflt);

// Knobs (env overrides exist only for quick trial runs; the README figures use the defaults).
const CFG = {
  connections: 50, // HTTP keep-alive connections, pipelining 1
  grpcSessions: 4, // HTTP/2 connections of the gRPC load generator…
  grpcConcurrency: 50, // …carrying this many in-flight unary calls in total
  warmupS: num('BENCH_WARMUP_S', 2),
  durationS: num('BENCH_DURATION_S', 8),
  // Two rounds, the second in reverse order, so drift (CPU clocks, page cache) hits every
  // configuration alike and the round-to-round spread gives a noise estimate.
  rounds: num('BENCH_ROUNDS', 2),
  startupRuns: 5,
  startRssAfterMs: 1000, // "RSS after start-up": 1 s after the checks, start-up garbage still in
  // "RSS idle": after this long without a request. V8's memory reducer checks 8 s after the
  // last full collection whether allocation has stopped; if its throughput figures still show
  // start-up's burst it looks again 8 s later. Only then does it run the memory-reducing
  // collection that hands the young generation's and fragmented old-space pages back (73 →
  // 63–65 MB), so the drop comes 8 or ~16 s into idleness; 30 s is past a third check.
  idleSettleMs: num('BENCH_IDLE_S', 30) * 1000,
};
const TOKEN = 'bench-token-6b1c0f7e9a2d4c58';
const AUTH_HEADER = { 'dapr-api-token': TOKEN };
const STATE = [{ key: 'k', value: { hello: 'world', n: 42 } }];

/** 'daprd': a real daprd (DAPR_API_TOKEN set, state.sqlite), when DAPRD_BIN names one */
type Mode = 'auth-on' | 'auth-off' | 'daprd';
type Target = Mode | 'bare';
type HttpTarget = Target | 'minimal';
const DAPRD = daprdBinary();
interface Load {
  rps: number;
  p50: number; // ms
  p99: number; // ms
  /** CPU time the server process spent per request, µs */
  cpuUs: number;
  /** CPU used by processes other than the server and the load generator, in cores */
  bgCores: number;
}
const http: Record<HttpTarget, Load[]> = { 'auth-on': [], 'auth-off': [], daprd: [], bare: [], minimal: [] };
const grpc: Record<Target, Load[]> = { 'auth-on': [], 'auth-off': [], daprd: [], bare: [] };
const rss: Record<Mode, { start: number[]; idle: number[]; settledS: number[]; peak: number[] }> = {
  'auth-on': { start: [], idle: [], settledS: [], peak: [] },
  'auth-off': { start: [], idle: [], settledS: [], peak: [] },
  daprd: { start: [], idle: [], settledS: [], peak: [] },
};
/** daprd's start-up times, one per session */
const daprdStartup: number[] = [];
// What Pillion answered; the bare servers replay exactly these bytes.
let sample: { httpBody: string; etag: string; grpcBody: Buffer } | undefined;

// ---------------------------------------------------------------------------------------------
// Load generators

/** Counters read at the start and end of a measured window (see cpu.ts). */
interface Snap { t: number; server: number; busy: number }
const snap = (serverPid: number): Snap => ({ t: nowMs(), server: processCpuMs(serverPid), busy: machineBusyMs() });
function cpuFigures(a: Snap, b: Snap, loadgenMs: number, requests: number): Pick<Load, 'cpuUs' | 'bgCores'> {
  const server = b.server - a.server;
  return { cpuUs: (server * 1000) / requests, bgCores: Math.max(0, b.busy - a.busy - server - loadgenMs) / (b.t - a.t) };
}

/** autocannon: warm-up run (discarded), then the measured run. Latencies are recorded per
 *  response here because autocannon's own histogram keeps whole milliseconds only. */
async function httpLoad(port: number, serverPid: number): Promise<Load> {
  const opts = { url: `http://127.0.0.1:${port}/v1.0/state/statestore/k`, connections: CFG.connections, pipelining: 1, headers: AUTH_HEADER };
  await autocannon({ ...opts, duration: CFG.warmupS });
  const inst = autocannon({ ...opts, duration: CFG.durationS });
  const lat: number[] = [];
  const [s0, c0] = [snap(serverPid), selfCpuMs()];
  inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => void (status === 200 && lat.push(ms)));
  const r = await inst;
  const [s1, c1] = [snap(serverPid), selfCpuMs()];
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`HTTP load on :${port}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  return { rps: r['2xx'] / r.duration, p50: percentile(lat, 50), p99: percentile(lat, 99), ...cpuFigures(s0, s1, c1 - c0, r['2xx']) };
}

/** The gRPC load generator in a forked child process (see grpc-load.ts). */
function grpcLoad(port: number, serverPid: number): Promise<Load> {
  const cfg: GrpcLoadConfig = { port, token: TOKEN, sessions: CFG.grpcSessions, concurrency: CFG.grpcConcurrency,
    warmupMs: CFG.warmupS * 1000, durationMs: CFG.durationS * 1000 };
  const child = track(fork(join(HERE, 'grpc-load.js'), { stdio: 'inherit' }));
  let s0: Snap | undefined;
  return new Promise((ok, fail) => {
    child.on('message', (m: 'measuring' | GrpcLoadResult) => {
      if (m === 'measuring') return void (s0 = snap(serverPid));
      const s1 = snap(serverPid);
      if (m.failures) fail(new Error(`gRPC load on :${port}: ${m.failures} failed calls, first: ${m.firstFailure}`));
      else ok({ rps: m.rps, p50: m.p50, p99: m.p99, ...cpuFigures(s0 ?? s1, s1, m.cpuMs, m.calls) });
    });
    child.once('exit', (code) => code !== 0 && fail(new Error(`gRPC load generator exited with ${code}`)));
    child.send(cfg);
  });
}

// ---------------------------------------------------------------------------------------------
// One configuration each

/** daprd with the same store as Pillion's default: SQLite in a file of its own. */
async function startDaprdWithStore(bin: string): Promise<Sidecar> {
  const shared = mkdtempSync(join(tmpdir(), 'pillion-bench-daprd-state-'));
  const store = ['apiVersion: dapr.io/v1alpha1', 'kind: Component', 'metadata:', '  name: statestore', 'spec:', '  type: state.sqlite', '  version: v1', '  metadata:',
    '  - name: connectionString', `    value: "${join(shared, 'state.db')}"`, ''].join('\n');
  const sc = await startDaprd(bin, TOKEN, { appId: 'bench', shared, resources: { 'statestore.yaml': store } });
  daprdStartup.push(sc.startupMs);
  return { ...sc, stop: () => sc.stop().finally(() => rmSync(shared, { recursive: true, force: true })) };
}

/** Start a sidecar, seed and check the value, read idle RSS, load HTTP then gRPC, read peak RSS. */
async function sidecarSession(mode: Mode): Promise<void> {
  const sc: Sidecar = mode === 'daprd' ? await startDaprdWithStore(DAPRD!) : await startSidecar(mode === 'auth-on' ? TOKEN : undefined);
  try {
    const headers = { ...AUTH_HEADER, 'content-type': 'application/json' };
    const saved = await httpCall(sc.httpPort, 'POST', '/v1.0/state/statestore', headers, JSON.stringify(STATE));
    if (saved.status !== 204) throw new Error(`save returned ${saved.status}: ${saved.body}`);
    const got = await httpCall(sc.httpPort, 'GET', '/v1.0/state/statestore/k', AUTH_HEADER);
    if (got.status !== 200 || JSON.parse(got.body).n !== 42) throw new Error(`GET returned ${got.status}: ${got.body}`);
    const g = await unaryOnce(sc.grpcPort, GET_STATE_PATH, getStateRequestFrame(), TOKEN);
    if (g.status !== '0' || !g.body.includes('hello')) throw new Error(`gRPC GetState: grpc-status ${g.status}`);
    // Make sure the mode is what we think it is: without the token, auth on must refuse.
    const anon = await httpCall(sc.httpPort, 'GET', '/v1.0/state/statestore/k');
    if ((anon.status === 401) !== (mode !== 'auth-off')) throw new Error(`${mode}: GET without token returned ${anon.status}`);
    if (mode !== 'daprd') sample ??= { httpBody: got.body, etag: String(got.headers.etag), grpcBody: g.body };

    // Once a second while idle: the last reading is "idle"; "settled" is when RSS first came
    // within 1 MB of it.
    const series: number[] = [];
    for (let s = 1; s * 1000 <= CFG.idleSettleMs; s++) {
      await sleep(1000);
      series.push(rssMb(sc.pid) ?? NaN);
    }
    rss[mode].start.push(series[Math.round(CFG.startRssAfterMs / 1000) - 1] ?? NaN);
    const idle = series.at(-1) ?? NaN;
    rss[mode].idle.push(idle);
    rss[mode].settledS.push(series.findIndex((v) => v <= idle + 1) + 1);
    const sampler = sampleRss(sc.pid, 200);
    http[mode].push(await httpLoad(sc.httpPort, sc.pid));
    grpc[mode].push(await grpcLoad(sc.grpcPort, sc.pid));
    rss[mode].peak.push(sampler.stop());
  } finally {
    await sc.stop();
  }
}

/** The bare node:http + node:http2 servers and the minimal HTTP server (bare-server.ts) in one
 *  child process, loaded one after another. */
async function bareSession(): Promise<void> {
  if (!sample) throw new Error('bare servers need a Pillion reply to replay');
  const [httpPort, grpcPort, minimalPort] = [await freePort(), await freePort(), await freePort()];
  const child = track(fork(join(HERE, 'bare-server.js'), { stdio: 'inherit' }));
  await new Promise<void>((ok) => {
    child.once('message', () => ok());
    child.send({ httpPort, grpcPort, minimalPort, token: TOKEN, httpBody: sample!.httpBody, etag: sample!.etag, grpcBody: sample!.grpcBody.toString('base64') });
  });
  try {
    http.bare.push(await httpLoad(httpPort, child.pid!));
    http.minimal.push(await httpLoad(minimalPort, child.pid!));
    grpc.bare.push(await grpcLoad(grpcPort, child.pid!));
  } finally {
    const gone = new Promise((ok) => child.once('exit', ok));
    child.disconnect();
    await gone;
  }
}

/** spawn → first 204 from /v1.0/healthz on the embedded default store (fresh home, no token). */
async function startupRuns(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < CFG.startupRuns; i++) {
    const sc = await startSidecar(undefined);
    times.push(sc.startupMs);
    await sc.stop();
  }
  return times;
}

// ---------------------------------------------------------------------------------------------
// Report

const avg = (ls: Load[]): Load => ({
  rps: mean(ls.map((l) => l.rps)),
  p50: mean(ls.map((l) => l.p50)),
  p99: mean(ls.map((l) => l.p99)),
  cpuUs: mean(ls.map((l) => l.cpuUs)),
  bgCores: mean(ls.map((l) => l.bgCores)),
});
/** (max − min) / mean of the per-round req/s: how much a configuration moved between rounds. */
const spread = (ls: Load[]): number => {
  const r = ls.map((l) => l.rps);
  return r.length < 2 ? 0 : (Math.max(...r) - Math.min(...r)) / mean(r);
};
const f0 = (n: number): string => n.toFixed(0);
const f2 = (n: number): string => n.toFixed(2);
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const t0 = Date.now();
  const machine = { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', memGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version };
  console.log(`Pillion benchmark — ${machine.nproc} cores (${machine.cpu}), node ${machine.node}`);
  console.log(`${CFG.rounds} round(s) × [HTTP, gRPC] × [auth on, auth off, bare]; ${CFG.warmupS} s warm-up + ${CFG.durationS} s each\n`);

  console.log('start-up runs…');
  const startup = await startupRuns();

  for (let round = 0; round < CFG.rounds; round++) {
    const forward: Target[] = DAPRD ? ['auth-on', 'daprd', 'auth-off', 'bare'] : ['auth-on', 'auth-off', 'bare'];
    const order = round % 2 === 0 ? forward : [...forward].reverse();
    for (const t of order) {
      console.log(`round ${round + 1}: ${t}…`);
      if (t === 'bare') await bareSession();
      else await sidecarSession(t);
    }
  }

  const H = { on: avg(http['auth-on']), off: avg(http['auth-off']), bare: avg(http.bare), minimal: avg(http.minimal) };
  const G = { on: avg(grpc['auth-on']), off: avg(grpc['auth-off']), bare: avg(grpc.bare) };
  const ratios = {
    httpAuthOnOff: H.on.rps / H.off.rps,
    httpOnBare: H.on.rps / H.bare.rps,
    httpMinimalOnBare: H.minimal.rps / H.bare.rps,
    httpOnMinimal: H.on.rps / H.minimal.rps,
    grpcAuthOnOff: G.on.rps / G.off.rps,
    grpcOnBare: G.on.rps / G.bare.rps,
  };
  const idleMax = Math.max(...rss['auth-on'].idle, ...rss['auth-off'].idle);
  const peakMax = Math.max(...rss['auth-on'].peak, ...rss['auth-off'].peak);
  const startupMedian = median(startup);
  const targets = [
    { name: 'HTTP req/s auth-on / auth-off', value: f2(ratios.httpAuthOnOff), target: '≥ 0.98', ok: ratios.httpAuthOnOff >= 0.98 },
    { name: 'HTTP req/s Pillion auth-on / bare', value: f2(ratios.httpOnBare), target: '≥ 0.70', ok: ratios.httpOnBare >= 0.7 },
    { name: `RSS idle, ${f0(CFG.idleSettleMs / 1000)} s without requests (max)`, value: `${f0(idleMax)} MB`, target: '≤ 70 MB', ok: idleMax <= 70 },
    { name: 'RSS peak under load (max)', value: `${f0(peakMax)} MB`, target: '≤ 120 MB', ok: peakMax <= 120 },
    { name: 'Start-up to healthy (median of 5)', value: `${f0(startupMedian)} ms`, target: '≤ 1000 ms', ok: startupMedian <= 1000 },
  ];

  // Throughput / latency table: averages over rounds, then each round's req/s.
  console.log('\n                                       req/s   p50 ms   p99 ms   spread   µs CPU/req   bg cores   req/s per round');
  const row = (label: string, ls: Load[]): void => {
    const a = avg(ls);
    console.log(`${label.padEnd(36)} ${f0(a.rps).padStart(8)} ${f2(a.p50).padStart(8)} ${f2(a.p99).padStart(8)} ${pct(spread(ls)).padStart(8)}` +
      ` ${f0(a.cpuUs).padStart(12)} ${f2(a.bgCores).padStart(10)}   ${ls.map((l) => f0(l.rps)).join(' / ')}`);
  };
  row('HTTP  Pillion auth on', http['auth-on']);
  row('HTTP  Pillion auth off', http['auth-off']);
  row('HTTP  bare node:http', http.bare);
  row('HTTP  minimal (route+token+SQLite)', http.minimal);
  row('gRPC  Pillion auth on', grpc['auth-on']);
  row('gRPC  Pillion auth off', grpc['auth-off']);
  row('gRPC  bare node:http2', grpc.bare);
  if (DAPRD) {
    row('HTTP  daprd auth on (state.sqlite)', http.daprd);
    row('gRPC  daprd auth on (state.sqlite)', grpc.daprd);
  }
  const rssLine = (m: Mode): string =>
    `1 s after start-up ${rss[m].start.map(f0).join(' / ')}, idle ${rss[m].idle.map(f0).join(' / ')} (settled after ${rss[m].settledS.join(' / ')} s), peak ${rss[m].peak.map(f0).join(' / ')}`;
  console.log(`\nRSS MB  auth on : ${rssLine('auth-on')}`);
  console.log(`RSS MB  auth off: ${rssLine('auth-off')}`);
  if (DAPRD) console.log(`RSS MB  daprd   : ${rssLine('daprd')}`);
  console.log(`Start-up ms: ${startup.map(f0).join(', ')}${DAPRD ? `; daprd ${daprdStartup.map(f0).join(', ')}` : ''}`);
  console.log(`HTTP minimal / bare ${f2(ratios.httpMinimalOnBare)} (the job alone: route, token, one SQLite read), Pillion auth-on / minimal ${f2(ratios.httpOnMinimal)}`);
  console.log(`gRPC auth-on / auth-off ${f2(ratios.grpcAuthOnOff)}, gRPC Pillion auth-on / bare ${f2(ratios.grpcOnBare)} (no targets)`);
  console.log(`CPU/request auth-on / auth-off: HTTP ${f2(H.on.cpuUs / H.off.cpuUs)}, gRPC ${f2(G.on.cpuUs / G.off.cpuUs)} (1.00 = auth costs nothing)`);
  const vsDaprd = DAPRD && {
    http: H.on.rps / avg(http.daprd).rps,
    grpc: G.on.rps / avg(grpc.daprd).rps,
    idleMb: Math.max(...rss.daprd.idle),
    startupMs: median(daprdStartup),
  };
  if (vsDaprd) {
    console.log(`Pillion auth-on / daprd req/s: HTTP ${f2(vsDaprd.http)}, gRPC ${f2(vsDaprd.grpc)}; RSS idle Pillion ${f0(idleMax)} MB vs daprd ${f0(vsDaprd.idleMb)} MB; ` +
      `start-up median Pillion ${f0(startupMedian)} ms vs daprd ${f0(vsDaprd.startupMs)} ms (no targets)`);
  }
  console.log('');
  // Other processes on this (shared, 2-core) machine take CPU from the server or the load generator
  // and move req/s far more than CPU per request; say so when it happened.
  const bgMax = Math.max(...[...Object.values(http), ...Object.values(grpc)].flat().map((l) => l.bgCores));
  if (bgMax > 0.25) {
    console.log(`NOTE: other processes used up to ${f2(bgMax)} cores during measurements; req/s ratios are disturbed,`);
    console.log('      the µs CPU/request figures are the steadier comparison.\n');
  }
  for (const t of targets) console.log(`${verdict(t.ok)}  ${t.name.padEnd(36)} ${t.value.padStart(8)}   target ${t.target}`);
  const elapsedS = (Date.now() - t0) / 1000;
  console.log(`\n(total ${elapsedS.toFixed(0)} s)`);

  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const json = { date: new Date().toISOString(), machine, config: CFG, http, grpc, rss, startupMs: startup, daprd: DAPRD ? { bin: DAPRD, startupMs: daprdStartup, vsDaprd } : undefined, averages: { http: H, grpc: G }, ratios,
    targets: targets.map(({ name, value, target, ok }) => ({ name, value, target, pass: ok })), elapsedS };
  writeFileSync(join(out, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
  console.log(`results written to ${join(out, 'latest.json')}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
