// The pure parts of bulk subscribe: reading the bulkSubscribe options (programmatic and
// declarative), preparing and grouping entries, the exact request bytes (HTTP body, gRPC
// message), what each answer means per entry, the batcher's limits, and the in-memory
// component handing over several messages at once for a bulk subscription.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ListTopicSubscriptionsResponseSchema,
  TopicEventBulkRequestSchema,
  TopicEventBulkResponseSchema,
  TopicEventResponse_TopicEventResponseStatus as Status,
} from '../../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import type { PubSubMessage } from '../../../src/components/types.js';
import { InMemoryPubSub } from '../../../src/components/pubsub-in-memory.js';
import { envelopeBytes } from '../../../src/core/pubsub-cloudevents.js';
import { Batcher } from '../../../src/pubsub/bulk-batcher.js';
import { bulkGrpcRequest, bulkHttpBody, groupByPath, prepareEntry, type BulkEntry } from '../../../src/pubsub/bulk-request.js';
import { grpcBulkOutcome, httpBulkOutcome } from '../../../src/pubsub/bulk-response.js';
import { declarativeSubscriptions } from '../../../src/pubsub/declarative.js';
import { loadMatchEngine } from '../../../src/pubsub/match.js';
import { parseGrpcSubscriptions, parseHttpSubscriptions } from '../../../src/pubsub/programmatic.js';
import { buildRules, bulkSettings, type Subscription } from '../../../src/pubsub/subscription.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bulkSubscribe options', () => {
  test('enabled only when enabled is true; unset or non-positive limits take daprd defaults', () => {
    assert.equal(bulkSettings(undefined), undefined);
    assert.equal(bulkSettings({ enabled: false, maxMessagesCount: 5 }), undefined);
    assert.deepEqual(bulkSettings({ enabled: true }), { maxMessagesCount: 100, maxAwaitDurationMs: 1000 });
    assert.deepEqual(bulkSettings({ enabled: true, maxMessagesCount: 0, maxAwaitDurationMs: -5 }), { maxMessagesCount: 100, maxAwaitDurationMs: 1000 });
    assert.deepEqual(bulkSettings({ enabled: true, maxMessagesCount: 7, maxAwaitDurationMs: 250 }), { maxMessagesCount: 7, maxAwaitDurationMs: 250 });
  });

  test('GET /dapr/subscribe: bulkSubscribe read per entry; a bad limit is reported and defaulted', () => {
    const body = Buffer.from(JSON.stringify([
      { pubsubname: 'ps', topic: 'a', route: '/a', bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 40 } },
      { pubsubname: 'ps', topic: 'b', route: '/b', bulkSubscribe: { enabled: true, maxMessagesCount: '10' } },
      { pubsubname: 'ps', topic: 'c', route: '/c', bulkSubscribe: { enabled: false } },
      { pubsubname: 'ps', topic: 'd', route: '/d' },
    ]));
    const p = parseHttpSubscriptions(body);
    assert.deepEqual(p.subscriptions.map((s) => [s.topic, s.bulkSubscribe]), [
      ['a', { maxMessagesCount: 10, maxAwaitDurationMs: 40 }],
      ['b', { maxMessagesCount: 100, maxAwaitDurationMs: 1000 }],
      ['c', undefined],
      ['d', undefined],
    ]);
    assert.equal(p.problems.length, 1);
    assert.match(p.problems[0]!, /topic "b": bulkSubscribe\.maxMessagesCount is not a whole number/);
  });

  test('ListTopicSubscriptions: the proto BulkSubscribeConfig', () => {
    const msg = toBinary(ListTopicSubscriptionsResponseSchema, create(ListTopicSubscriptionsResponseSchema, {
      subscriptions: [
        { pubsubName: 'ps', topic: 'a', routes: { default: '/a' }, bulkSubscribe: { enabled: true, maxMessagesCount: 3 } },
        { pubsubName: 'ps', topic: 'b', routes: { default: '/b' } },
      ],
    }));
    assert.deepEqual(parseGrpcSubscriptions(msg).subscriptions.map((s) => s.bulkSubscribe), [{ maxMessagesCount: 3, maxAwaitDurationMs: 1000 }, undefined]);
  });

  test('declarative Subscription (v2alpha1 and v1alpha1) with spec.bulkSubscribe', () => {
    const doc = (value: unknown) => ({ kind: 'Subscription', name: 'x', source: 'subs.yaml', doc: { source: 'subs.yaml', value, lineOf: () => 1 } });
    const r = declarativeSubscriptions([
      doc({ apiVersion: 'dapr.io/v2alpha1', kind: 'Subscription', metadata: { name: 's2' }, spec: { pubsubname: 'ps', topic: 't2', routes: { default: '/t2' }, bulkSubscribe: { enabled: true, maxMessagesCount: 5, maxAwaitDurationMs: 20 } } }),
      doc({ apiVersion: 'dapr.io/v1alpha1', kind: 'Subscription', metadata: { name: 's1' }, spec: { pubsubname: 'ps', topic: 't1', route: '/t1', bulkSubscribe: { enabled: true } } }),
      doc({ apiVersion: 'dapr.io/v2alpha1', kind: 'Subscription', metadata: { name: 'bad' }, spec: { pubsubname: 'ps', topic: 't3', routes: { default: '/t3' }, bulkSubscribe: { enabled: true, maxMessagesCount: 'many' } } }),
    ], 'app');
    assert.deepEqual(r.subscriptions.map((s) => [s.topic, s.bulkSubscribe]), [
      ['t2', { maxMessagesCount: 5, maxAwaitDurationMs: 20 }],
      ['t1', { maxMessagesCount: 100, maxAwaitDurationMs: 1000 }],
    ]);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!, /bulkSubscribe\.maxMessagesCount/);
  });
});

