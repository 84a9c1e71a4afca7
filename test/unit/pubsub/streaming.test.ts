// The pure parts of streaming subscriptions (SubscribeTopicEventsAlpha1): the opening message
// read as daprd reads it, and the connection that matches the client's answers to the events
// it was sent (statuses as for a gRPC app, unset = SUCCESS; a closed stream = retry).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { TopicEventResponse_TopicEventResponseStatus as Status, type TopicEventRequest } from '../../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { SubscribeTopicEventsRequestAlpha1Schema } from '../../../src/gen/dapr/proto/runtime/v1/pubsub_pb.js';
import type { Delivery } from '../../../src/pubsub/delivery.js';
import { topicEventOutcome } from '../../../src/pubsub/delivery.js';
import { StreamConnection } from '../../../src/pubsub/streaming-connection.js';
import { StreamRequestError, streamingSubscription } from '../../../src/pubsub/streaming-request.js';

const initial = (value: { pubsubName?: string; topic?: string; metadata?: Record<string, string>; deadLetterTopic?: string }) =>
  create(SubscribeTopicEventsRequestAlpha1Schema, { subscribeTopicEventsRequestType: { case: 'initialRequest', value } });

describe('the opening message', () => {
  test('becomes a streaming subscription with the route "/", its metadata and dead-letter topic', () => {
    const sub = streamingSubscription(initial({ pubsubName: 'ps', topic: 'orders', metadata: { rawPayload: 'true' }, deadLetterTopic: 'dead' }), 7);
    assert.deepEqual(sub, {
      pubsubName: 'ps', topic: 'orders', metadata: { rawPayload: 'true' }, rules: [{ match: '', path: '/' }],
      deadLetterTopic: 'dead', kind: 'streaming', source: 'stream 7', bulkSubscribe: undefined,
    });
    assert.equal(streamingSubscription(initial({ pubsubName: 'ps', topic: 't' }), 1).deadLetterTopic, '');
  });

  for (const [what, msg, error] of [
    ['an event-processed message', create(SubscribeTopicEventsRequestAlpha1Schema, { subscribeTopicEventsRequestType: { case: 'eventProcessed', value: { id: 'x' } } }), 'initial request is required'],
    ['an empty message', create(SubscribeTopicEventsRequestAlpha1Schema), 'initial request is required'],
    ['no pubsub name', initial({ topic: 't' }), 'pubsubName is required'],
    ['no topic', initial({ pubsubName: 'ps' }), 'topic is required'],
  ] as const) {
    test(`${what} is refused with daprd's message`, () => {
      assert.throws(() => streamingSubscription(msg, 1), (err: unknown) => err instanceof StreamRequestError && err.message === error);
    });
  }
});

test('TopicEventResponse statuses: SUCCESS/unset, RETRY, DROP, unknown = retry', () => {
  assert.equal(topicEventOutcome(Status.SUCCESS, 'e').result, 'success');
  assert.equal(topicEventOutcome(Status.RETRY, 'e').result, 'retry');
  assert.equal(topicEventOutcome(Status.DROP, 'e').result, 'drop');
  const unknown = topicEventOutcome(9, 'e');
  assert.equal(unknown.result, 'retry');
  assert.match(unknown.detail, /unknown status returned from app while processing pub\/sub event e, status: 9/);
});

describe('a stream connection', () => {
  const delivery = (id: string): Delivery => ({
    pubsubName: 'ps', topic: 'orders', route: '/', body: new Uint8Array(),
    cloudEvent: { id, source: 'app', type: 'com.dapr.event.sent', specversion: '1.0', datacontenttype: 'application/json', data: { n: 1 }, topic: 'orders', pubsubname: 'ps' },
    metadata: { 'dapr-api-token': 'never-sent' },
  });
  const recorder = () => {
    const sent: TopicEventRequest[] = [];
    return { sent, send: async (e: TopicEventRequest) => void sent.push(e) };
  };
  const tick = () => new Promise((r) => setImmediate(r));

  test('sends nothing before open(), then the TopicEventRequest a gRPC app would get', async () => {
    const r = recorder();
    const conn = new StreamConnection(r.send);
    const result = conn.deliver(delivery('a'));
    await tick();
    assert.equal(r.sent.length, 0);
    conn.open();
    await tick();
    assert.equal(r.sent.length, 1);
    const e = r.sent[0]!;
    assert.deepEqual([e.id, e.topic, e.pubsubName, e.path, e.type, e.specVersion, e.dataContentType, Buffer.from(e.data).toString()], ['a', 'orders', 'ps', '/', 'com.dapr.event.sent', '1.0', 'application/json', '{"n":1}']);
    assert.ok(!JSON.stringify(e.extensions).includes('never-sent'));
    assert.equal(conn.inFlight, 1);
    assert.equal(conn.processed({ id: 'a' }), true); // no status: SUCCESS
    assert.equal((await result).result, 'success');
    assert.equal(conn.inFlight, 0);
  });

  test('answers are matched by id, in any order; an unknown id is reported', async () => {
    const r = recorder();
    const conn = new StreamConnection(r.send);
    conn.open();
    const a = conn.deliver(delivery('a'));
    const b = conn.deliver(delivery('b'));
    await tick();
    assert.equal(conn.processed({ id: 'zzz', status: { status: Status.SUCCESS } }), false);
    assert.equal(conn.processed({ id: 'b', status: { status: Status.DROP } }), true);
    assert.equal(conn.processed({ id: 'a', status: { status: Status.RETRY } }), true);
    assert.deepEqual([(await a).result, (await b).result], ['retry', 'drop']);
    assert.equal(conn.processed({ id: 'a' }), false); // answered once only
  });

  test('two events with the same id in flight are answered in the order sent', async () => {
    const conn = new StreamConnection(recorder().send);
    conn.open();
    const first = conn.deliver(delivery('same'));
    const second = conn.deliver(delivery('same'));
    await tick();
    conn.processed({ id: 'same', status: { status: Status.DROP } });
    conn.processed({ id: 'same', status: { status: Status.SUCCESS } });
    assert.deepEqual([(await first).result, (await second).result], ['drop', 'success']);
  });

  test('closing turns events waiting for an answer, and later ones, into retries', async () => {
    const conn = new StreamConnection(recorder().send);
    const notOpened = conn.deliver(delivery('early'));
    conn.open();
    const waiting = conn.deliver(delivery('w'));
    await tick();
    conn.close();
    for (const o of [await notOpened, await waiting, await conn.deliver(delivery('late'))]) {
      assert.equal(o.result, 'retry');
      assert.match(o.detail, /stream closed/);
    }
    assert.equal(conn.inFlight, 0);
  });

  test('a stream that cannot be written to is a retry; so is the manager cancelling', async () => {
    const broken = new StreamConnection(async () => {
      throw new Error('call ended');
    });
    broken.open();
    const o = await broken.deliver(delivery('x'));
    assert.equal(o.result, 'retry');
    assert.match(o.detail, /call ended/);
    const conn = new StreamConnection(recorder().send);
    conn.open();
    const ac = new AbortController();
    const p = conn.deliver(delivery('y'), ac.signal);
    await tick();
    ac.abort();
    assert.equal((await p).result, 'retry');
    assert.equal(conn.inFlight, 0);
  });
});
