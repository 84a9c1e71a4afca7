// The bulk handler between a component and a fake app channel: one call per batch, each
// entry's result handed back to the component, DROP and exhausted retries dead-lettered,
// bad subscription metadata, closing, the gRPC v1 → alpha fallback remembered; and the unary
// gRPC call reading a 404 without grpc-status as UNIMPLEMENTED (the gRPC spec's mapping).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { AppChannel, AppRequest } from '../../../src/appchannel/channel.js';
import { grpcUnary, type UnaryCall } from '../../../src/appchannel/grpc-unary.js';
import { sessionSource } from '../../../src/appchannel/h2-session.js';
import type { PubSubMessage } from '../../../src/components/types.js';
import { envelopeBytes } from '../../../src/core/pubsub-cloudevents.js';
import {
  TopicEventBulkRequestSchema,
  TopicEventBulkResponseSchema,
  TopicEventResponse_TopicEventResponseStatus as Status,
} from '../../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import type { Logger } from '../../../src/observability/logger.js';
import { ON_BULK_TOPIC_EVENT, ON_BULK_TOPIC_EVENT_ALPHA1 } from '../../../src/pubsub/bulk-delivery.js';
import { createBulkHandler, type BulkDeps } from '../../../src/pubsub/bulk-subscriber.js';
import { buildRules, type Subscription } from '../../../src/pubsub/subscription.js';

const lines: string[] = [];
const log = Object.fromEntries(['debug', 'info', 'warn', 'error'].map((l) => [l, (m: string) => void lines.push(`${l}: ${m}`)])) as unknown as Logger;

const sub = (over: Partial<Subscription> = {}): Subscription => ({
  pubsubName: 'ps', topic: 'orders', metadata: {}, rules: buildRules([], '/orders', undefined), deadLetterTopic: '', kind: 'programmatic',
  source: 'test', bulkSubscribe: { maxMessagesCount: 3, maxAwaitDurationMs: 60_000 }, ...over,
});
const message = (n: string, lastAttempt = false): PubSubMessage => ({
  topic: 'orders', metadata: {}, attempt: lastAttempt ? 4 : 1, lastAttempt,
  data: envelopeBytes({ source: 'app', topic: 'orders', pubsubName: 'ps', dataContentType: 'application/json', data: Buffer.from(JSON.stringify({ n })), trace: { traceParent: '', traceState: '' } }, {}, Date.now()),
});

interface Harness {
  deps: BulkDeps;
  requests: AppRequest[];
  unaryCalls: UnaryCall[];
  deadLettered: string[];
}

/** Deps recording dead-letters; `app` is an HTTP app that is never called unless a test replaces it. */
function harness(dlq: boolean): Harness {
  const h: Harness = { requests: [], unaryCalls: [], deadLettered: [], deps: undefined as unknown as BulkDeps };
  const unused = { protocol: 'http', close: () => {}, invoke: async () => assert.fail('the app was called') } as unknown as AppChannel;
  h.deps = {
    log,
    app: async () => ({ channel: unused, token: 'app-token', tokenHeader: 'dapr-api-token' }),
    deadLetter: async (_s, msg) => {
      if (!dlq) return false;
      h.deadLettered.push(String((JSON.parse(Buffer.from(msg.data).toString()) as { data: { n: string } }).data.n));
      return true;
    },
    ingress: () => {},
    cancel: new AbortController().signal,
    grpc: { v1Unimplemented: false },
  };
  return h;
}

/** An HTTP app answering each entry by its event's `n`: ok / retry / drop / (anything else: no status). */
function httpApp(h: Harness): Pick<AppChannel, 'invoke'> {
  return {
    invoke: async (req) => {
      h.requests.push(req);
      const body = JSON.parse(Buffer.from(req.body).toString()) as { entries: Array<{ entryId: string; event: { data: { n: string } } }> };
      const statuses = body.entries.flatMap((e) => {
        const n = e.event.data.n;
        return n === 'ok' ? [{ entryId: e.entryId, status: 'SUCCESS' }] : n === 'retry' ? [{ entryId: e.entryId, status: 'RETRY' }] : n === 'drop' ? [{ entryId: e.entryId, status: 'DROP' }] : [];
      });
      return { status: 200, headers: [], body: Buffer.from(JSON.stringify({ statuses })) };
    },
  };
}