const sub = (over: Partial<Subscription> = {}, rules = buildRules([], '/default', undefined)): Subscription => ({
  pubsubName: 'ps', topic: 'orders', metadata: {}, rules, deadLetterTopic: '', kind: 'programmatic', source: 'test',
  bulkSubscribe: { maxMessagesCount: 10, maxAwaitDurationMs: 1000 }, ...over,
});
const trace = { traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', traceState: '' };
const published = (data: string, contentType = 'application/json', md: Record<string, string> = {}): PubSubMessage => ({
  topic: 'orders', metadata: md, attempt: 1, lastAttempt: false,
  data: envelopeBytes({ source: 'app', topic: 'orders', pubsubName: 'ps', dataContentType: contentType, data: Buffer.from(data), trace }, md, Date.UTC(2026, 0, 2)),
});
const rawMessage = (data: string): PubSubMessage => ({ topic: 'orders', metadata: { traceparent: 'tp' }, attempt: 1, lastAttempt: false, data: Buffer.from(data) });

describe('preparing and grouping entries', () => {
  test('a CloudEvent is routed by the rules; expired and unroutable entries are skipped; bad JSON is invalid', async () => {
    await loadMatchEngine();
    const s = sub({}, buildRules([{ match: 'event.data.kind == "big"', path: '/big' }], undefined, undefined));
    const big = prepareEntry(published('{"kind":"big"}'), s, false, 'e1', Date.now());
    assert.equal(big.kind, 'deliver');
    assert.equal(big.kind === 'deliver' && big.entry.path, '/big');
    assert.deepEqual(prepareEntry(published('{"kind":"small"}'), s, false, 'e2', Date.now()).kind, 'skip');
    const expired = published('{"kind":"big"}', 'application/json', { ttlInSeconds: '1' });
    const ce = JSON.parse(Buffer.from(expired.data).toString()) as Record<string, unknown>;
    ce.expiration = '2000-01-01T00:00:00Z';
    const e = prepareEntry({ ...expired, data: Buffer.from(JSON.stringify(ce)) }, s, false, 'e3', Date.now());
    assert.deepEqual(e.kind === 'skip' && e.reason, 'expired');
    const bad = prepareEntry({ ...expired, data: Buffer.from('{oops') }, s, false, 'e4', Date.now());
    assert.equal(bad.kind, 'invalid');
  });

  test('a raw payload is routed with the payload as a string (a field rule cannot evaluate: invalid)', async () => {
    await loadMatchEngine();
    const plain = prepareEntry(rawMessage('hello'), sub(), true, 'r1', Date.now());
    assert.deepEqual(plain.kind === 'deliver' && [plain.entry.path, plain.entry.cloudEvent], ['/default', undefined]);
    const ruled = sub({}, buildRules([{ match: 'event.type == "x"', path: '/x' }], '/default', undefined));
    assert.equal(prepareEntry(rawMessage('hello'), ruled, true, 'r2', Date.now()).kind, 'invalid');
  });

  test('groups keep the order of their first entry', () => {
    const e = (entryId: string, path: string): BulkEntry => ({ entryId, path, msg: rawMessage(entryId), cloudEvent: undefined });
    assert.deepEqual(groupByPath([e('1', '/b'), e('2', '/a'), e('3', '/b')]).map(([p, es]) => [p, es.map((x) => x.entryId)]), [['/b', ['1', '3']], ['/a', ['2']]]);
  });
});

describe('the request daprd sends', () => {
  test('HTTP body: sorted envelope keys, entry fields in struct order, the CloudEvent re-encoded Go-style', () => {
    const msg = published('{"z":1,"a":"<x>"}', 'application/json', { k: 'v' });
    const ce = JSON.parse(Buffer.from(msg.data).toString()) as Record<string, unknown>;
    const body = Buffer.from(bulkHttpBody({ id: 'req-1', pubsubName: 'ps', topic: 'orders', path: '/p', entries: [{ entryId: 'e1', msg, path: '/p', cloudEvent: ce }] })).toString();
    assert.ok(body.startsWith('{"entries":[{"entryId":"e1","event":{"data":{"a":"\\u003cx\\u003e","z":1},"datacontenttype":"application/json","id":'), body);
    assert.ok(body.endsWith('},"metadata":{"k":"v"},"contentType":"application/cloudevents+json"}],"id":"req-1","metadata":{"pubsubName":"ps"},"pubsubname":"ps","topic":"orders","type":"com.dapr.event.sent.bulk"}'), body);
    assert.deepEqual(Object.keys(JSON.parse(body) as object), ['entries', 'id', 'metadata', 'pubsubname', 'topic', 'type']);
  });

  test('HTTP body for a raw payload: base64 event, application/octet-stream', () => {
    const msg = rawMessage('hi there');
    const body = JSON.parse(Buffer.from(bulkHttpBody({ id: 'r', pubsubName: 'ps', topic: 'orders', path: '/p', entries: [{ entryId: 'e1', msg, path: '/p', cloudEvent: undefined }] })).toString()) as { entries: unknown[] };
    assert.deepEqual(body.entries, [{ entryId: 'e1', event: Buffer.from('hi there').toString('base64'), metadata: { traceparent: 'tp' }, contentType: 'application/octet-stream' }]);
  });

  test('gRPC TopicEventBulkRequest: cloud_event entries (raw: bytes), path, type, metadata', () => {
    const msg = published('{"n":1}');
    const ce = JSON.parse(Buffer.from(msg.data).toString()) as Record<string, unknown>;
    const req = fromBinary(TopicEventBulkRequestSchema, bulkGrpcRequest({
      id: 'g1', pubsubName: 'ps', topic: 'orders', path: '/p',
      entries: [{ entryId: 'e1', msg, path: '/p', cloudEvent: ce }, { entryId: 'e2', msg: rawMessage('raw!'), path: '/p', cloudEvent: undefined }],
    }));
    assert.deepEqual([req.id, req.topic, req.pubsubName, req.type, req.path, req.metadata], ['g1', 'orders', 'ps', 'com.dapr.event.sent.bulk', '/p', { pubsubName: 'ps' }]);
    const [a, b] = req.entries;
    assert.equal(a!.event.case, 'cloudEvent');
    if (a!.event.case === 'cloudEvent') {
      const c = a!.event.value;
      assert.deepEqual([c.id, c.source, c.type, c.specVersion, c.dataContentType, Buffer.from(c.data).toString()], [ce.id, 'app', 'com.dapr.event.sent', '1.0', 'application/json', '{"n":1}']);
      assert.equal(c.extensions?.topic, 'orders');
    }
    assert.deepEqual([b!.entryId, b!.event.case, Buffer.from(b!.event.value as Uint8Array).toString(), b!.contentType], ['e2', 'bytes', 'raw!', '']);
  });
});

describe('what the answer means per entry', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const results = (o: ReturnType<typeof httpBulkOutcome>) => ids.map((id) => [o.entries.get(id)?.result, o.entries.get(id)?.deadLetter]);

  test('HTTP 2xx: SUCCESS / RETRY / DROP (dead-lettered) / empty = retry / missing = retry; unknown ids reported', () => {
    const body = JSON.stringify({ statuses: [
      { entryId: 'a', status: 'SUCCESS' }, { entryId: 'b', status: 'RETRY' }, { entryId: 'c', status: 'DROP' }, { entryId: 'd', status: '' },
      { entryId: 'zzz', status: 'SUCCESS' },
    ] });
    const o = httpBulkOutcome(ids, 200, Buffer.from(body), 'orders');
    assert.deepEqual(results(o), [['success', false], ['retry', false], ['drop', true], ['retry', false], ['retry', false]]);
    assert.match(o.detail, /Invalid entry id .* zzz/);
    assert.equal(o.level, 'warn');
  });

  test('HTTP: unknown status retries; field names match case-insensitively as Go decodes them', () => {
    const o = httpBulkOutcome(['a', 'b'], 204, Buffer.from('{"Statuses":[{"EntryID":"a","status":"success"},{"entryId":"b","Status":"SUCCESS"}]}'), 't');
    assert.deepEqual([o.entries.get('a')?.result, o.entries.get('b')?.result], ['retry', 'success']);
  });

  test('HTTP: unreadable 2xx body, 5xx → all retried; 404 → all dropped without dead-lettering', () => {
    for (const [status, body] of [[200, ''], [200, 'not json'], [200, '{"statuses":{}}'], [500, 'boom'], [503, '']] as const) {
      assert.deepEqual(results(httpBulkOutcome(ids, status, Buffer.from(body), 't')).map((r) => r[0]), ids.map(() => 'retry'), `${status} ${body}`);
    }
    const o = httpBulkOutcome(ids, 404, Buffer.from('nope'), 't');
    assert.deepEqual(results(o), ids.map(() => ['drop', false]));
    assert.equal(o.level, 'error');
  });

  test('gRPC: statuses (unset = SUCCESS), UNIMPLEMENTED drops, other codes retry', () => {
    const msg = toBinary(TopicEventBulkResponseSchema, create(TopicEventBulkResponseSchema, { statuses: [
      { entryId: 'a' }, { entryId: 'b', status: Status.RETRY }, { entryId: 'c', status: Status.DROP }, { entryId: 'd', status: 7 as Status },
    ] }));
    assert.deepEqual(results(grpcBulkOutcome(ids, 0, '', msg)), [['success', false], ['retry', false], ['drop', true], ['retry', false], ['retry', false]]);
    assert.deepEqual(results(grpcBulkOutcome(ids, 12, 'unimplemented', undefined)).map((r) => r[0]), ids.map(() => 'drop'));
    assert.deepEqual(results(grpcBulkOutcome(ids, 14, 'unavailable', undefined)).map((r) => r[0]), ids.map(() => 'retry'));
  });
});

