// pubsub.redis against the real Redis on this machine: the shared conformance suite, then what
// is specific to Redis Streams (layout shared with daprd, consumer groups, reclaiming pending
// entries, trimming, concurrency, metadata). Every stream this file touches is deleted after.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { decodeEntry, entryFields, nextStreamId } from '../../../src/components/pubsub-redis-entry.js';
import { expandConsumerId, redisPubSubSettings, REDIS_PUBSUB_DEFAULTS } from '../../../src/components/pubsub-redis-settings.js';
import { createRedisPubSub } from '../../../src/components/pubsub-redis.js';
import { loadComponents } from '../../../src/components/loader.js';
import { ComponentConfigError, type ComponentLog, type PubSub, type PubSubMessage } from '../../../src/components/types.js';
import { REDIS_HOST, RUN_ID } from './backends.js';
import { ctx, spec, tempDir } from './helpers.js';
import { pubsubConformance } from './pubsub-conformance.js';

const [HOST, PORT] = [REDIS_HOST.split(':')[0]!, Number(REDIS_HOST.split(':')[1] ?? 6379)];
const admin = new Redis(PORT, HOST);
const streams = new Set<string>();
after(async () => {
  for (const s of streams) await admin.del(s);
  await admin.quit();
});

/** A stream name unique to this run, deleted at the end. */
function stream(label: string): string {
  const s = `pillion-test-${RUN_ID}-${label}-${randomUUID().slice(0, 8)}`;
  streams.add(s);
  return s;
}

/** Records every topic it touches, so the conformance suite's streams get cleaned up too. */
function tracked(p: PubSub): PubSub {
  return {
    kind: p.kind,
    features: p.features,
    // recorded once Redis has the stream, so a refused call never deletes a stranger's key
    publish: (topic, data, md) => p.publish(topic, data, md).then(() => void streams.add(topic)),
    subscribe: (topic, handler, md) => p.subscribe(topic, handler, md).then((s) => (streams.add(topic), s)),
    close: () => p.close(),
  };
}

const open = (metadata: Record<string, string> = {}, appId = `app-${RUN_ID}`, log?: ComponentLog) =>
  createRedisPubSub(spec('pubsub.redis', { redisHost: REDIS_HOST, ...metadata }), ctx({ appId, ...(log ? { log } : {}) }));

/** Fast redelivery: pending entries are reclaimed after 30 ms, checked every 20 ms. */
const FAST = { processingTimeout: '30', redeliverInterval: '20ms' };

