// Pub/sub delivery to a plain gRPC app (AppCallback served by a bare HTTP/2 server) and
// declarative Subscription resources: what the app receives (TopicEventRequest, metadata with
// the app token and never the API token) and what its answers mean (SUCCESS, RETRY, DROP,
// UNIMPLEMENTED, errors), plus a graceful shutdown that lets the delivery in flight finish.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { GrpcServer, type CallContext } from '../../src/api/grpc/server.js';
import { GrpcStatusError } from '../../src/api/grpc/status.js';
import { GrpcCode } from '../../src/errors/table.js';
import {
  AppCallback,
  ListTopicSubscriptionsResponseSchema,
  TopicEventResponseSchema,
  TopicEventResponse_TopicEventResponseStatus as Status,
  type TopicEventRequest,
} from '../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { startHttpApp, headerValues, type RecordingApp } from '../helpers/apps.js';
import { httpRaw, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'pubsub-grpc-api-token-2d';
const APP_TOKEN = 'pubsub-grpc-app-token-7a';


const publish = (sc: Sidecar, topic: string, body: string, contentType = 'application/json') =>
  httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/publish/pubsub/${topic}`, headers: { 'dapr-api-token': TOKEN, 'content-type': contentType }, body });

after(() => stopAll());

describe('a gRPC app', () => {
  let sc: Sidecar;
  let server: GrpcServer;
  const events: Array<{ req: TopicEventRequest; md: CallContext['metadata'] }> = [];
  const listCalls: Array<CallContext['metadata']> = [];
  const of = (topic: string) => events.filter((e) => e.req.topic === topic);

  before(async () => {
    server = new GrpcServer({ maxMessageBytes: 4 << 20, interceptors: [] });
    server.addService(AppCallback, {
      listTopicSubscriptions: async (_req: unknown, ctx: CallContext) => {
        listCalls.push({ ...ctx.metadata });
        return create(ListTopicSubscriptionsResponseSchema, {
          subscriptions: ['orders', 'retry', 'drop', 'unimpl', 'error'].map((topic) => ({ pubsubName: 'pubsub', topic, routes: { default: `/${topic}` } })),
        });
      },
      onTopicEvent: async (req: TopicEventRequest, ctx: CallContext) => {
        events.push({ req, md: { ...ctx.metadata } });
        const n = of(req.topic).length;
        if (req.topic === 'retry') return create(TopicEventResponseSchema, { status: n < 3 ? Status.RETRY : Status.SUCCESS });
        if (req.topic === 'drop') return create(TopicEventResponseSchema, { status: Status.DROP });
        if (req.topic === 'unimpl') throw new GrpcStatusError(GrpcCode.UNIMPLEMENTED, 'not here');
        if (req.topic === 'error' && n === 1) throw new GrpcStatusError(GrpcCode.INTERNAL, 'transient');
        return create(TopicEventResponseSchema, { status: Status.SUCCESS });
      },
    });
    await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', () => r()));
    const port = (server.server.address() as AddressInfo).port;
    sc = await startSidecar({ appId: 'ps-grpc-app', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(port), '--app-protocol', 'grpc'] });
    await waitFor(() => /Subscribed to topic error/.test(sc.output), 'the subscriptions');
  });

  after(async () => {
    await sc?.stop();
    await server?.close(0);
  });

  test('ListTopicSubscriptions carries the app token, never the API token', () => {
    assert.equal(listCalls.length, 1);
    assert.equal(listCalls[0]!['dapr-api-token'], APP_TOKEN);
    assert.ok(!JSON.stringify(listCalls[0]).includes(TOKEN));
  });

  test('OnTopicEvent gets the CloudEvent fields, the data, the route and the app token', async () => {
    assert.equal((await publish(sc, 'orders', '{"b":2,"a":1}')).status, 204);
    const { req, md } = await waitFor(() => of('orders')[0], 'the event');
    assert.match(req.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      [req.source, req.type, req.specVersion, req.dataContentType, req.topic, req.pubsubName, req.path],
      ['ps-grpc-app', 'com.dapr.event.sent', '1.0', 'application/json', 'orders', 'pubsub', '/orders'],
    );
    assert.equal(Buffer.from(req.data).toString(), '{"a":1,"b":2}');
    assert.ok(req.extensions && typeof req.extensions.traceparent === 'string' && req.extensions.pubsubname === 'pubsub');
    assert.equal(md['dapr-api-token'], APP_TOKEN);
    assert.equal(md.pubsubname, 'pubsub');
    assert.ok(!JSON.stringify(md).includes(TOKEN), 'API token leaked to the app');
    assert.equal((await publish(sc, 'orders', 'plain', 'text/plain')).status, 204);
    const t = await waitFor(() => of('orders')[1], 'the text event');
    assert.deepEqual([Buffer.from(t.req.data).toString(), t.req.dataContentType], ['plain', 'text/plain']);
  });

  test('RETRY is redelivered until SUCCESS', async () => {
    assert.equal((await publish(sc, 'retry', '{}')).status, 204);
    await waitFor(() => of('retry').length >= 3, 'three deliveries');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(of('retry').length, 3);
  });

  test('DROP and UNIMPLEMENTED are not redelivered', async () => {
    assert.equal((await publish(sc, 'drop', '{}')).status, 204);
    assert.equal((await publish(sc, 'unimpl', '{}')).status, 204);
    await waitFor(() => of('drop').length === 1 && of('unimpl').length === 1, 'one delivery each');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual([of('drop').length, of('unimpl').length], [1, 1]);
  });

  test('a gRPC error is retried', async () => {
    assert.equal((await publish(sc, 'error', '{}')).status, 204);
    await waitFor(() => of('error').length === 2, 'the redelivery');
  });
});

describe('declarative Subscription resources', () => {
  let sc: Sidecar;
  let app: RecordingApp;
  const posts = (url: string) => app.seen.filter((s) => s.method === 'POST' && s.url === url);

  before(async () => {
    app = await startHttpApp();
    app.answer = (s) => (s.url === '/dapr/subscribe' ? { status: 404 } : s.url === '/slow' ? { status: 200, delayMs: 700 } : { status: 200 });
    const dir = tempDir('pillion-pubsub-decl-');
    writeFileSync(join(dir, 'subs.yaml'), `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: orders-sub
spec:
  pubsubname: pubsub
  topic: orders
  routes:
    rules:
    - match: event.type == "vip"
      path: /vip
    - match: event.data.amount > 100 && event.type.startsWith("order.")
      path: /big
    default: /orders
scopes:
- decl-app
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata:
  name: legacy-sub
spec:
  pubsubname: pubsub
  topic: legacy
  route: /legacy
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: slow-sub
spec:
  pubsubname: pubsub
  topic: slow
  routes:
    default: /slow
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: other-app-sub
spec:
  pubsubname: pubsub
  topic: others
  routes:
    default: /others
scopes:
- someone-else
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: bad-sub
spec:
  pubsubname: pubsub
  topic: bad
  routes:
    rules:
    - match: event.data.amount >
      path: /bad
`);
    sc = await startSidecar({ appId: 'decl-app', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, resourcesPaths: [dir], args: ['--app-port', String(app.port)] });
    await waitFor(() => /Subscribed to topic slow/.test(sc.output), 'the subscriptions');
  });

  after(async () => {
    await sc?.stop();
    await app?.close();
  });

  test('v2alpha1 routes and v1alpha1 route deliver; the Subscription kind is used, not reported as unused', async () => {
    assert.equal((await publish(sc, 'orders', '{"o":1}')).status, 204);
    assert.equal((await publish(sc, 'legacy', '{"l":1}')).status, 204);
    const vip = JSON.stringify({ specversion: '1.0', id: 'v1', source: 's', type: 'vip', data: {} });
    assert.equal((await publish(sc, 'orders', vip, 'application/cloudevents+json')).status, 204);
    await waitFor(() => posts('/orders').length === 1 && posts('/legacy').length === 1 && posts('/vip').length === 1, 'three deliveries');
    // CEL over the CloudEvent, its JSON data decoded: `{"o":1}` above has no amount, and the
    // && is false on its type alone, so it took the default route.
    const order = (id: string, amount: number) => JSON.stringify({ specversion: '1.0', id, source: 's', type: 'order.created', datacontenttype: 'application/json', data: { amount } });
    assert.equal((await publish(sc, 'orders', order('big-1', 150), 'application/cloudevents+json')).status, 204);
    assert.equal((await publish(sc, 'orders', order('small-1', 50), 'application/cloudevents+json')).status, 204);
    await waitFor(() => posts('/big').length === 1 && posts('/orders').length === 2, 'the CEL-routed deliveries');
    assert.equal((JSON.parse(posts('/big')[0]!.body.toString('utf8')) as { id: string }).id, 'big-1');
    assert.deepEqual(headerValues(posts('/orders')[0]!.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
    assert.doesNotMatch(sc.output, /kind Subscription .*not used/);
  });

  test('scopes keep another app\'s Subscription out; a match that is not CEL is refused with a clear line', async () => {
    assert.doesNotMatch(sc.output, /Subscribed to topic others/);
    assert.match(sc.output, /invalid match expression \\"event\.data\.amount >\\": Unexpected token.*Subscription skipped/);
  });

  test('shutdown lets the delivery in flight finish', async () => {
    assert.equal((await publish(sc, 'slow', '{"s":1}')).status, 204);
    await waitFor(() => posts('/slow').length === 1, 'the slow delivery to start');
    const exit = await sc.stop();
    assert.equal(exit.code, 0);
    assert.doesNotMatch(sc.output, /error returned from app channel while sending pub\/sub event/);
  });
});
