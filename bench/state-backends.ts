// State GET / SET throughput through Pillion on each real backend, next to the same operation
// issued straight from a Node client to that backend, in one run:
//   node dist/bench/state-backends.js        (npm run bench:state)
// Both sides are closed loops with the same number of requests in flight, driven from this
// process. Pillion runs as the real `bin/pillion` process with token auth on, its stores on
// the shared Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432/test) in a run-unique
// namespace that is removed afterwards. Settings: BENCH_DURATION_S (default 5),
// BENCH_WARMUP_S (1), BENCH_CONCURRENCY (50). Results: bench/results/state-backends.json.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { freePort, httpCall, track } from './sidecar-process.js';
import { nowMs, percentile, sleep } from './stats.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CFG = {
  durationS: Number(process.env.BENCH_DURATION_S ?? 5),
  warmupS: Number(process.env.BENCH_WARMUP_S ?? 1),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  redis: process.env.PILLION_TEST_REDIS ?? '127.0.0.1:6379',
  pg: process.env.PILLION_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
};
const TOKEN = randomBytes(24).toString('hex');
const RUN = randomBytes(4).toString('hex');
const APP = `bench-${RUN}`;
const TABLE = `pillion_bench_${RUN}`;
const VALUE = '{"hello":"world","n":42}';

interface Figure {
  rps: number;
  p50: number;
  p99: number;
}

