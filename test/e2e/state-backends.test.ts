// The state API and the query API through the real `bin/pillion`, on the shared Redis and
// PostgreSQL servers (a run-unique table / key namespace, removed afterwards), plus SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { httpRaw, jsonOf, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { Code, daprGrpcClient, grpcError, type DaprGrpcClient } from '../helpers/connect.js';
import { ResourceInfoSchema } from '../../src/gen/google/rpc/error_details_pb.js';

const TOKEN = 'backends-e2e-token-3f9a';
const H = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };
const RUN = randomBytes(5).toString('hex');
const APP = `backends-${RUN}`;
const TABLE = `pillion_e2e_${RUN}`;
const PG_URL = process.env.PILLION_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS = process.env.PILLION_TEST_REDIS ?? '127.0.0.1:6379';

let sc: Sidecar;
let g: DaprGrpcClient;

before(async () => {
  const dir = tempDir('pillion-backends-');
  const component = (name: string, type: string, md: Record<string, string>) =>
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n` +
    Object.entries(md).map(([k, v]) => `    - { name: ${k}, value: ${JSON.stringify(v)} }\n`).join('');
  writeFileSync(join(dir, 'redis.yaml'), component('redis', 'state.redis', { redisHost: REDIS }));
  writeFileSync(join(dir, 'pg.yaml'), component('pg', 'state.postgresql', { connectionString: PG_URL, tableName: TABLE }));
  writeFileSync(join(dir, 'sqlite.yaml'), component('sqlite', 'state.sqlite', { connectionString: join(dir, 'state.db') }));
  sc = await startSidecar({ appId: APP, token: TOKEN, resourcesPaths: [dir], readyTimeoutMs: 20_000 });
  g = daprGrpcClient(sc.grpcPort, TOKEN);
});

after(async () => {
  await stopAll();
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await pool.query(`DROP TABLE IF EXISTS "${TABLE}"`);
  await pool.end();
  const r = new Redis(Number(REDIS.split(':')[1] ?? 6379), REDIS.split(':')[0]!);
  const keys = await r.keys(`${APP}||*`);
  if (keys.length) await r.del(...keys);
  await r.quit();
});

const post = (path: string, body: unknown) =>
  httpRaw({ port: sc.httpPort, method: 'POST', path, headers: H, body: typeof body === 'string' ? body : JSON.stringify(body) });

for (const store of ['redis', 'pg']) {
  describe(`state API on ${store}`, () => {
    test('save, get with ETag, ETag mismatch (409), transaction, TTL header, gRPC', async () => {
      assert.equal((await post(`/v1.0/state/${store}`, [{ key: 'a', value: { n: 1 } }, { key: 't', value: 'x', metadata: { ttlInSeconds: '60' } }])).status, 204);
      const a = await httpRaw({ port: sc.httpPort, path: `/v1.0/state/${store}/a`, headers: H });
      assert.equal(a.status, 200);
      assert.equal(a.text, '{"n":1}');
      const etag = a.headers.etag as string;
      assert.ok(etag);
      const t = await httpRaw({ port: sc.httpPort, path: `/v1.0/state/${store}/t`, headers: H });
      assert.ok(Date.parse(t.headers['metadata.ttlexpiretime'] as string) > Date.now());
      assert.equal((await post(`/v1.0/state/${store}`, [{ key: 'a', value: 2, etag }])).status, 204);
      const stale = await post(`/v1.0/state/${store}`, [{ key: 'a', value: 3, etag }]);
      assert.equal(stale.status, 409);
      assert.equal(jsonOf<{ errorCode: string }>(stale).errorCode, 'ERR_STATE_SAVE');
      const tx = await post(`/v1.0/state/${store}/transaction`, { operations: [
        { operation: 'upsert', request: { key: 'b', value: 'B' } },
        { operation: 'delete', request: { key: 'a', etag: 'wrong' } },
      ] });
      assert.equal(tx.status, 500);
      assert.equal((await httpRaw({ port: sc.httpPort, path: `/v1.0/state/${store}/b`, headers: H })).status, 204, 'nothing applied');
      const got = await g.getState({ storeName: store, key: 'a' });
      assert.equal(Buffer.from(got.data).toString(), '2');
      await g.saveState({ storeName: store, states: [{ key: 'bin', value: Uint8Array.from([0, 255, 10]) }] });
      assert.deepEqual([...(await g.getState({ storeName: store, key: 'bin' })).data], [0, 255, 10]);
    });
  });
}

const PEOPLE = [
  { key: 'p1', value: { person: { org: 'Dev Ops', id: 1 }, state: 'CA' } },
  { key: 'p2', value: { person: { org: 'Finance', id: 2 }, state: 'WA' } },
  { key: 'p3', value: { person: { org: 'Dev Ops', id: 3 }, state: 'WA' } },
];

for (const store of ['pg', 'sqlite']) {
  describe(`query API on ${store}`, () => {
    before(async () => {
      assert.equal((await post(`/v1.0/state/${store}`, PEOPLE)).status, 204);
    });

    test('HTTP: filter, sort, paging; keys without prefix; 204 when nothing matches', async () => {
      const q = { filter: { EQ: { 'person.org': 'Dev Ops' } }, sort: [{ key: 'person.id', order: 'DESC' }], page: { limit: 1 } };
      const r1 = await post(`/v1.0-alpha1/state/${store}/query`, q);
      assert.equal(r1.status, 200, r1.text);
      const page1 = jsonOf<{ results: Array<{ key: string; data: unknown; etag: string }>; token?: string }>(r1);
      assert.equal(page1.results.length, 1);
      assert.equal(page1.results[0]!.key, 'p3');
      assert.deepEqual(page1.results[0]!.data, PEOPLE[2]!.value);
      assert.ok(page1.results[0]!.etag);
      assert.ok(page1.token);
      const r2 = await httpRaw({ port: sc.httpPort, method: 'PUT', path: `/v1.0-alpha1/state/${store}/query`, headers: H, body: JSON.stringify({ ...q, page: { limit: 1, token: page1.token } }) });
      const page2 = jsonOf<{ results: Array<{ key: string }>; token?: string }>(r2);
      assert.deepEqual(page2.results.map((x) => x.key), ['p1']);
      assert.equal(page2.token, undefined);
      const none = await post(`/v1.0-alpha1/state/${store}/query`, { filter: { IN: { state: ['NY'] } } });
      assert.equal(none.status, 204);
      const bad = await post(`/v1.0-alpha1/state/${store}/query`, { filter: { LIKE: { state: 'W%' } } });
      // daprd: a query it cannot read fails like the store's own failure (500 ERR_STATE_QUERY)
      assert.equal(bad.status, 500);
      const body = jsonOf<{ errorCode: string; message: string; details: Array<Record<string, unknown>> }>(bad);
      assert.equal(body.errorCode, 'ERR_STATE_QUERY');
      assert.match(body.message, new RegExp(`^state store ${store} query failed: failed to parse JSON query body: `));
      assert.deepEqual(body.details, [
        { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', description: '', owner: '', resource_name: store, resource_type: 'state' },
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', domain: 'dapr.io', metadata: null, reason: 'DAPR_STATE_QUERY_FAILED' },
      ]);
    });

    test('gRPC QueryStateAlpha1', async () => {
      const res = await g.queryStateAlpha1({ storeName: store, query: JSON.stringify({ filter: { EQ: { state: 'WA' } } }) });
      assert.deepEqual(res.results.map((r) => r.key), ['p2', 'p3']);
      assert.deepEqual(JSON.parse(Buffer.from(res.results[0]!.data).toString()), PEOPLE[1]!.value);
      const err = await grpcError(() => g.queryStateAlpha1({ storeName: store, query: '{"sort": 1}' }));
      assert.deepEqual([err.code, err.info?.reason], [Code.Internal, 'DAPR_STATE_QUERY_FAILED']);
    });
  });
}

test('query on a store without the query API: ERR_STATE_STORE_NOT_SUPPORTED on both protocols', async () => {
  const r = await post('/v1.0-alpha1/state/redis/query', {});
  assert.equal(r.status, 500);
  // daprd's bytes (dapr/kit): ResourceInfo naming the store, then ErrorInfo without metadata
  assert.equal(
    r.text,
    '{"errorCode":"ERR_STATE_STORE_NOT_SUPPORTED","message":"state store does not support querying","details":[{"@type":"type.googleapis.com/google.rpc.ResourceInfo","description":"","owner":"","resource_name":"redis","resource_type":"state"},{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":null,"reason":"DAPR_STATE_QUERYING_NOT_SUPPORTED"}]}',
  );
  const err = await grpcError(() => g.queryStateAlpha1({ storeName: 'redis', query: '{}' }));
  assert.equal(err.code, Code.Internal);
  assert.equal(err.info?.reason, 'DAPR_STATE_QUERYING_NOT_SUPPORTED');
  const ri = err.findDetails(ResourceInfoSchema)[0];
  assert.deepEqual([ri?.resourceType, ri?.resourceName], ['state', 'redis']);
});
