// Auth-mode benchmark: HTTP GetState req/s and server CPU per request with (a) a static token
// (DAPR_API_TOKEN), (b) a JWT (ES256, JWKS file) that is verified once and then served from the
// verified-token cache, (c) auth off — in one run, alternating rounds so drift hits all alike.
// Also reports the cost of one uncached ES256 verification (in-process). See bench/README.md.
//
//   npx tsc -p tsconfig.json && node dist/bench/auth-modes.js
//   (quick: BENCH_ROUNDS=1 BENCH_DURATION_S=2 node dist/bench/auth-modes.js)
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createJwtVerifier } from '../src/security/jwt-verifier.js';
import { createApiGate } from '../src/security/api-gate.js';
import { createStaticTokenSet } from '../src/security/token-set.js';
import { freePort, httpCall, track } from './sidecar-process.js';
import { processCpuMs } from './cpu.js';
import { mean, nowMs, sleep } from './stats.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const num = (name: string, dflt: number): number => (process.env[name] ? Number(process.env[name]) : dflt);
const ROUNDS = num('BENCH_ROUNDS', 3);
const WARMUP_S = num('BENCH_WARMUP_S', 1);
const DURATION_S = num('BENCH_DURATION_S', 5);
const STATIC_TOKEN = 'bench-static-token-6b1c0f7e9a2d4c58';
const ISS = 'https://bench.issuer.test';

type Mode = 'static' | 'jwt' | 'off';
interface Run { rps: number; cpuUs: number }

async function startPillion(mode: Mode, dir: string, jwksPath: string): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  const [http, grpc, pub, met] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { ...process.env, PILLION_HOME: mkdtempSync(join(dir, 'home-')) };
  delete env.DAPR_API_TOKEN;
  delete env.DAPR_API_TOKEN_FILE;
  if (mode === 'static') env.DAPR_API_TOKEN = STATIC_TOKEN;
  const args = ['run', '--app-id', 'bench', '--dapr-http-port', String(http), '--dapr-grpc-port', String(grpc), '--dapr-public-port', String(pub), '--metrics-port', String(met)];
  if (mode === 'jwt') args.push('--api-token-jwks', jwksPath, '--api-token-issuer', ISS);
  const child = track(spawn(join(ROOT, 'bin', 'pillion'), args, { env, stdio: ['ignore', 'ignore', 'inherit'] }));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await httpCall(http, 'GET', '/v1.0/healthz')).status === 204) break;
    } catch {
      await sleep(20);
    }
  }
  return {
    port: http,
    pid: child.pid!,
    stop: () => new Promise<void>((ok) => {
      child.once('exit', () => ok());
      child.kill('SIGTERM');
    }),
  };
}

