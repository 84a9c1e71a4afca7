// Streaming subscriptions (Dapr/SubscribeTopicEventsAlpha1) against the real sidecar, with a
// raw node:http2 client so the test sees the wire: the initial request and response, events
// published over HTTP and gRPC arriving as TopicEventRequest, SUCCESS / RETRY / DROP answers
// (RETRY redelivered, DROP dead-lettered), the subscription living exactly as long as its
// stream (metadata API, and a message published after the stream ended reaches nobody),
// daprd's refusals (unknown pubsub, empty topic, second initial request, scopes), the API
// token gate on the stream, two topics on two streams, pubsub.redis (an event left unanswered
// by a cancelled stream is redelivered to the next one) and the stream ending at shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { Redis } from 'ioredis';
import { TopicEventResponse_TopicEventResponseStatus as Status, type TopicEventRequest } from '../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import {
  PublishEventRequestSchema,
  SubscribeTopicEventsRequestAlpha1Schema,
  SubscribeTopicEventsResponseAlpha1Schema,
  type SubscribeTopicEventsResponseAlpha1,
} from '../../src/gen/dapr/proto/runtime/v1/pubsub_pb.js';
import type { ErrorInfo } from '../../src/gen/google/rpc/error_details_pb.js';
import { daprGrpcClient } from '../helpers/connect.js';
import { DAPR_SERVICE, decodeDetails, frame, grpcRaw, GrpcStatus } from '../helpers/grpc.js';
import { httpRaw, jsonOf, metricValue, scrapeMetrics, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';

const RUN = randomBytes(4).toString('hex');
const APP_ID = `streams-${RUN}`;
const TOKEN = `stream-token-${randomBytes(12).toString('hex')}`;
const PATH = '/dapr.proto.runtime.v1.Dapr/SubscribeTopicEventsAlpha1';

interface End {
  code: number | undefined;
  message: string;
  errorInfo?: ErrorInfo;
}

/** One SubscribeTopicEventsAlpha1 call on its own HTTP/2 connection. */
class SubscribeStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private readonly received: SubscribeTopicEventsResponseAlpha1[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  readonly ended: Promise<End>;

  constructor(port: number, token: string | undefined) {
    this.session = http2.connect(`http://127.0.0.1:${port}`);
    this.session.on('error', () => {});
    this.stream = this.session.request(
      { ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers', ...(token === undefined ? {} : { 'dapr-api-token': token }) },
      { endStream: false },
    );
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let buf = Buffer.alloc(0);
    this.stream.on('response', (h) => (headers = h));
    this.stream.on('trailers', (t) => (trailers = t));
    this.stream.on('error', () => {});
    this.stream.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
        const len = buf.readUInt32BE(1);
        this.received.push(fromBinary(SubscribeTopicEventsResponseAlpha1Schema, buf.subarray(5, 5 + len)));
        buf = buf.subarray(5 + len);
      }
      this.notify();
    });
    this.ended = new Promise((resolve) => {
      this.stream.on('close', () => {
        this.closed = true;
        this.notify();
        this.session.close();
        const pick = (name: string): string | undefined => {
          const v = trailers[name] ?? headers[name];
          return Array.isArray(v) ? v[0] : v;
        };
        const code = pick('grpc-status');
        resolve({ code: code === undefined ? undefined : Number(code), message: decodeURIComponent(pick('grpc-message') ?? ''), errorInfo: decodeDetails(pick('grpc-status-details-bin')).errorInfo });
      });
    });
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  send(msg: MessageInitShape<typeof SubscribeTopicEventsRequestAlpha1Schema>): void {
    this.stream.write(frame(toBinary(SubscribeTopicEventsRequestAlpha1Schema, create(SubscribeTopicEventsRequestAlpha1Schema, msg))));
  }

  sendInitial(pubsubName: string, topic: string, more: { metadata?: Record<string, string>; deadLetterTopic?: string } = {}): void {
    this.send({ subscribeTopicEventsRequestType: { case: 'initialRequest', value: { pubsubName, topic, ...more } } });
  }

  answer(id: string, status?: number): void {
    this.send({ subscribeTopicEventsRequestType: { case: 'eventProcessed', value: { id, status: status === undefined ? undefined : { status } } } });
  }

  /** the next message from the sidecar; fails when the call ends first */
  async next(timeoutMs = 15_000): Promise<SubscribeTopicEventsResponseAlpha1> {
    const deadline = Date.now() + timeoutMs;
    while (!this.received.length) {
      if (this.closed) assert.fail(`the stream ended instead of sending a message: ${JSON.stringify(await this.ended)}`);
      if (Date.now() > deadline) assert.fail('no message from the sidecar in time');
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 100);
      });
    }
    return this.received.shift()!;
  }

  async event(): Promise<TopicEventRequest> {
    const m = await this.next();
    assert.equal(m.subscribeTopicEventsResponseType.case, 'eventMessage', `expected an event, got ${m.subscribeTopicEventsResponseType.case}`);
    return m.subscribeTopicEventsResponseType.value as TopicEventRequest;
  }

  /** messages received and not yet taken */
  get pending(): number {
    return this.received.length;
  }

  halfClose(): void {
    this.stream.end();
  }

  cancel(): void {
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }
}

