// The backend goes away mid-traffic and comes back, with the real `bin/pillion` process:
// requests fail fast with ERR_STATE_GET / ERR_STATE_SAVE (no hang), the sidecar stays up and
// reconnects by itself, and no acknowledged write is lost. Each backend is a private
// throwaway server (test/helpers/private-backends.ts), never the shared one.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivatePostgres, privatePostgresUnavailable, PrivateRedis } from '../helpers/private-backends.js';
import { httpRaw, jsonOf, sleep, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';

const TOKEN = 'faults-e2e-token-7c1d';
const H = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };
/** A request must be answered within this, backend up or down. */
const BOUND_MS = 5_000;

after(stopAll);

interface Outcome {
  status: number;
  ms: number;
  code?: string;
}

async function timed(fn: () => ReturnType<typeof httpRaw>): Promise<Outcome> {
  const t0 = Date.now();
  const r = await fn();
  const out: Outcome = { status: r.status, ms: Date.now() - t0 };
  if (r.status >= 400) out.code = jsonOf<{ errorCode: string }>(r).errorCode;
  return out;
}

async function sidecarFor(componentYaml: string): Promise<Sidecar> {
  const dir = tempDir('pillion-faults-');
  writeFileSync(join(dir, 'store.yaml'), componentYaml);
  return startSidecar({ appId: 'faults', token: TOKEN, resourcesPaths: [dir], readyTimeoutMs: 20_000 });
}

/**
 * Writers and readers run in loops while `outage` stops and restarts the backend. Returns
 * every outcome and the keys whose save was acknowledged (204).
 */
async function traffic(sc: Sidecar, outage: (outcomes: readonly Outcome[]) => Promise<void>) {
  const acked = new Map<string, string>();
  const outcomes: Array<Outcome & { op: 'save' | 'get' }> = [];
  let running = true;
  const writer = async (w: number) => {
    for (let i = 0; running; i++) {
      const key = `w${w}-${i}`;
      const value = { i, w }; // keys in sorted order, as the sidecar stores JSON
      const o = await timed(() => httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/store', headers: H, body: JSON.stringify([{ key, value }]), timeoutMs: 30_000 }));
      outcomes.push({ ...o, op: 'save' });
      if (o.status === 204) acked.set(key, JSON.stringify(value));
      if (o.status !== 204) await sleep(20);
    }
  };
  const reader = async () => {
    while (running) {
      const o = await timed(() => httpRaw({ port: sc.httpPort, path: '/v1.0/state/store/w0-0', headers: H, timeoutMs: 30_000 }));
      outcomes.push({ ...o, op: 'get' });
      await sleep(o.status >= 400 ? 20 : 5);
    }
  };
  const loops = [writer(0), writer(1), writer(2), reader()];
  await sleep(400);
  await outage(outcomes);
  await sleep(300);
  running = false;
  await Promise.all(loops);
  return { acked, outcomes };
}

async function checkRun(sc: Sidecar, stop: () => Promise<void>, start: () => Promise<void>): Promise<void> {
  const grpc = daprGrpcClient(sc.grpcPort, TOKEN);
  let downErrors: Outcome[] = [];
  let recoveredAfterMs = -1;
  const { acked, outcomes } = await traffic(sc, async (live) => {
    await stop();
    const from = live.length;
    await sleep(1_500); // traffic keeps hitting the dead backend
    // gRPC sees the same failure
    const err = await grpcError(() => grpc.getState({ storeName: 'store', key: 'w0-0' }));
    assert.equal(err.code, Code.Internal);
    assert.equal(err.info?.reason, 'ERR_STATE_GET');
    downErrors = live.slice(from);
    await start();
    const t0 = Date.now();
    // the sidecar reconnects by itself: a save succeeds again without any help
    for (;;) {
      const o = await timed(() => httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/store', headers: H, body: '[{"key":"probe","value":1}]' }));
      if (o.status === 204) break;
      assert.ok(Date.now() - t0 < 15_000, `no reconnect within 15 s (last: ${JSON.stringify(o)})\n${sc.output}`);
      await sleep(100);
    }
    recoveredAfterMs = Date.now() - t0;
  });
  assert.ok(sc.running, `the sidecar exited:\n${sc.output}`);
  const slow = outcomes.filter((o) => o.ms > BOUND_MS);
  assert.deepEqual(slow, [], `requests took longer than ${BOUND_MS} ms`);
  const failures = outcomes.filter((o) => o.status >= 400);
  assert.ok(failures.length > 0, 'some requests failed while the backend was down');
  for (const f of failures) {
    assert.equal(f.status, 500);
    assert.equal(f.code, f.op === 'save' ? 'ERR_STATE_SAVE' : 'ERR_STATE_GET');
  }
  assert.ok(downErrors.length > 0, 'requests during the outage were answered (with errors)');
  assert.ok(outcomes.filter((o) => o.status === 204).length > 10, 'writes succeeded before and after the outage');
  assert.ok(recoveredAfterMs >= 0);
  // no acknowledged write is lost
  const keys = [...acked.keys()];
  const r = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/store/bulk', headers: H, body: JSON.stringify({ keys }) });
  assert.equal(r.status, 200);
  const got = jsonOf<Array<{ key: string; data?: unknown }>>(r);
  const lost = got.filter((it) => JSON.stringify(it.data) !== acked.get(it.key)).map((it) => it.key);
  assert.deepEqual(lost, [], `${lost.length} of ${keys.length} acknowledged writes lost`);
}

describe('backend outage: state.redis', () => {
  test('fails fast while Redis is down, reconnects, loses no acknowledged write', { timeout: 60_000 }, async () => {
    const redis = await PrivateRedis.create();
    try {
      const sc = await sidecarFor(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: store }
spec:
  type: state.redis
  version: v1
  metadata:
    - { name: redisHost, value: "127.0.0.1:${redis.port}" }
    - { name: readTimeout, value: 2s }
    - { name: maxRetryBackoff, value: 500ms }
`);
      // SIGKILL: no shutdown save; with appendfsync always every acknowledged write is on disk
      await checkRun(sc, () => redis.stop('SIGKILL'), () => redis.start());
    } finally {
      await redis.destroy();
    }
  });
});

describe('backend outage: state.postgresql', () => {
  const unavailable = privatePostgresUnavailable();
  test('fails fast while PostgreSQL is down, reconnects, loses no acknowledged write', { timeout: 90_000, skip: unavailable ?? false }, async () => {
    const pg = await PrivatePostgres.create();
    try {
      const sc = await sidecarFor(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: store }
spec:
  type: state.postgresql
  version: v1
  metadata:
    - { name: connectionString, value: "${pg.url}" }
    - { name: timeout, value: 3s }
`);
      // SIGQUIT: immediate shutdown, i.e. a crash; restart runs WAL recovery
      await checkRun(sc, () => pg.stop('SIGQUIT'), () => pg.start());
    } finally {
      await pg.destroy();
    }
  });
});