async function load(port: number, pid: number, token: string | undefined): Promise<Run> {
  const headers: Record<string, string> = token ? { 'dapr-api-token': token } : {};
  const save = await httpCall(port, 'POST', '/v1.0/state/statestore', { ...headers, 'content-type': 'application/json' }, JSON.stringify([{ key: 'k', value: { hello: 'world', n: 42 } }]));
  if (save.status !== 204) throw new Error(`save: ${save.status} ${save.body}`);
  const opts = { url: `http://127.0.0.1:${port}/v1.0/state/statestore/k`, connections: 50, pipelining: 1, headers };
  await autocannon({ ...opts, duration: WARMUP_S });
  const c0 = processCpuMs(pid);
  const r = await autocannon({ ...opts, duration: DURATION_S });
  const c1 = processCpuMs(pid);
  if (r.non2xx || r.errors) throw new Error(`load: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r['2xx'] / r.duration, cpuUs: ((c1 - c0) * 1000) / r['2xx'] };
}

async function uncachedEs256Us(): Promise<{ verifier: number; jose: number }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' };
  const getKey = createLocalJWKSet({ keys: [jwk] });
  const keys = { ready: Promise.resolve(), getKey, refreshForUnknownKey: async () => false, close() {} };
  const n = 2000;
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    tokens.push(await new SignJWT({ i }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer(ISS).setAudience('bench').setExpirationTime('10m').sign(privateKey));
  }
  const v = createJwtVerifier({ issuer: ISS, audience: ['bench'], keys });
  for (let i = 0; i < 200; i++) await v.verify(tokens[i]!); // warm-up (JIT, key import)
  let t0 = nowMs();
  for (let i = 200; i < n; i++) await v.verify(tokens[i]!);
  const verifier = ((nowMs() - t0) * 1000) / (n - 200);
  const { jwtVerify } = await import('jose');
  t0 = nowMs();
  for (let i = 200; i < n; i++) await jwtVerify(tokens[i]!, getKey, { issuer: ISS, audience: 'bench' });
  return { verifier, jose: ((nowMs() - t0) * 1000) / (n - 200) };
}

/** In-process cost of the gate's check alone (no HTTP): static token vs cached JWT, ns/check. */
async function gateCheckNs(jwt: string, getKey: ReturnType<typeof createLocalJWKSet>): Promise<{ static: number; jwt: number }> {
  const target = { group: 'state', apiDenied: false };
  const base = { apiRules: false, allowBearer: false, auditOnly: false };
  const staticGate = createApiGate({ ...base, statics: { current: createStaticTokenSet([STATIC_TOKEN]) } }, 'http');
  const keys = { ready: Promise.resolve(), getKey, refreshForUnknownKey: async () => false, close() {} };
  const jwtGate = createApiGate({ ...base, jwt: createJwtVerifier({ issuer: ISS, audience: ['bench'], keys }) }, 'http');
  if ((await jwtGate.check(jwt, target)) !== 'allow') throw new Error('JWT refused');
  const time = (gate: typeof staticGate, token: string): number => {
    const n = 1_000_000;
    // a fresh string per check, as a parsed header is
    const parts = [token.slice(0, 10), token.slice(10)];
    const t0 = nowMs();
    for (let i = 0; i < n; i++) if (gate.check(parts[0]! + parts[1]!, target) !== 'allow') throw new Error('refused');
    return ((nowMs() - t0) * 1e6) / n;
  };
  time(staticGate, STATIC_TOKEN);
  time(jwtGate, jwt);
  return { static: time(staticGate, STATIC_TOKEN), jwt: time(jwtGate, jwt) };
}

async function main(): Promise<void> {
  console.log(`auth-modes benchmark — ${availableParallelism()} cores, node ${process.version}; ${ROUNDS} rounds × [static, jwt, off], ${WARMUP_S} s warm-up + ${DURATION_S} s`);
  const dir = mkdtempSync(join(tmpdir(), 'pillion-bench-auth-'));
  try {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwksPath = join(dir, 'jwks.json');
    writeFileSync(jwksPath, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' }] }));
    const jwt = await new SignJWT({ scope: 'state' }).setProtectedHeader({ alg: 'ES256', kid: 'bench' }).setIssuer(ISS).setAudience('bench').setExpirationTime('1h').sign(privateKey);
    const token: Record<Mode, string | undefined> = { static: STATIC_TOKEN, jwt, off: undefined };
    const runs: Record<Mode, Run[]> = { static: [], jwt: [], off: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Mode[] = round % 2 === 0 ? ['static', 'jwt', 'off'] : ['off', 'jwt', 'static'];
      for (const mode of order) {
        const sc = await startPillion(mode, dir, jwksPath);
        try {
          const r = await load(sc.port, sc.pid, token[mode]);
          runs[mode].push(r);
          console.log(`round ${round + 1} ${mode.padEnd(6)} ${r.rps.toFixed(0).padStart(7)} req/s  ${r.cpuUs.toFixed(1).padStart(6)} µs CPU/req`);
        } finally {
          await sc.stop();
        }
      }
    }
    const avg = (m: Mode) => ({ rps: mean(runs[m].map((r) => r.rps)), cpuUs: mean(runs[m].map((r) => r.cpuUs)) });
    const [s, j, o] = [avg('static'), avg('jwt'), avg('off')];
    const es = await uncachedEs256Us();
    const gate = await gateCheckNs(jwt, createLocalJWKSet(JSON.parse(readFileSync(jwksPath, 'utf8')) as { keys: [] }));
    console.log('\n              req/s   µs CPU/req');
    for (const [name, a] of [['static', s], ['jwt', j], ['off', o]] as const) console.log(`${name.padEnd(8)} ${a.rps.toFixed(0).padStart(9)} ${a.cpuUs.toFixed(1).padStart(11)}`);
    const ratio = j.rps / s.rps;
    console.log(`\ncached JWT / static req/s: ${ratio.toFixed(3)}  (target ≥ 0.95: ${ratio >= 0.95 ? 'PASS' : 'FAIL'}); CPU/req ratio ${(j.cpuUs / s.cpuUs).toFixed(3)}`);
    console.log(`static / off req/s: ${(s.rps / o.rps).toFixed(3)}`);
    console.log(`gate check alone (in-process, 1e6 checks): static token ${gate.static.toFixed(0)} ns, cached JWT ${gate.jwt.toFixed(0)} ns`);
    console.log(`uncached ES256 verification: ${es.verifier.toFixed(1)} µs (Pillion verifier incl. cache insert), ${es.jose.toFixed(1)} µs (jose jwtVerify alone)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