const opened: SubscribeStream[] = [];

/** `token: null` sends none */
function openStream(sc: Sidecar, token: string | null = TOKEN): SubscribeStream {
  const s = new SubscribeStream(sc.grpcPort, token ?? undefined);
  opened.push(s);
  return s;
}

/** Opens a stream and waits for the initial response. */
async function subscribe(sc: Sidecar, pubsubName: string, topic: string, more: { metadata?: Record<string, string>; deadLetterTopic?: string } = {}): Promise<SubscribeStream> {
  const s = openStream(sc);
  s.sendInitial(pubsubName, topic, more);
  const first = await s.next();
  assert.equal(first.subscribeTopicEventsResponseType.case, 'initialResponse');
  return s;
}

const publishHttp = (sc: Sidecar, pubsub: string, topic: string, body: string) =>
  httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/publish/${pubsub}/${topic}`, headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' }, body });

async function published(sc: Sidecar, pubsub: string, topic: string, body: unknown): Promise<void> {
  const r = await publishHttp(sc, pubsub, topic, JSON.stringify(body));
  assert.equal(r.status, 204, r.text);
}

const dataOf = (e: TopicEventRequest): unknown => JSON.parse(Buffer.from(e.data).toString('utf8'));

async function streamingSubscriptions(sc: Sidecar): Promise<Array<Record<string, unknown>>> {
  const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } });
  assert.equal(r.status, 200, r.text);
  return (jsonOf<{ subscriptions?: Array<Record<string, unknown>> }>(r).subscriptions ?? []).filter((s) => s.type === 'STREAMING');
}


const inMemory = (name: string, extra = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: pubsub.in-memory
  version: v1
  metadata:
  - name: maxRetries
    value: "3"
  - name: retryInitialInterval
    value: 10ms
${extra}`;

after(async () => {
  for (const s of opened) s.cancel();
  await stopAll();
});