describe('the batcher', () => {
  test('maxMessagesCount reached: delivered at once, long before maxAwaitDurationMs', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxMessagesCount: 3, maxAwaitDurationMs: 60_000 }, async (batch) => void batches.push(batch));
    for (const n of [1, 2, 3, 4]) b.add(n);
    await b.busy;
    assert.deepEqual(batches, [[1, 2, 3]]);
    assert.deepEqual(b.close(), [4]);
  });

  test('maxAwaitDurationMs after the first item: a partial batch goes out', async () => {
    const batches: number[][] = [];
    const b = new Batcher<number>({ maxMessagesCount: 100, maxAwaitDurationMs: 30 }, async (batch) => void batches.push(batch));
    b.add(1);
    b.add(2);
    assert.deepEqual(batches, []);
    for (let i = 0; i < 200 && batches.length === 0; i++) await sleep(10);
    assert.deepEqual(batches, [[1, 2]]);
    b.close();
  });

  test('one batch at a time; what arrives meanwhile forms the next (at most maxMessagesCount each)', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number>({ maxMessagesCount: 2, maxAwaitDurationMs: 60_000 }, async (batch) => {
      batches.push(batch);
      if (batches.length === 1) await gate;
    });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) b.add(n);
    assert.deepEqual(batches, [[1, 2]]);
    release();
    for (let i = 0; i < 100 && batches.length < 3; i++) await sleep(5);
    assert.deepEqual(batches, [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(b.close(), [7]);
  });
});

