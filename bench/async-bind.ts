// Microbenchmark: what Node 20's AsyncResource#bind costs an outgoing HTTP/2 stream, with
// Node's method and with the lean one (src/util/lean-async-bind.ts). Two figures per variant:
// the bind alone, and the CPU of a unary round trip over mutual-TLS HTTP/2 (client and server
// in one process, the shape of a sidecar-to-sidecar call). The swap is process-wide and
// one-way, so each variant runs in its own child process; rounds alternate (node, lean, ...).
// `node dist/bench/async-bind.js` (knobs: BENCH_BIND_N round trips per round, BENCH_ROUNDS).
import { AsyncResource } from 'node:async_hooks';
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createCa, issueLeaf, parseCa } from '../src/remote/trust.js';
import { useLeanAsyncBind } from '../src/util/lean-async-bind.js';

const N = Number(process.env.BENCH_BIND_N ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Figures {
  bindUs: number;
  roundTripCpuUs: number;
}

async function measure(lean: boolean): Promise<Figures> {
  if (lean && !useLeanAsyncBind()) throw new Error(`Node ${process.version} no longer builds the deprecated accessor: nothing to compare`);
  // bind alone
  const fn = (): void => {};
  let sink: unknown;
  for (let i = 0; i < 20_000; i++) sink = new AsyncResource('bench').bind(fn);
  const t = performance.now();
  for (let i = 0; i < 50_000; i++) sink = new AsyncResource('bench').bind(fn);
  const bindUs = ((performance.now() - t) / 50_000) * 1000;
  void sink;

  // unary round trips over mutual TLS
  const { ca, server: serverCert, client: clientCert } = credentials();
  const server = http2.createSecureServer({ ...serverCert, ca, requestCert: true, rejectUnauthorized: true });
  const reply = Buffer.alloc(40, 1);
  server.on('stream', (stream) => {
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(reply);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const session = http2.connect(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { ...clientCert, ca, checkServerIdentity: () => undefined });
  const body = Buffer.alloc(60, 2);
  const call = (): Promise<void> => new Promise((ok, fail) => {
    const s = session.request({ ':method': 'POST', ':path': '/bench.Echo/Call', 'content-type': 'application/grpc', te: 'trailers' });
    s.resume();
    s.on('error', fail);
    s.on('close', ok);
    s.end(body);
  });
  for (let i = 0; i < 500; i++) await call();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await call();
  const cpu = process.cpuUsage(cpu0);
  session.close();
  server.close();
  return { bindUs, roundTripCpuUs: (cpu.user + cpu.system) / N };
}

/** A throwaway trust domain with two sidecars' certificates, as `pillion` issues them. */
function credentials(): { ca: string; server: { cert: string; key: string }; client: { cert: string; key: string } } {
  const pem = createCa('bench');
  const ca = parseCa(pem.certPem, pem.keyPem, 'bench');
  const leaf = (appId: string): { cert: string; key: string } => {
    const l = issueLeaf(ca, { appId, namespace: 'default' });
    return { cert: l.certPem, key: l.keyPem };
  };
  return { ca: pem.certPem, server: leaf('server'), client: leaf('client') };
}

function child(lean: boolean): Promise<Figures> {
  return new Promise((ok, fail) => {
    const c = fork(fileURLToPath(import.meta.url), [lean ? 'lean' : 'node'], { stdio: 'inherit' });
    c.once('message', (m) => ok(m as Figures));
    c.once('exit', (code) => code !== 0 && fail(new Error(`child exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const variant = process.argv[2];
  if (variant) {
    process.send!(await measure(variant === 'lean'));
    return;
  }
  const all: Record<'node' | 'lean', Figures[]> = { node: [], lean: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const lean of [false, true]) all[lean ? 'lean' : 'node'].push(await child(lean));
  }
  const best = (xs: Figures[], k: keyof Figures): number => Math.min(...xs.map((x) => x[k]));
  console.log(`AsyncResource#bind, best of ${ROUNDS} alternating rounds; round trips: ${N.toLocaleString('en-US')} per round over mutual-TLS HTTP/2, node ${process.version}\n`);
  console.log('| figure | Node\'s bind µs | lean bind µs | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const [name, k] of [['one bind', 'bindUs'], ['CPU per unary round trip (client + server)', 'roundTripCpuUs']] as const) {
    const [a, b] = [best(all.node, k), best(all.lean, k)];
    console.log(`| ${name} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)} |`);
  }
  console.log(`\nevery round: ${JSON.stringify(all)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
