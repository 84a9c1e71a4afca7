// Bulk subscribe to a plain node:http app that records exactly what arrives: the
// BulkSubscribeRequest body and headers daprd sends (app token set, API token never), the
// per-entry statuses (RETRY and a missing status are redelivered, DROP goes to the dead-letter
// topic, SUCCESS is done), a 404 / 5xx for the whole call, the batch limits (maxMessagesCount
// reached: delivered at once), routing rules splitting a batch per route, rawPayload entries,
// a declarative Subscription, and pubsub.redis as well as pubsub.in-memory.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { headerValues, startHttpApp, type RecordingApp, type Seen } from '../helpers/apps.js';
import { httpRaw, metricValue, scrapeMetrics, sleep, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';

const RUN = randomBytes(4).toString('hex');
const TOKEN = `bulk-api-token-${RUN}`;
const APP_TOKEN = `bulk-app-token-${RUN}`;
const APP_ID = `bulk-http-${RUN}`;
const REDIS_TOPIC = `rbulk-${RUN}`;
const FAR = 120_000; // a maxAwaitDurationMs no test waits for: a delivery then proves the count limit

const bulk = (maxMessagesCount: number, maxAwaitDurationMs = FAR) => ({ enabled: true, maxMessagesCount, maxAwaitDurationMs });
const SUBSCRIPTIONS = [
  { pubsubname: 'pubsub', topic: 'count', route: '/count', bulkSubscribe: bulk(3) },
  { pubsubname: 'pubsub', topic: 'statuses', route: '/statuses', deadLetterTopic: 'dead', bulkSubscribe: bulk(4, 300) },
  { pubsubname: 'pubsub', topic: 'dead', route: '/dead' },
  { pubsubname: 'pubsub', topic: 'routed', routes: { rules: [{ match: 'event.data.kind == "a"', path: '/ra' }], default: '/rb' }, bulkSubscribe: bulk(4) },
  { pubsubname: 'pubsub', topic: 'raw', route: '/raw', metadata: { rawPayload: 'true' }, bulkSubscribe: bulk(2) },
  { pubsubname: 'pubsub', topic: 'fail', route: '/fail', bulkSubscribe: bulk(2) },
  { pubsubname: 'pubsub', topic: 'gone', route: '/gone', deadLetterTopic: 'dead', bulkSubscribe: bulk(2) },
  { pubsubname: 'pubsub', topic: 'timer', route: '/timer', bulkSubscribe: bulk(100, 200) },
  { pubsubname: 'redis', topic: REDIS_TOPIC, route: '/redis', bulkSubscribe: bulk(3, 300) },
];

interface Entry {
  entryId: string;
  event: unknown;
  metadata: Record<string, string>;
  contentType?: string;
}
interface BulkBody {
  entries: Entry[];
  id: string;
  metadata: Record<string, string>;
  pubsubname: string;
  topic: string;
  type: string;
}
type CE = Record<string, unknown> & { id: string; data: Record<string, unknown> };

let app: RecordingApp;
let sc: Sidecar;
const admin = new Redis(6379, '127.0.0.1', { lazyConnect: true });
const firstSeen = new Map<string, number>(); // CloudEvent id → times delivered
let failedOnce = false;

const calls = (path: string): Seen[] => app.seen.filter((s) => s.method === 'POST' && s.url === path);
const bodyOf = (s: Seen): BulkBody => JSON.parse(s.body.toString('utf8')) as BulkBody;
const entriesOf = (path: string): Entry[] => calls(path).flatMap((s) => bodyOf(s).entries);
const ceOf = (e: Entry): CE => e.event as CE;


/** One bulk publish: every event reaches the broker at once, so a batch fills deterministically. */
async function publishMany(pubsub: string, topic: string, events: unknown[], query = ''): Promise<void> {
  const r = await httpRaw({
    port: sc.httpPort, method: 'POST', path: `/v1.0-alpha1/publish/bulk/${pubsub}/${topic}${query}`,
    headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify(events.map((event, i) => ({ entryId: String(i), event, contentType: 'application/json' }))),
  });
  assert.equal(r.status, 204, r.text);
}

/** The app's answer to a bulk call on /statuses (and /redis): per entry, by the event's data. */
function statusesAnswer(s: Seen): string {
  const statuses: Array<{ entryId: string; status: string }> = [];
  for (const e of bodyOf(s).entries) {
    const ce = ceOf(e);
    const nth = (firstSeen.get(ce.id) ?? 0) + 1;
    firstSeen.set(ce.id, nth);
    const n = ce.data.n;
    if (n === 'retry') statuses.push({ entryId: e.entryId, status: nth === 1 ? 'RETRY' : 'SUCCESS' });
    else if (n === 'drop') statuses.push({ entryId: e.entryId, status: 'DROP' });
    else if (n === 'missing' && nth === 1) continue; // no status at all: retried
    else statuses.push({ entryId: e.entryId, status: 'SUCCESS' });
  }
  return JSON.stringify({ statuses });
}

const allSuccess = (s: Seen): string => JSON.stringify({ statuses: bodyOf(s).entries.map((e) => ({ entryId: e.entryId, status: 'SUCCESS' })) });

before(async () => {
  app = await startHttpApp();
  app.answer = (s) => {
    if (s.method === 'GET' && s.url === '/dapr/subscribe') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(SUBSCRIPTIONS) };
    if (s.method === 'GET') return { status: 404 };
    const json = { 'content-type': 'application/json' };
    switch (s.url) {
      case '/statuses':
      case '/redis':
        return { status: 200, headers: json, body: statusesAnswer(s) };
      case '/fail':
        if (!failedOnce) {
          failedOnce = true;
          return { status: 500, body: 'try later' };
        }
        return { status: 200, headers: json, body: allSuccess(s) };
      case '/gone':
        return { status: 404, body: 'no such route' };
      case '/dead':
        return { status: 200 };
      default:
        return { status: 200, headers: json, body: allSuccess(s) };
    }
  };
  const dir = tempDir('pillion-bulk-res-');
  writeFileSync(join(dir, 'components.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
  metadata:
  - name: maxRetries
    value: "3"
  - name: retryInitialInterval
    value: 20ms
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: redis
spec:
  type: pubsub.redis
  version: v1
  metadata:
  - name: redisHost
    value: "127.0.0.1:6379"
  - name: processingTimeout
    value: "500"
  - name: redeliverInterval
    value: 200ms
  - name: concurrency
    value: "10"
`);
  writeFileSync(join(dir, 'subscription.yaml'), `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: decl-bulk
spec:
  pubsubname: pubsub
  topic: decl
  routes:
    default: /decl
  bulkSubscribe:
    enabled: true
    maxMessagesCount: 2
    maxAwaitDurationMs: ${FAR}
scopes:
- ${APP_ID}
`);
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, resourcesPaths: [dir], args: ['--app-port', String(app.port)] });
  await waitFor(() => /Subscribed to topic decl /.test(sc.output) && new RegExp(`Subscribed to topic ${REDIS_TOPIC} `).test(sc.output), 'the subscriptions');
});

after(async () => {
  await stopAll();
  await app.close();
  await admin.connect().then(() => admin.del(REDIS_TOPIC)).catch(() => {});
  admin.disconnect();
});

describe('bulk delivery to an HTTP app', () => {
  test('maxMessagesCount reached: ONE call with every entry, in daprd\'s exact shape; app token set, API token never', async () => {
    await publishMany('pubsub', 'count', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const s = await waitFor(() => calls('/count')[0], 'the bulk call (long before maxAwaitDurationMs)');
    assert.equal(calls('/count').length, 1);
    assert.deepEqual(headerValues(s.rawHeaders, 'content-type'), ['application/json']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
    assert.deepEqual(headerValues(s.rawHeaders, 'pubsubname'), ['pubsub']);
    assert.ok(!s.rawHeaders.join('\n').includes(TOKEN), 'the API token reached the app');
    const body = bodyOf(s);
    assert.deepEqual(Object.keys(body), ['entries', 'id', 'metadata', 'pubsubname', 'topic', 'type']);
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual([body.metadata, body.pubsubname, body.topic, body.type], [{ pubsubName: 'pubsub' }, 'pubsub', 'count', 'com.dapr.event.sent.bulk']);
    assert.equal(body.entries.length, 3);
    for (const e of body.entries) {
      assert.deepEqual(Object.keys(e), ['entryId', 'event', 'metadata', 'contentType']);
      assert.match(e.entryId, /^[0-9a-f-]{36}$/);
      assert.equal(e.contentType, 'application/cloudevents+json');
      const ce = ceOf(e);
      assert.deepEqual([ce.source, ce.topic, ce.pubsubname, ce.type, ce.specversion, ce.datacontenttype], [APP_ID, 'count', 'pubsub', 'com.dapr.event.sent', '1.0', 'application/json']);
    }
    assert.deepEqual(body.entries.map((e) => ceOf(e).data.n).sort(), [1, 2, 3]);
    assert.equal(new Set(body.entries.map((e) => e.entryId)).size, 3);
    const m = await scrapeMetrics(sc);
    assert.equal(metricValue(m, 'dapr_component_pubsub_ingress_count', { component: 'pubsub', topic: 'count', process_status: 'success' }), 3);
  });

  test('per-entry statuses: SUCCESS done, RETRY and a missing status redelivered (new entryId), DROP dead-lettered', async () => {
    await publishMany('pubsub', 'statuses', [{ n: 'ok' }, { n: 'retry' }, { n: 'drop' }, { n: 'missing' }]);
    const first = await waitFor(() => calls('/statuses')[0], 'the first bulk call');
    assert.equal(bodyOf(first).entries.length, 4);
    const byN = (n: string) => entriesOf('/statuses').filter((e) => ceOf(e).data.n === n);
    await waitFor(() => byN('retry').length >= 2 && byN('missing').length >= 2, 'the redeliveries');
    const dead = await waitFor(() => calls('/dead')[0], 'the dead-lettered DROP entry');
    assert.deepEqual((JSON.parse(dead.body.toString()) as CE).data, { n: 'drop' });
    for (const n of ['retry', 'missing']) {
      const [a, b] = byN(n);
      assert.equal(ceOf(a!).id, ceOf(b!).id, `${n}: the same event comes back`);
      assert.notEqual(a!.entryId, b!.entryId, `${n}: with a new entry id`);
    }
    await sleep(500); // retries use a 20 ms backoff: anything still to come would be here by now
    assert.deepEqual([byN('ok').length, byN('drop').length, byN('retry').length, byN('missing').length, calls('/dead').length], [1, 1, 2, 2, 1]);
  });

  test('routing rules split one batch into one call per route', async () => {
    await publishMany('pubsub', 'routed', [{ kind: 'a', i: 1 }, { kind: 'b', i: 2 }, { kind: 'a', i: 3 }, { kind: 'b', i: 4 }]);
    await waitFor(() => calls('/ra').length === 1 && calls('/rb').length === 1, 'both calls');
    assert.deepEqual(entriesOf('/ra').map((e) => ceOf(e).data.i), [1, 3]);
    assert.deepEqual(entriesOf('/rb').map((e) => ceOf(e).data.i), [2, 4]);
  });

  test('rawPayload: each entry is the message bytes in base64, application/octet-stream', async () => {
    await publishMany('pubsub', 'raw', [{ r: 1 }, { r: 2 }], '?metadata.rawPayload=true');
    const s = await waitFor(() => calls('/raw')[0], 'the raw bulk call');
    const entries = bodyOf(s).entries;
    assert.deepEqual(entries.map((e) => e.contentType), ['application/octet-stream', 'application/octet-stream']);
    assert.deepEqual(entries.map((e) => JSON.parse(Buffer.from(e.event as string, 'base64').toString()) as unknown).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [{ r: 1 }, { r: 2 }]);
    assert.equal(entries[0]!.metadata.rawPayload, 'true');
  });

  test('a 5xx answer retries the whole batch; a 404 drops it (not redelivered, not dead-lettered)', async () => {
    await publishMany('pubsub', 'fail', [{ f: 1 }, { f: 2 }]);
    await waitFor(() => calls('/fail').length >= 2, 'the redelivered batch');
    const [a, b] = calls('/fail').map((s) => bodyOf(s).entries.map((e) => ceOf(e).id).sort());
    assert.deepEqual(a, b);
    const deadBefore = calls('/dead').length;
    await publishMany('pubsub', 'gone', [{ g: 1 }, { g: 2 }]);
    await waitFor(() => calls('/gone')[0], 'the call answered 404');
    await sleep(500);
    assert.deepEqual([calls('/gone').length, calls('/dead').length], [1, deadBefore]);
  });

  test('maxAwaitDurationMs: fewer events than maxMessagesCount are delivered together once it passes', async () => {
    await publishMany('pubsub', 'timer', [{ t: 1 }, { t: 2 }]);
    const s = await waitFor(() => calls('/timer')[0], 'the partial batch');
    assert.equal(bodyOf(s).entries.length, 2);
  });

  test('a declarative Subscription with spec.bulkSubscribe', async () => {
    await publishMany('pubsub', 'decl', [{ d: 1 }, { d: 2 }]);
    const s = await waitFor(() => calls('/decl')[0], 'the declarative bulk call');
    assert.deepEqual(bodyOf(s).entries.map((e) => ceOf(e).data.d).sort(), [1, 2]);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
  });

  test('pubsub.redis: delivered in bulk; a RETRY entry stays pending and comes back; all acknowledged in the end', async () => {
    await publishMany('redis', REDIS_TOPIC, [{ n: 'ok', k: 1 }, { n: 'retry', k: 2 }, { n: 'ok', k: 3 }]);
    const byK = (k: number) => entriesOf('/redis').filter((e) => ceOf(e).data.k === k);
    await waitFor(() => byK(1).length > 0 && byK(3).length > 0 && byK(2).length >= 2, 'the deliveries and the redelivery');
    assert.equal(ceOf(byK(2)[0]!).id, ceOf(byK(2)[1]!).id);
    assert.notEqual(byK(2)[0]!.entryId, byK(2)[1]!.entryId);
    await admin.connect().catch(() => {});
    await waitFor(async () => ((await admin.xpending(REDIS_TOPIC, APP_ID)) as [number])[0] === 0, 'every entry acknowledged');
    assert.deepEqual([byK(1).length, byK(3).length], [1, 1]);
  });
});