async function eventually(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const text = (m: PubSubMessage): string => Buffer.from(m.data).toString('utf8');
const configError = (field: string) => (err: unknown) => err instanceof ComponentConfigError && err.field === field && err.source === 'test/c.yaml';

pubsubConformance({
  name: 'pubsub.redis',
  create: async ({ maxRetries }) => tracked(await open({ ...FAST, maxRetries: String(maxRetries) })),
});

describe('pubsub.redis: the stream layout is contrib\'s', () => {
  test('publish XADDs field data (the bytes) and metadata (JSON)', async () => {
    const p = await open();
    const topic = stream('layout');
    await p.publish(topic, new Uint8Array([0, 255, 1]), { a: 'b' });
    const [[, fields]] = (await admin.xrangeBuffer(topic, '-', '+')) as [[Buffer, Buffer[]]];
    assert.deepEqual(fields.map((f, i) => (i === 1 ? [...f] : f.toString())), ['data', [0, 255, 1], 'metadata', '{"a":"b"}']);
    await p.close();
  });

  test('entries written as daprd writes them are delivered (with and without metadata)', async () => {
    const p = await open();
    const topic = stream('from-daprd');
    const got: PubSubMessage[] = [];
    await p.subscribe(topic, async (m) => (got.push(m), 'success'));
    await admin.xadd(topic, '*', 'data', '{"id":1}');
    await admin.xadd(topic, '*', 'data', '{"id":2}', 'metadata', '{"traceparent":"00-x"}');
    await eventually(() => got.length === 2, 'both entries');
    assert.deepEqual(got.map((m) => [text(m), m.metadata, m.attempt, m.lastAttempt]).sort(), [
      ['{"id":1}', {}, 1, false],
      ['{"id":2}', { traceparent: '00-x' }, 1, false],
    ]);
    await eventually(async () => ((await admin.xpending(topic, `app-${RUN_ID}`)) as [number])[0] === 0, 'both acked');
    await p.close();
  });

  test('unreadable metadata is reported through the log and the message still delivered', async () => {
    const lines: string[] = [];
    const p = await open({}, `app-${RUN_ID}`, (level, msg) => lines.push(`${level} ${msg}`));
    const topic = stream('bad-md');
    const got: PubSubMessage[] = [];
    await p.subscribe(topic, async (m) => (got.push(m), 'success'));
    await admin.xadd(topic, '*', 'data', 'x', 'metadata', '[1]');
    await eventually(() => got.length === 1, 'the delivery');
    assert.deepEqual(got[0]!.metadata, {});
    assert.ok(lines.some((l) => l.startsWith('warn ') && l.includes('ignoring the metadata')), lines.join('\n'));
    await p.close();
  });

  test('loaded from YAML, background trouble reaches the loader\'s log naming the component', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'ps.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: events }
spec:
  type: pubsub.redis
  version: v1
  metadata: [{ name: redisHost, value: "${REDIS_HOST}" }]
`);
    const lines: string[] = [];
    const loaded = await loadComponents({ resourcesPaths: [dir], appId: `app-${RUN_ID}`, dataDir: dir, env: {}, log: (level, msg) => lines.push(`${level} ${msg}`) });
    const p = loaded.components.find((c) => c.spec.name === 'events')!.instance as PubSub;
    const topic = stream('yaml');
    let got = 0;
    await p.subscribe(topic, async () => (got++, 'success'));
    await admin.xadd(topic, '*', 'data', 'x', 'metadata', 'not json');
    await eventually(() => got === 1, 'the delivery');
    assert.ok(lines.some((l) => l.startsWith('warn component events (pubsub.redis): redis streams: ignoring the metadata')), lines.join('\n'));
    await p.close();
  });

  test('maxLenApprox trims the stream (MAXLEN ~)', async () => {
    const p = await open({ maxLenApprox: '10' });
    const topic = stream('trim');
    for (let i = 0; i < 500; i++) await p.publish(topic, Buffer.from(String(i)), {});
    const len = await admin.xlen(topic);
    assert.ok(len >= 10 && len < 500, `XLEN ${len}`);
    await p.close();
    const untrimmed = await open();
    const other = stream('untrimmed');
    for (let i = 0; i < 150; i++) await untrimmed.publish(other, Buffer.from(String(i)), {});
    assert.equal(await admin.xlen(other), 150);
    await untrimmed.close();
  });
});

describe('pubsub.redis: consumer groups', () => {
  test('the group is named by the app id unless consumerID says otherwise', async () => {
    const topic = stream('group-name');
    const a = await open({}, `orders-${RUN_ID}`);
    const b = await open({ consumerID: `custom-${RUN_ID}` });
    await (await a.subscribe(topic, async () => 'success')).close();
    await (await b.subscribe(topic, async () => 'success')).close();
    const groups = ((await admin.call('XINFO', 'GROUPS', topic)) as unknown[][]).map((g) => String(g[1])).sort();
    assert.deepEqual(groups, [`custom-${RUN_ID}`, `orders-${RUN_ID}`]);
    await a.close();
    await b.close();
  });

  test('a group created at the start of the stream gets what was published before', async () => {
    const p = await open();
    const topic = stream('history');
    await p.publish(topic, Buffer.from('early'), {});
    const got: string[] = [];
    await p.subscribe(topic, async (m) => (got.push(text(m)), 'success'));
    await eventually(() => got.length === 1, 'the earlier message');
    assert.deepEqual(got, ['early']);
    await p.close();
  });

  test('two instances of one app share the messages: each gets its own, none gets both', async () => {
    const topic = stream('share');
    // queueDepth 1: an instance holding a message reads no more, so the other must take the next.
    const [a, b] = [await open({ queueDepth: '1' }, `shared-${RUN_ID}`), await open({ queueDepth: '1' }, `shared-${RUN_ID}`)];
    const got: Record<string, string[]> = { a: [], b: [] };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler = (who: 'a' | 'b') => async (m: PubSubMessage) => {
      got[who]!.push(text(m));
      await gate;
      return 'success' as const;
    };
    await a.subscribe(topic, handler('a'));
    await b.subscribe(topic, handler('b'));
    await a.publish(topic, Buffer.from('m1'), {});
    await a.publish(topic, Buffer.from('m2'), {});
    await eventually(() => got.a!.length + got.b!.length === 2, 'both messages');
    release();
    assert.deepEqual([got.a!.length, got.b!.length], [1, 1]);
    assert.deepEqual([...got.a!, ...got.b!].sort(), ['m1', 'm2']);
    await a.close();
    await b.close();
  });

  test('two apps (two groups) each get every message', async () => {
    const topic = stream('fanout');
    const [a, b] = [await open({}, `app-a-${RUN_ID}`), await open({}, `app-b-${RUN_ID}`)];
    const got: Record<string, string[]> = { a: [], b: [] };
    await a.subscribe(topic, async (m) => (got.a!.push(text(m)), 'success'));
    await b.subscribe(topic, async (m) => (got.b!.push(text(m)), 'success'));
    for (const s of ['x', 'y', 'z']) await a.publish(topic, Buffer.from(s), {});
    await eventually(() => got.a!.length === 3 && got.b!.length === 3, 'three messages in each group');
    assert.deepEqual([got.a!.sort(), got.b!.sort()], [['x', 'y', 'z'], ['x', 'y', 'z']]);
    await a.close();
    await b.close();
  });

  test('{uuid} in consumerID gives each instance its own group', async () => {
    const topic = stream('uuid');
    const [a, b] = [await open({ consumerID: 'inst-{uuid}' }), await open({ consumerID: 'inst-{uuid}' })];
    let n = 0;
    await a.subscribe(topic, async () => (n++, 'success'));
    await b.subscribe(topic, async () => (n++, 'success'));
    await a.publish(topic, Buffer.from('both'), {});
    await eventually(() => n === 2, 'a delivery to each instance');
    await a.close();
    await b.close();
    const groups = (await admin.call('XINFO', 'GROUPS', topic)) as unknown[];
    assert.equal(groups.length, 2);
  });
});

describe('pubsub.redis: redelivery of pending entries', () => {
  /** A consumer that read an entry and died before acking it, as a killed daprd leaves it. */
  async function deadConsumerHolds(topic: string, group: string, body: string): Promise<void> {
    await admin.xgroup('CREATE', topic, group, '$', 'MKSTREAM');
    await admin.xadd(topic, '*', 'data', body);
    const read = await admin.xreadgroup('GROUP', group, 'crashed-instance', 'COUNT', 10, 'STREAMS', topic, '>');
    assert.ok(read, 'the dead consumer read the entry');
  }

  test('an entry a dead consumer never acked is reclaimed after processingTimeout, as attempt 2', async () => {
    const topic = stream('reclaim');
    const group = `rg-${RUN_ID}`;
    await deadConsumerHolds(topic, group, 'orphan');
    const p = await open({ ...FAST, consumerID: group });
    const got: PubSubMessage[] = [];
    await p.subscribe(topic, async (m) => (got.push(m), 'success'));
    await eventually(() => got.length === 1, 'the reclaimed entry');
    assert.deepEqual([text(got[0]!), got[0]!.attempt], ['orphan', 2]);
    await eventually(async () => ((await admin.xpending(topic, group)) as [number])[0] === 0, 'the ack');
    await p.close();
  });

  test('processingTimeout 0 disables reclaiming: the entry stays with the dead consumer', async () => {
    const topic = stream('no-reclaim');
    const group = `nr-${RUN_ID}`;
    await deadConsumerHolds(topic, group, 'stuck');
    const p = await open({ processingTimeout: '0', redeliverInterval: '10ms', consumerID: group });
    let calls = 0;
    await p.subscribe(topic, async () => (calls++, 'success'));
    await new Promise((r) => setTimeout(r, 300)); // many redeliverIntervals
    assert.equal(calls, 0);
    const pending = (await admin.xpending(topic, group, '-', '+', 10)) as Array<[string, string]>;
    assert.deepEqual(pending.map((x) => x[1]), ['crashed-instance']);
    await p.close();
  });

  test("'retry' leaves the entry pending (unacked) until it is redelivered", async () => {
    const topic = stream('pending');
    const p = await open({ processingTimeout: '1h', redeliverInterval: '1h' });
    let calls = 0;
    await p.subscribe(topic, async () => (calls++, 'retry'));
    await p.publish(topic, Buffer.from('r'), {});
    await eventually(() => calls === 1, 'the first delivery');
    await eventually(async () => ((await admin.xpending(topic, `app-${RUN_ID}`)) as [number])[0] === 1, 'a pending entry');
    await p.close();
  });

  test('without maxRetries the budget is unlimited: lastAttempt stays false', async () => {
    const topic = stream('unlimited');
    const p = await open(FAST);
    const seen: boolean[] = [];
    await p.subscribe(topic, async (m) => (seen.push(m.lastAttempt), m.attempt < 6 ? 'retry' : 'success'));
    await p.publish(topic, Buffer.from('u'), {});
    await eventually(() => seen.length === 6, 'six attempts');
    assert.deepEqual(seen, [false, false, false, false, false, false]);
    await p.close();
  });
});

describe('pubsub.redis: concurrency and queueDepth', () => {
  test('at most `concurrency` handler calls run at once, over all subscriptions', async () => {
    const p = await open({ concurrency: '3' });
    const [t1, t2] = [stream('conc1'), stream('conc2')];
    let inFlight = 0;
    let max = 0;
    let done = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handler = async () => {
      max = Math.max(max, ++inFlight);
      await gate;
      inFlight--;
      done++;
      return 'success' as const;
    };
    await p.subscribe(t1, handler);
    await p.subscribe(t2, handler);
    for (let i = 0; i < 6; i++) await p.publish(i % 2 ? t1 : t2, Buffer.from(String(i)), {});
    await eventually(() => inFlight === 3, 'three calls in flight');
    await new Promise((r) => setTimeout(r, 100)); // a fourth would start here
    release();
    await eventually(() => done === 6, 'six deliveries');
    assert.equal(max, 3);
    await p.close();
  });
});

describe('pubsub.redis: metadata', () => {
  test('defaults are contrib\'s: processingTimeout 60s, redeliverInterval 15s, queueDepth 100, concurrency 10', () => {
    const s = redisPubSubSettings(spec('pubsub.redis', { redisHost: 'h' }), ctx({ appId: 'orders' }));
    assert.deepEqual(s, { consumerId: 'orders', ...REDIS_PUBSUB_DEFAULTS });
    assert.deepEqual([s.processingTimeoutMs, s.redeliverIntervalMs, s.queueDepth, s.concurrency, s.maxRetries], [60_000, 15_000, 100, 10, -1]);
  });

  test('a bare number is milliseconds (contrib), a duration string works too', () => {
    const s = redisPubSubSettings(spec('pubsub.redis', { processingTimeout: '1500', redeliverInterval: '2s' }), ctx());
    assert.deepEqual([s.processingTimeoutMs, s.redeliverIntervalMs], [1500, 2000]);
  });

  test('consumerID templates', () => {
    const c = { appId: 'orders', namespace: 'prod', podName: 'orders-7f' };
    assert.equal(expandConsumerId('{appID}-{podName}', c), 'orders-orders-7f');
    assert.equal(expandConsumerId('{namespace}', c), 'prod.orders');
    let n = 0;
    assert.equal(expandConsumerId('{uuid}/{uuid}', c, () => `u${++n}`), 'u1/u2');
    assert.equal(expandConsumerId('{podName}', { appId: 'a' }), undefined);
  });

  test('bad metadata fails at start and names the file and the field', async () => {
    for (const [md, field] of [
      [{}, 'spec.metadata.redisHost'],
      [{ redisHost: REDIS_HOST, processingTimeout: 'soon' }, 'spec.metadata.processingTimeout'],
      [{ redisHost: REDIS_HOST, redeliverInterval: '-5s' }, 'spec.metadata.redeliverInterval'],
      [{ redisHost: REDIS_HOST, queueDepth: '0' }, 'spec.metadata.queueDepth'],
      [{ redisHost: REDIS_HOST, concurrency: 'many' }, 'spec.metadata.concurrency'],
      [{ redisHost: REDIS_HOST, maxLenApprox: '-1' }, 'spec.metadata.maxLenApprox'],
      [{ redisHost: REDIS_HOST, maxRetries: '-2' }, 'spec.metadata.maxRetries'],
      [{ redisHost: REDIS_HOST, consumerID: '{podName}' }, 'spec.metadata.consumerID'],
      [{ redisHost: REDIS_HOST, failover: 'true', sentinelMasterName: 'm' }, 'spec.metadata.failover'],
      [{ redisHost: REDIS_HOST, redisType: 'cluster' }, 'spec.metadata.redisType'],
    ] as const) {
      await assert.rejects(createRedisPubSub(spec('pubsub.redis', md), ctx()), configError(field), JSON.stringify(md));
    }
  });

  test('an unreachable Redis fails start-up naming the file and the address, never the password', async () => {
    const err = await createRedisPubSub(spec('pubsub.redis', { redisHost: '127.0.0.1:1', redisPassword: 'hunter2-secret', dialTimeout: '500ms' }), ctx()).then(
      () => assert.fail('connected'),
      (e: Error) => e,
    );
    assert.match(err.message, /^test\/c\.yaml: cannot connect to Redis at 127\.0\.0\.1:1/);
    assert.ok(!err.message.includes('hunter2-secret'));
  });

  test('features: none, as contrib declares', async () => {
    const p = await open();
    assert.deepEqual(p.features, []);
    await p.close();
  });
});

describe('pubsub.redis: entry helpers', () => {
  test('entryFields / decodeEntry round-trip; null metadata (a nil Go map) is empty', () => {
    const d = decodeEntry(entryFields(new Uint8Array([1, 2]), { k: 'v' }));
    assert.deepEqual([[...d.data], d.metadata, d.metadataProblem], [[1, 2], { k: 'v' }, undefined]);
    assert.deepEqual(decodeEntry([Buffer.from('metadata'), Buffer.from('null')]).metadata, {});
    assert.match(decodeEntry([Buffer.from('metadata'), Buffer.from('{"n":1}')]).metadataProblem ?? '', /not a string/);
  });

  test('nextStreamId', () => {
    assert.equal(nextStreamId('1700000000000-4'), '1700000000000-5');
    assert.equal(nextStreamId('5-18446744073709551615'), '6-0');
  });
});