describe('streaming subscriptions on pubsub.in-memory', () => {
  let sc: Sidecar;

  before(async () => {
    const dir = tempDir('pillion-streaming-');
    writeFileSync(join(dir, 'mem.yaml'), inMemory('mem'));
    writeFileSync(join(dir, 'scoped.yaml'), inMemory('scoped', `  - name: subscriptionScopes\n    value: "${APP_ID}=allowed"\n`));
    // No app: a streaming subscriber needs none.
    sc = await startSidecar({ appId: APP_ID, token: TOKEN, resourcesPaths: [dir] });
  });

  test('events published over HTTP and gRPC arrive as TopicEventRequest; SUCCESS acknowledges them', async () => {
    const s = await subscribe(sc, 'mem', 'orders');
    await published(sc, 'mem', 'orders', { orderId: 1 });
    const e = await s.event();
    assert.deepEqual(
      [e.topic, e.pubsubName, e.path, e.source, e.type, e.specVersion, e.dataContentType],
      ['orders', 'mem', '/', APP_ID, 'com.dapr.event.sent', '1.0', 'application/json'],
    );
    assert.deepEqual(dataOf(e), { orderId: 1 });
    assert.ok(e.id.length > 0);
    assert.ok(!JSON.stringify(e).includes(TOKEN), 'the API token reached the event');
    s.answer(e.id, Status.SUCCESS);

    await daprGrpcClient(sc.grpcPort, TOKEN).publishEvent({ pubsubName: 'mem', topic: 'orders', data: Buffer.from('{"orderId":2}'), dataContentType: 'application/json' });
    const e2 = await s.event();
    assert.deepEqual(dataOf(e2), { orderId: 2 });
    s.answer(e2.id); // no status at all: SUCCESS, as in daprd
    await waitFor(async () => metricValue(await scrapeMetrics(sc), 'dapr_component_pubsub_ingress_count', { component: 'mem', topic: 'orders', process_status: 'success' }) === 2, 'two successes counted');
    assert.equal(s.pending, 0, 'an acknowledged event came again');
    s.halfClose();
    assert.equal((await s.ended).code, GrpcStatus.OK);
  });

  test('many events left unanswered at once (12 streams): no listener-leak warning, and all are answered later', async () => {
    const streams = await Promise.all(Array.from({ length: 12 }, (_, i) => subscribe(sc, 'mem', `unanswered-${i}`)));
    for (let i = 0; i < 12; i++) await published(sc, 'mem', `unanswered-${i}`, { i });
    const events = await Promise.all(streams.map((s) => s.event()));
    assert.doesNotMatch(sc.output, /MaxListenersExceededWarning/);
    for (const [i, s] of streams.entries()) {
      assert.deepEqual(dataOf(events[i]!), { i });
      s.answer(events[i]!.id, Status.SUCCESS);
      s.halfClose();
      assert.equal((await s.ended).code, GrpcStatus.OK);
    }
  });

  test('the metadata API lists the stream (type STREAMING) exactly while it lives', async () => {
    const s = await subscribe(sc, 'mem', 'listed', { deadLetterTopic: 'listed-dead', metadata: { rawPayload: 'false' } });
    const subs = await streamingSubscriptions(sc);
    assert.deepEqual(subs.filter((x) => x.topic === 'listed'), [
      { pubsubname: 'mem', topic: 'listed', metadata: { rawPayload: 'false' }, rules: [{ path: '/' }], deadLetterTopic: 'listed-dead', type: 'STREAMING' },
    ]);
    s.halfClose();
    await s.ended;
    await waitFor(async () => !(await streamingSubscriptions(sc)).some((x) => x.topic === 'listed'), 'the subscription removed');
  });

  test('RETRY (and an unknown status) is redelivered, same event, until SUCCESS', async () => {
    const s = await subscribe(sc, 'mem', 'retry');
    await published(sc, 'mem', 'retry', { n: 1 });
    const first = await s.event();
    s.answer(first.id, Status.RETRY);
    const second = await s.event();
    assert.equal(second.id, first.id);
    s.answer(second.id, 42); // unknown: retried
    const third = await s.event();
    assert.equal(third.id, first.id);
    s.answer(third.id, Status.SUCCESS);
    const m = await scrapeMetrics(sc);
    assert.equal(metricValue(m, 'dapr_component_pubsub_ingress_count', { component: 'mem', topic: 'retry', process_status: 'retry' }), 2);
    s.halfClose();
    await s.ended;
  });

  test('DROP sends the event to the dead-letter topic of the initial request', async () => {
    const dead = await subscribe(sc, 'mem', 'drop-dead');
    const s = await subscribe(sc, 'mem', 'drop', { deadLetterTopic: 'drop-dead' });
    await published(sc, 'mem', 'drop', { doomed: true });
    const e = await s.event();
    s.answer(e.id, Status.DROP);
    const d = await dead.event();
    assert.equal(d.id, e.id);
    assert.equal(d.topic, 'drop-dead');
    assert.deepEqual(dataOf(d), { doomed: true });
    dead.answer(d.id, Status.SUCCESS);
    assert.equal(metricValue(await scrapeMetrics(sc), 'dapr_component_pubsub_ingress_count', { component: 'mem', topic: 'drop', process_status: 'drop' }), 1);
    for (const x of [s, dead]) x.halfClose();
    await Promise.all([s.ended, dead.ended]);
  });

  test('two topics on two streams: each stream gets its own topic only', async () => {
    const a = await subscribe(sc, 'mem', 'topic-a');
    const b = await subscribe(sc, 'mem', 'topic-b');
    await published(sc, 'mem', 'topic-a', { to: 'a' });
    await published(sc, 'mem', 'topic-b', { to: 'b' });
    const ea = await a.event();
    const eb = await b.event();
    assert.deepEqual([ea.topic, dataOf(ea)], ['topic-a', { to: 'a' }]);
    assert.deepEqual([eb.topic, dataOf(eb)], ['topic-b', { to: 'b' }]);
    a.answer(ea.id);
    b.answer(eb.id);
    // one more each, to show nothing crossed over in between
    await published(sc, 'mem', 'topic-b', { to: 'b2' });
    await published(sc, 'mem', 'topic-a', { to: 'a2' });
    assert.deepEqual(dataOf(await a.event()), { to: 'a2' });
    assert.deepEqual(dataOf(await b.event()), { to: 'b2' });
    for (const x of [a, b]) x.halfClose();
    await Promise.all([a.ended, b.ended]);
  });

  for (const how of ['half-closed', 'cancelled'] as const) {
    test(`a stream ${how} by the client unsubscribes: a message published afterwards reaches nobody`, async () => {
      const topic = `gone-${how}`;
      const old = await subscribe(sc, 'mem', topic);
      if (how === 'half-closed') old.halfClose();
      else old.cancel();
      const end = await old.ended;
      if (how === 'half-closed') assert.equal(end.code, GrpcStatus.OK);
      await waitFor(async () => !(await streamingSubscriptions(sc)).some((x) => x.topic === topic), 'the subscription removed');
      // M1 is published with no subscriber (in-memory keeps nothing), M2 after a new stream
      // subscribed: the new stream's first event must be M2, and M1 counted nowhere.
      await published(sc, 'mem', topic, { m: 1 });
      const fresh = await subscribe(sc, 'mem', topic);
      await published(sc, 'mem', topic, { m: 2 });
      const e = await fresh.event();
      assert.deepEqual(dataOf(e), { m: 2 });
      fresh.answer(e.id);
      await waitFor(async () => metricValue(await scrapeMetrics(sc), 'dapr_component_pubsub_ingress_count', { component: 'mem', topic }) === 1, 'the one delivery counted');
      assert.equal(old.pending, 0);
      fresh.halfClose();
      await fresh.ended;
    });
  }

  test('refusals: unknown pubsub (InvalidArgument, ERR_PUBSUB_NOT_FOUND), missing pubsub name or topic, no initial request (Unknown)', async () => {
    const cases: Array<[(s: SubscribeStream) => void, number, string]> = [
      [(s) => s.sendInitial('nope', 'orders'), GrpcStatus.INVALID_ARGUMENT, 'pubsub nope is not found'],
      [(s) => s.sendInitial('mem', ''), GrpcStatus.UNKNOWN, 'topic is required'],
      [(s) => s.sendInitial('', 'orders'), GrpcStatus.UNKNOWN, 'pubsubName is required'],
      [(s) => s.answer('x', Status.SUCCESS), GrpcStatus.UNKNOWN, 'initial request is required'],
    ];
    for (const [open, code, message] of cases) {
      const s = openStream(sc);
      open(s);
      const end = await s.ended;
      assert.deepEqual([end.code, end.message], [code, message]);
      assert.equal(s.pending, 0, 'an initial response was sent');
      if (code === GrpcStatus.INVALID_ARGUMENT) {
        // the same error as publishing to an unknown pubsub (daprd builds both as NotFound)
        const pub = await grpcRaw({
          port: sc.grpcPort, path: `${DAPR_SERVICE}/PublishEvent`, metadata: { 'dapr-api-token': TOKEN },
          messages: [toBinary(PublishEventRequestSchema, create(PublishEventRequestSchema, { pubsubName: 'nope', topic: 'orders' }))],
        });
        assert.deepEqual([pub.code, pub.message], [end.code, end.message]);
        assert.match(end.errorInfo?.reason ?? '', /PUBSUB_NOT_FOUND$/);
        assert.equal(end.errorInfo?.reason, pub.errorInfo?.reason);
      }
    }
    assert.deepEqual(await streamingSubscriptions(sc), []);
  });

  test('a second initial request ends the stream (Unknown) and its subscription', async () => {
    const s = await subscribe(sc, 'mem', 'twice');
    s.sendInitial('mem', 'twice');
    const end = await s.ended;
    assert.deepEqual([end.code, end.message], [GrpcStatus.UNKNOWN, 'duplicate initial request received']);
    await waitFor(async () => !(await streamingSubscriptions(sc)).some((x) => x.topic === 'twice'), 'the subscription removed');
  });

  test("the pubsub's subscriptionScopes apply: a topic outside them is refused", async () => {
    const denied = openStream(sc);
    denied.sendInitial('scoped', 'other');
    const end = await denied.ended;
    assert.deepEqual([end.code, end.message], [GrpcStatus.UNKNOWN, "failed to create subscription for scoped: subscription to topic 'other' on pubsub 'scoped' is not allowed"]);
    const ok = await subscribe(sc, 'scoped', 'allowed');
    await published(sc, 'scoped', 'allowed', { scoped: true });
    const e = await ok.event();
    assert.deepEqual(dataOf(e), { scoped: true });
    ok.answer(e.id);
    ok.halfClose();
    await ok.ended;
  });

  test('without the API token (or with a wrong one): UNAUTHENTICATED, and nothing is subscribed', async () => {
    for (const token of [null, 'wrong-token']) {
      const s = openStream(sc, token);
      s.sendInitial('mem', 'no-token');
      const end = await s.ended;
      assert.equal(end.code, GrpcStatus.UNAUTHENTICATED);
      assert.equal(end.message, 'Unauthorized');
      assert.equal(s.pending, 0);
    }
    assert.deepEqual(await streamingSubscriptions(sc), []);
    assert.ok(!sc.output.includes("topic 'no-token'"), 'a refused stream subscribed');
  });

  test('at shutdown the stream ends (Unknown "api server closed") and the sidecar exits', async () => {
    const s = await subscribe(sc, 'mem', 'shutdown');
    const exit = sc.stop('SIGTERM');
    const end = await s.ended;
    assert.deepEqual([end.code, end.message], [GrpcStatus.UNKNOWN, 'api server closed']);
    assert.equal((await exit).code, 0);
  });
});

