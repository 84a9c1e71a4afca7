import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createRedisStateStore, redisSettings } from '../../../src/components/state-redis.js';
import { ComponentConfigError, type StateStore } from '../../../src/components/types.js';
import { prefixed, REDIS_HOST, RUN_ID } from './backends.js';
import { ctx, spec } from './helpers.js';
import { stateStoreConformance } from './state-conformance.js';

const NS = `pillion-test-${RUN_ID}`;
let n = 0;
const prefixes = new WeakMap<StateStore, string>();

const open = (metadata: Record<string, string> = {}) =>
  createRedisStateStore(spec('state.redis', { redisHost: REDIS_HOST, ...metadata }), ctx());

async function openPrefixed(prefix: string): Promise<StateStore> {
  const s = prefixed(await open(), prefix);
  prefixes.set(s, prefix);
  return s;
}

const admin = new Redis(REDIS_HOST.split(':')[1] ? Number(REDIS_HOST.split(':')[1]) : 6379, REDIS_HOST.split(':')[0]!);
after(async () => {
  // Remove everything this run wrote.
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${NS}*`, 'COUNT', 1000);
    if (keys.length) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await admin.quit();
});

stateStoreConformance({
  name: 'state.redis',
  create: () => openPrefixed(`${NS}-${n++}||`),
  reopen: async (s) => {
    await s.close();
    return openPrefixed(prefixes.get(s)!);
  },
});

const enc = (s: string) => Buffer.from(s);
const configError = (field: string) => (err: unknown) =>
  err instanceof ComponentConfigError && err.field === field && err.source === 'test/c.yaml';

describe('state.redis specifics', () => {
  test("Dapr's layout: a hash with data and version; a hash written by daprd reads back", async () => {
    const s = await open();
    const key = `${NS}-layout||order`;
    await s.set({ key, value: enc('{"qty":2}') });
    assert.deepEqual(await admin.hgetall(key), { data: '{"qty":2}', version: '1' });
    await s.set({ key, value: enc('{"qty":3}') });
    assert.equal(await admin.hget(key, 'version'), '2');
    assert.equal((await s.get(key))?.etag, '2');
    // as daprd's redis store leaves it
    const daprKey = `${NS}-layout||from-dapr`;
    await admin.hset(daprKey, 'data', '"hello"', 'version', '7');
    const got = await s.get(daprKey);
    assert.equal(Buffer.from(got!.value).toString(), '"hello"');
    assert.equal(got!.etag, '7');
    await s.set({ key: daprKey, value: enc('"bye"'), etag: '7' });
    assert.equal(await admin.hget(daprKey, 'version'), '8');
    await s.close();
  });

  test('ttlInSeconds sets a Redis expiry; a write without it removes the expiry', async () => {
    const s = await open();
    const key = `${NS}-ttl||k`;
    await s.set({ key, value: enc('x'), metadata: { ttlInSeconds: '100' } });
    const ttl = await admin.ttl(key);
    assert.ok(ttl > 95 && ttl <= 100, `ttl ${ttl}`);
    const exp = Date.parse((await s.get(key))!.metadata!.ttlExpireTime!);
    assert.ok(Math.abs(exp - (Date.now() + 100_000)) < 2_000);
    await s.set({ key, value: enc('y') });
    assert.equal(await admin.ttl(key), -1);
    assert.equal((await s.get(key))?.metadata, undefined);
    await s.close();
  });

  test('metadata is validated', async () => {
    await assert.rejects(createRedisStateStore(spec('state.redis'), ctx()), configError('spec.metadata.redisHost'));
    assert.throws(() => redisSettings(spec('state.redis', { redisHost: 'h:99999' })), configError('spec.metadata.redisHost'));
    assert.throws(() => redisSettings(spec('state.redis', { redisHost: 'h', redisDB: 'x' })), configError('spec.metadata.redisDB'));
    assert.throws(() => redisSettings(spec('state.redis', { redisHost: 'h', redisType: 'cluster' })), configError('spec.metadata.redisType'));
    assert.throws(() => redisSettings(spec('state.redis', { redisHost: 'h', dialTimeout: 'soon' })), configError('spec.metadata.dialTimeout'));
    const ok = redisSettings(spec('state.redis', { redisHost: '[::1]:7000', redisDB: '3', enableTLS: 'true', redisPassword: 'pw', redisUsername: 'u' }));
    assert.equal(ok.options.host, '::1');
    assert.equal(ok.options.port, 7000);
    assert.equal(ok.options.db, 3);
    assert.ok(ok.options.tls);
    assert.equal(redisSettings(spec('state.redis', { redisHost: 'example' })).options.port, 6379);
  });

  test('redisDB selects the database', async () => {
    const s = await open({ redisDB: '2' });
    const key = `${NS}-db||k`;
    await s.set({ key, value: enc('in db 2') });
    assert.equal(await admin.exists(key), 0);
    const db2 = new Redis({ host: admin.options.host, port: admin.options.port, db: 2 });
    assert.equal(await db2.hget(key, 'data'), 'in db 2');
    await db2.del(key);
    await db2.quit();
    await s.close();
  });

  test('an unreachable server fails start-up within dialTimeout', async () => {
    const t0 = Date.now();
    await assert.rejects(open({ redisHost: '127.0.0.1:1', dialTimeout: '1s' }), /cannot connect to Redis/);
    assert.ok(Date.now() - t0 < 3000);
  });
});