/** Runs `op` in `concurrency` closed loops: warm-up, then measured for durationS. */
async function closedLoop(op: () => Promise<void>): Promise<Figure> {
  const run = async (seconds: number, lat?: number[]) => {
    const end = nowMs() + seconds * 1000;
    let done = 0;
    await Promise.all(Array.from({ length: CFG.concurrency }, async () => {
      while (nowMs() < end) {
        const t0 = nowMs();
        await op();
        lat?.push(nowMs() - t0);
        done++;
      }
    }));
    return done;
  };
  await run(CFG.warmupS);
  const lat: number[] = [];
  const t0 = nowMs();
  const n = await run(CFG.durationS, lat);
  return { rps: n / ((nowMs() - t0) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function pillionCall(port: number, method: string, path: string, body?: string, expect = method === 'GET' ? 200 : 204): Promise<void> {
  return new Promise((res, rej) => {
    const headers: Record<string, string> = { 'dapr-api-token': TOKEN };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent }, (r) => {
      r.resume();
      r.on('end', () => (r.statusCode === expect ? res() : rej(new Error(`${method} ${path}: ${r.statusCode}`))));
    });
    req.on('error', rej);
    req.end(body);
  });
}

async function startPillion(resources: string) {
  const [h, g, p, m] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const home = mkdtempSync(join(tmpdir(), 'pillion-bench-state-'));
  const child = track(spawn(join(ROOT, 'bin', 'pillion'), ['run', '--app-id', APP, '--dapr-http-port', String(h), '--dapr-grpc-port', String(g),
    '--dapr-public-port', String(p), '--metrics-port', String(m), '--resources-path', resources],
  { env: { PATH: process.env.PATH, PILLION_HOME: home, DAPR_API_TOKEN: TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let log = '';
  child.stdout!.on('data', (c: Buffer) => void (log = (log + c).slice(-4000)));
  child.stderr!.on('data', (c: Buffer) => void (log = (log + c).slice(-4000)));
  const t0 = nowMs();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sidecar exited:\n${log}`);
    if (nowMs() - t0 > 20_000) throw new Error(`sidecar not healthy:\n${log}`);
    const ok = await httpCall(h, 'GET', '/v1.0/healthz').then((r) => r.status === 204, () => false);
    if (ok) break;
    await sleep(20);
  }
  return {
    port: h,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const [rhost, rport] = CFG.redis.split(':');
  const redis = new Redis(Number(rport ?? 6379), rhost!);
  const pool = new pg.Pool({ connectionString: CFG.pg, max: CFG.concurrency > 10 ? 10 : CFG.concurrency });
  const dir = mkdtempSync(join(tmpdir(), 'pillion-bench-res-'));
  const yaml = (name: string, type: string, md: Record<string, string>) =>
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n` +
    Object.entries(md).map(([k, v]) => `    - { name: ${k}, value: ${JSON.stringify(v)} }\n`).join('');
  writeFileSync(join(dir, 'redis.yaml'), yaml('redis', 'state.redis', { redisHost: CFG.redis }));
  // the same pool size as the direct client below
  writeFileSync(join(dir, 'pg.yaml'), yaml('pg', 'state.postgresql', { connectionString: CFG.pg, tableName: TABLE, maxConns: '10' }));
  const sc = await startPillion(dir);
  const rows: Array<{ store: string; op: string; pillion: Figure; direct: Figure }> = [];
  try {
    await pillionCall(sc.port, 'POST', '/v1.0/state/redis', JSON.stringify([{ key: 'k', value: JSON.parse(VALUE) }]));
    await pillionCall(sc.port, 'POST', '/v1.0/state/pg', JSON.stringify([{ key: 'k', value: JSON.parse(VALUE) }]));
    const redisKey = `${APP}||k`;
    const directKey = `${APP}||direct`;
    await redis.hset(directKey, 'data', VALUE, 'version', '1');
    let v = 1;
    const setBody = JSON.stringify([{ key: 'k', value: JSON.parse(VALUE) }]);
    const sql = {
      get: `SELECT value, etag, expires_at FROM "${TABLE}" WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`,
      set: `INSERT INTO "${TABLE}" (key, value, is_json, etag, expires_at, updated_at) VALUES ($1, $2, true, $3, NULL, now()) ` +
        `ON CONFLICT (key) DO UPDATE SET value = excluded.value, etag = excluded.etag, updated_at = now()`,
    };
    const buf = Buffer.from(VALUE);
    const plan: Array<[string, string, () => Promise<void>, () => Promise<void>]> = [
      ['redis', 'GET', () => pillionCall(sc.port, 'GET', '/v1.0/state/redis/k'), async () => void (await redis.hmget(redisKey, 'data', 'version'))],
      ['redis', 'SET', () => pillionCall(sc.port, 'POST', '/v1.0/state/redis', setBody), async () => void (await redis.hset(directKey, 'data', VALUE, 'version', String(++v)))],
      ['postgresql', 'GET', () => pillionCall(sc.port, 'GET', '/v1.0/state/pg/k'), async () => void (await pool.query({ name: 'g', text: sql.get, values: [redisKey] }))],
      ['postgresql', 'SET', () => pillionCall(sc.port, 'POST', '/v1.0/state/pg', setBody), async () => void (await pool.query({ name: 's', text: sql.set, values: [directKey, buf, randomBytes(8).toString('hex')] }))],
    ];
    for (const [store, op, viaPillion, direct] of plan) {
      const pillion = await closedLoop(viaPillion);
      const d = await closedLoop(direct);
      rows.push({ store, op, pillion, direct: d });
      console.log(`${store.padEnd(10)} ${op}  Pillion ${pillion.rps.toFixed(0).padStart(6)} req/s (p50 ${pillion.p50.toFixed(2)} ms, p99 ${pillion.p99.toFixed(2)} ms)  ` +
        `direct ${d.rps.toFixed(0).padStart(6)} req/s (p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms)  ratio ${(pillion.rps / d.rps).toFixed(2)}`);
    }
  } finally {
    await sc.stop();
    rmSync(dir, { recursive: true, force: true });
    const keys = await redis.keys(`${APP}||*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await pool.query(`DROP TABLE IF EXISTS "${TABLE}"`);
    await pool.end();
    agent.destroy();
  }
  const redisGet = rows.find((r) => r.store === 'redis' && r.op === 'GET')!;
  const ratio = redisGet.pillion.rps / redisGet.direct.rps;
  console.log(`target: Redis GET Pillion / direct ≥ 0.70 → ${ratio.toFixed(2)} ${ratio >= 0.7 ? 'PASS' : 'FAIL'}`);
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'state-backends.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cores: cpus().length, settings: CFG, rows, redisGetRatio: ratio,
  }, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