describe('streaming subscriptions on pubsub.redis', () => {
  const topic = `stream-orders-${RUN}`;
  const admin = new Redis(6379, '127.0.0.1');
  let sc: Sidecar;

  before(async () => {
    const dir = tempDir('pillion-streaming-redis-');
    writeFileSync(join(dir, 'redis.yaml'), `apiVersion: dapr.io/v1alpha1
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
    value: "1000"
  - name: redeliverInterval
    value: 200ms
`);
    sc = await startSidecar({ appId: `${APP_ID}-redis`, token: TOKEN, resourcesPaths: [dir] });
  });

  after(async () => {
    await admin.del(topic);
    await admin.quit();
  });

  test('published over HTTP and gRPC, received on the stream; RETRY redelivered from the pending list', async () => {
    const s = await subscribe(sc, 'redis', topic);
    await published(sc, 'redis', topic, { r: 1 });
    const e = await s.event();
    assert.deepEqual([e.pubsubName, e.topic, dataOf(e)], ['redis', topic, { r: 1 }]);
    s.answer(e.id, Status.RETRY);
    const again = await s.event();
    assert.equal(again.id, e.id);
    s.answer(again.id, Status.SUCCESS);
    await daprGrpcClient(sc.grpcPort, TOKEN).publishEvent({ pubsubName: 'redis', topic, data: Buffer.from('{"r":2}'), dataContentType: 'application/json' });
    const e2 = await s.event();
    assert.deepEqual(dataOf(e2), { r: 2 });
    s.answer(e2.id, Status.SUCCESS);
    await waitFor(async () => ((await admin.xpending(topic, `${APP_ID}-redis`)) as [number])[0] === 0, 'every entry acknowledged');
    s.halfClose();
    await s.ended;
  });

  test('an event left unanswered when its stream is cancelled is redelivered to the next stream', async () => {
    const first = await subscribe(sc, 'redis', topic);
    await published(sc, 'redis', topic, { held: true });
    const e = await first.event();
    first.cancel(); // never answered: retried via the component
    await first.ended;
    const next = await subscribe(sc, 'redis', topic);
    const again = await next.event();
    assert.equal(again.id, e.id);
    assert.deepEqual(dataOf(again), { held: true });
    next.answer(again.id, Status.SUCCESS);
    await waitFor(async () => ((await admin.xpending(topic, `${APP_ID}-redis`)) as [number])[0] === 0, 'the entry acknowledged');
    next.halfClose();
    await next.ended;
  });
});