describe('pubsub.in-memory with maxInFlight', () => {
  test('hands over up to maxInFlight messages in publish order before any result; default stays one at a time', async () => {
    const p = new InMemoryPubSub({ maxRetries: 0, retryInitialIntervalMs: 1, retryMaxIntervalMs: 1 });
    const seen: string[] = [];
    const waiting: Array<() => void> = [];
    await p.subscribe('bulk', (m) => new Promise((resolve) => {
      seen.push(Buffer.from(m.data).toString());
      waiting.push(() => resolve('success'));
    }), {}, { maxInFlight: 3 });
    const one: string[] = [];
    await p.subscribe('single', async (m) => {
      one.push(Buffer.from(m.data).toString());
      await sleep(5);
      return 'success';
    });
    for (const n of ['1', '2', '3', '4']) {
      await p.publish('bulk', Buffer.from(n), {});
      await p.publish('single', Buffer.from(n), {});
    }
    assert.deepEqual(seen, ['1', '2', '3']);
    assert.deepEqual(one, ['1']);
    waiting.shift()!();
    for (let i = 0; i < 100 && seen.length < 4; i++) await sleep(2);
    assert.deepEqual(seen, ['1', '2', '3', '4']);
    for (const w of waiting.splice(0)) w();
    await p.close();
  });
});