describe('the bulk handler', () => {
  test('one call for a full batch; each message gets its own result; DROP is dead-lettered', async () => {
    const h = harness(true);
    const channel = { protocol: 'http' as const, close: () => {}, ...httpApp(h) } as AppChannel;
    const b = createBulkHandler(sub(), { maxMessagesCount: 3, maxAwaitDurationMs: 60_000 }, { ...h.deps, app: async () => ({ channel, token: 'app-token', tokenHeader: 'dapr-api-token' }) });
    const results = await Promise.all(['ok', 'retry', 'drop'].map((n) => b.handler(message(n))));
    assert.deepEqual(results, ['success', 'retry', 'drop']);
    assert.equal(h.requests.length, 1);
    const req = h.requests[0]!;
    assert.deepEqual([req.verb, req.method], ['POST', 'orders']);
    assert.deepEqual(req.headers, [['content-type', 'application/json'], ['pubsubname', 'ps'], ['dapr-api-token', 'app-token']]);
    assert.deepEqual(h.deadLettered, ['drop']);
    b.close();
  });

  test('the last attempt of a retried entry goes to the dead-letter topic, or is dropped with an error line', async () => {
    for (const dlq of [true, false]) {
      const h = harness(dlq);
      const channel = { protocol: 'http' as const, close: () => {}, ...httpApp(h) } as AppChannel;
      const b = createBulkHandler(sub({ deadLetterTopic: dlq ? 'dead' : '' }), { maxMessagesCount: 2, maxAwaitDurationMs: 60_000 }, { ...h.deps, app: async () => ({ channel, token: undefined, tokenHeader: 'dapr-api-token' }) });
      lines.length = 0;
      const results = await Promise.all([b.handler(message('retry', true)), b.handler(message('silent', false))]);
      assert.deepEqual(results, [dlq ? 'drop' : 'retry', 'retry']);
      assert.deepEqual(h.deadLettered, dlq ? ['retry'] : []);
      if (!dlq) assert.ok(lines.some((l) => /^error: .*retries exhausted/.test(l)), lines.join('\n'));
      assert.ok(!h.requests[0]!.headers.some(([k]) => k === 'dapr-api-token'), 'no app token configured: none sent');
    }
  });

  test('unreadable rawPayload metadata: no app call, every message dead-lettered (or retried)', async () => {
    const h = harness(true);
    const b = createBulkHandler(sub({ metadata: { rawPayload: 'maybe' } }), { maxMessagesCount: 2, maxAwaitDurationMs: 60_000 }, h.deps);
    assert.deepEqual(await Promise.all([b.handler(message('a')), b.handler(message('b'))]), ['drop', 'drop']);
    assert.deepEqual(h.deadLettered, ['a', 'b']);
  });

  test('close() hands back the messages still gathering as retry, and later ones too', async () => {
    const h = harness(false);
    const b = createBulkHandler(sub(), { maxMessagesCount: 10, maxAwaitDurationMs: 60_000 }, h.deps);
    const pending = b.handler(message('ok'));
    b.close();
    assert.equal(await pending, 'retry');
    assert.equal(await b.handler(message('ok')), 'retry');
  });

  test('gRPC: OnBulkTopicEvent UNIMPLEMENTED → OnBulkTopicEventAlpha1, remembered for the next batches', async () => {
    const h = harness(false);
    const unary = async (call: UnaryCall) => {
      h.unaryCalls.push(call);
      if (call.path === ON_BULK_TOPIC_EVENT) return { code: 12, statusMessage: 'unknown method', headers: [], trailers: [] };
      const req = fromBinary(TopicEventBulkRequestSchema, call.message);
      const statuses = req.entries.map((e) => ({ entryId: e.entryId, status: Status.SUCCESS }));
      return { code: 0, statusMessage: '', message: toBinary(TopicEventBulkResponseSchema, create(TopicEventBulkResponseSchema, { statuses })), headers: [], trailers: [] };
    };
    const channel = { protocol: 'grpc' as const, close: () => {}, invoke: async () => { throw new Error('unused'); }, unary } as AppChannel;
    const b = createBulkHandler(sub(), { maxMessagesCount: 1, maxAwaitDurationMs: 60_000 }, { ...h.deps, app: async () => ({ channel, token: 'app-token', tokenHeader: 'dapr-api-token' }) });
    assert.equal(await b.handler(message('ok')), 'success');
    assert.equal(await b.handler(message('ok')), 'success');
    assert.deepEqual(h.unaryCalls.map((c) => c.path), [ON_BULK_TOPIC_EVENT, ON_BULK_TOPIC_EVENT_ALPHA1, ON_BULK_TOPIC_EVENT_ALPHA1]);
    assert.deepEqual(h.unaryCalls[0]!.metadata, [['pubsubname', 'ps'], ['dapr-api-token', 'app-token']]);
    const req = fromBinary(TopicEventBulkRequestSchema, h.unaryCalls[1]!.message);
    assert.deepEqual([req.path, req.topic, req.pubsubName, req.type, req.entries.length], ['/orders', 'orders', 'ps', 'com.dapr.event.sent.bulk', 1]);
  });
});

describe('unary gRPC call', () => {
  test('a 404 without grpc-status reads as UNIMPLEMENTED (the gRPC spec\'s HTTP mapping)', async () => {
    const server = http2.createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const sessions = sessionSource('127.0.0.1', (server.address() as AddressInfo).port);
    try {
      const r = await grpcUnary(sessions, 1 << 20, { path: ON_BULK_TOPIC_EVENT, message: new Uint8Array(), metadata: [] });
      assert.equal(r.code, 12);
    } finally {
      sessions.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
