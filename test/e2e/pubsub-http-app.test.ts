// Pub/sub delivery to a plain node:http app, asserting exactly what daprd's contract says
// the app receives: the CloudEvent, the headers (app token set, API token never), and what
// each answer of the app means (SUCCESS, RETRY, DROP, 404, 5xx, garbage). Publishing goes
// through the real sidecar over HTTP and gRPC.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { BulkPublishRequestSchema, PublishEventRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/pubsub_pb.js';
import { headerValues, startHttpApp, type RecordingApp, type Seen } from '../helpers/apps.js';
import { daprGrpcClient, grpcError, Code } from '../helpers/connect.js';
import { ResourceInfoSchema } from '../../src/gen/google/rpc/error_details_pb.js';
import { httpRaw, jsonOf, metricValue, scrapeMetrics, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'pubsub-api-token-5f1e';
const APP_TOKEN = 'pubsub-app-token-c3a9';
const APP_ID = 'ps-http-app';

const SUBSCRIPTIONS = [
  { pubsubname: 'pubsub', topic: 'orders', route: '/orders' },
  { pubsubname: 'pubsub', topic: 'retry', route: '/retry' },
  { pubsubname: 'pubsub', topic: 'retry-cased', route: '/retry-cased' },
  { pubsubname: 'pubsub', topic: 'drop', route: '/drop', deadLetterTopic: 'dead' },
  { pubsubname: 'pubsub', topic: 'dead', route: '/dead' },
  { pubsubname: 'pubsub', topic: 'missing', route: '/missing' },
  { pubsubname: 'pubsub', topic: 'failing', route: '/failing' },
  { pubsubname: 'pubsub', topic: 'garbage', route: '/garbage' },
  { pubsubname: 'pubsub', topic: 'routed', routes: { rules: [{ match: 'event.type == "special"', path: '/special' }], default: '/routed' } },
  { pubsubname: 'pubsub', topic: 'raw', route: '/raw', metadata: { rawPayload: 'true' } },
  { pubsubname: 'pubsub', topic: 'bulk', route: '/bulk' },
];

let app: RecordingApp;
let sc: Sidecar;
const garbageSent = { n: 0 };

const deliveries = (path: string): Seen[] => app.seen.filter((s) => s.method === 'POST' && s.url === path);
const ce = (s: Seen): Record<string, unknown> => JSON.parse(s.body.toString('utf8')) as Record<string, unknown>;


/** Publishes over HTTP with the API token; returns the response. */
function publish(topic: string, body: string | Buffer, contentType = 'application/json', query = '', headers: Record<string, string> = {}) {
  return httpRaw({
    port: sc.httpPort, method: 'POST', path: `/v1.0/publish/pubsub/${topic}${query}`,
    headers: { 'dapr-api-token': TOKEN, 'content-type': contentType, ...headers }, body,
  });
}

before(async () => {
  app = await startHttpApp();
  app.answer = (s) => {
    if (s.method === 'GET' && s.url === '/dapr/subscribe') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(SUBSCRIPTIONS) };
    if (s.method === 'GET' && s.url === '/dapr/config') return { status: 404 };
    switch (s.url) {
      case '/retry': return deliveries('/retry').length < 3 ? { status: 200, body: '{"status":"RETRY"}' } : { status: 200, body: '{"status":"SUCCESS"}' };
      // Go matches the key whatever its case; a status that is not a string fails decoding: success
      case '/retry-cased': return deliveries('/retry-cased').length === 1 ? { status: 200, body: '{"STATUS":"RETRY"}' } : deliveries('/retry-cased').length === 2 ? { status: 200, body: '{"Status":"RETRY"}' } : { status: 200, body: '{"status":1}' };
      case '/drop': return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"DROP"}' };
      case '/missing': return { status: 404, body: 'no such route' };
      case '/failing': return { status: 500, body: 'broken' };
      case '/garbage': return garbageSent.n++ === 0 ? { garbage: 'this is not HTTP\r\n\r\n' } : { status: 204 };
      default: return { status: 200 };
    }
  };
  const dir = tempDir('pillion-pubsub-res-');
  // Fast retries so RETRY / 5xx tests finish quickly; `scoped` may only publish to `allowed`.
  writeFileSync(join(dir, 'pubsub.yaml'), `apiVersion: dapr.io/v1alpha1
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
  name: scoped
spec:
  type: pubsub.in-memory
  version: v1
  metadata:
  - name: publishingScopes
    value: "${APP_ID}=allowed"
`);
  sc = await startSidecar({
    appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, resourcesPaths: [dir],
    args: ['--app-port', String(app.port)],
  });
  await waitFor(() => /Subscribed to topic bulk/.test(sc.output), 'the subscriptions');
});

after(async () => {
  await stopAll();
  await app.close();
});

describe('subscribing', () => {
  test('GET /dapr/config and GET /dapr/subscribe carry the app token, never the API token', () => {
    for (const url of ['/dapr/config', '/dapr/subscribe']) {
      const s = app.discovery.find((x) => x.method === 'GET' && x.url === url);
      assert.ok(s, `${url} was not called`);
      assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
      assert.ok(!s.rawHeaders.join('\n').includes(TOKEN), `API token leaked on ${url}`);
    }
  });

  test('the metadata API lists the pub/sub components with their capabilities', async () => {
    const md = jsonOf<{ components: Array<{ name: string; type: string; capabilities?: string[] }> }>(
      await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } }),
    );
    const ps = md.components.find((c) => c.name === 'pubsub');
    assert.deepEqual(ps && { type: ps.type, capabilities: ps.capabilities }, { type: 'pubsub.in-memory', capabilities: ['SUBSCRIBE_WILDCARDS'] });
  });

  test('the metadata API lists the active subscriptions on both protocols', async () => {
    const md = jsonOf<{ subscriptions: Array<Record<string, unknown>> }>(
      await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } }),
    );
    assert.deepEqual(md.subscriptions.find((x) => x.topic === 'routed'), {
      pubsubname: 'pubsub', topic: 'routed', deadLetterTopic: '', type: 'PROGRAMMATIC',
      rules: [{ match: 'event.type == "special"', path: '/special' }, { path: '/routed' }],
    });
    assert.deepEqual(md.subscriptions.find((x) => x.topic === 'raw')?.metadata, { rawPayload: 'true' });
    const g = await daprGrpcClient(sc.grpcPort, TOKEN).getMetadata({});
    assert.deepEqual(g.subscriptions.map((x) => x.topic).sort(), SUBSCRIPTIONS.map((x) => x.topic).sort());
  });
});

describe('delivery to an HTTP app', () => {
  test('exact headers and CloudEvent of a JSON publish', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await publish('orders', '{"orderId":42,"big":12345678901234567890}', 'application/json', '', {
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`, tracestate: 'vendor=x',
    });
    assert.equal(r.status, 204, r.text);
    const s = await waitFor(() => deliveries('/orders')[0], 'the delivery');
    assert.deepEqual(headerValues(s.rawHeaders, 'content-type'), ['application/cloudevents+json']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
    assert.deepEqual(headerValues(s.rawHeaders, 'pubsubname'), ['pubsub']);
    assert.ok(!s.rawHeaders.join('\n').includes(TOKEN), 'API token leaked to the app');
    const e = ce(s);
    assert.match(String(e.id), /^[0-9a-f-]{36}$/);
    assert.equal(e.source, APP_ID);
    assert.equal(e.type, 'com.dapr.event.sent');
    assert.equal(e.specversion, '1.0');
    assert.equal(e.datacontenttype, 'application/json');
    assert.equal(e.topic, 'orders');
    assert.equal(e.pubsubname, 'pubsub');
    assert.match(String(e.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // a new span of the caller's trace
    assert.match(String(e.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    assert.equal(e.traceid, e.traceparent);
    assert.equal(e.tracestate, 'vendor=x');
    assert.deepEqual(headerValues(s.rawHeaders, 'traceparent'), [e.traceparent]);
    // JSON data is embedded as written: big numbers keep every digit
    assert.ok(s.body.toString().includes('"big":12345678901234567890'), s.body.toString());
    assert.equal((e.data as { orderId: number }).orderId, 42);
  });

  test('text is data as a string, octet-stream is data_base64', async () => {
    const before = deliveries('/orders').length;
    assert.equal((await publish('orders', 'hello text', 'text/plain')).status, 204);
    assert.equal((await publish('orders', Buffer.from([0, 1, 2, 255]), 'application/octet-stream')).status, 204);
    const [t, b] = await waitFor(() => deliveries('/orders').length >= before + 2 && deliveries('/orders').slice(before), 'two deliveries');
    assert.deepEqual([ce(t!).data, ce(t!).datacontenttype], ['hello text', 'text/plain']);
    assert.deepEqual([ce(b!).data_base64, ce(b!).datacontenttype, 'data' in ce(b!)], ['AAEC/w==', 'application/octet-stream', false]);
  });

  test('a body that already is a CloudEvent is kept and completed', async () => {
    const before = deliveries('/orders').length;
    const mine = { specversion: '1.0', id: 'my-id-1', source: 'my-source', type: 'my.type', datacontenttype: 'application/json', data: { a: 1 }, topic: 'spoofed' };
    assert.equal((await publish('orders', JSON.stringify(mine), 'application/cloudevents+json')).status, 204);
    const s = await waitFor(() => deliveries('/orders')[before], 'the delivery');
    const e = ce(s);
    assert.deepEqual([e.id, e.source, e.type, e.data], ['my-id-1', 'my-source', 'my.type', { a: 1 }]);
    assert.deepEqual([e.topic, e.pubsubname], ['orders', 'pubsub']);
    assert.ok(e.time && e.traceparent);
    const bad = await publish('orders', 'not json', 'application/cloudevents+json');
    assert.equal(bad.status, 500);
    assert.equal(jsonOf<{ errorCode: string }>(bad).errorCode, 'ERR_PUBSUB_CLOUD_EVENTS_SER');
  });

  test('metadata.ttlInSeconds adds an expiration; a bad value is refused', async () => {
    const before = deliveries('/orders').length;
    assert.equal((await publish('orders', '{"ttl":true}', 'application/json', '?metadata.ttlInSeconds=60')).status, 204);
    const e = ce(await waitFor(() => deliveries('/orders')[before], 'the delivery'));
    const expires = Date.parse(String(e.expiration));
    assert.ok(expires > Date.now() + 30_000, `expiration ${String(e.expiration)}`);
    const bad = await publish('orders', '{}', 'application/json', '?metadata.ttlInSeconds=soon');
    assert.deepEqual([bad.status, jsonOf<{ errorCode: string }>(bad).errorCode], [400, 'ERR_PUBSUB_REQUEST_METADATA']);
  });

  test('rawPayload: the publisher sends bytes unwrapped; a rawPayload subscriber gets them as data_base64', async () => {
    const before = deliveries('/orders').length;
    // unwrapped JSON object bytes reach a normal subscriber exactly as sent
    assert.equal((await publish('orders', '{"unwrapped":true}', 'application/json', '?metadata.rawPayload=true')).status, 204);
    const s = await waitFor(() => deliveries('/orders')[before], 'the raw delivery');
    assert.equal(s.body.toString(), '{"unwrapped":true}');
    assert.equal((await publish('raw', 'raw bytes \u00ff', 'text/plain', '?metadata.rawPayload=true')).status, 204);
    const r = ce(await waitFor(() => deliveries('/raw')[0], 'the rawPayload subscriber delivery'));
    assert.equal(Buffer.from(String(r.data_base64), 'base64').toString(), 'raw bytes \u00ff');
    assert.equal(r.datacontenttype, 'application/octet-stream');
    const bad = await publish('orders', '{}', 'application/json', '?metadata.rawPayload=maybe');
    assert.deepEqual([bad.status, jsonOf<{ errorCode: string }>(bad).errorCode], [400, 'ERR_PUBSUB_REQUEST_METADATA']);
    // daprd's kit details: the pub/sub as ResourceInfo, the request's metadata in the ErrorInfo
    const [ri, ei] = jsonOf<{ details: Array<Record<string, unknown>> }>(bad).details;
    assert.deepEqual([ri?.resource_type, ri?.resource_name], ['pubsub', 'pubsub']);
    assert.deepEqual([ei?.reason, ei?.metadata], ['DAPR_PUBSUB_METADATA_DESERIALIZATION', { rawPayload: 'maybe' }]);
  });

  test('routing rules: event.type match goes to its path, the rest to the default', async () => {
    const special = { specversion: '1.0', id: 'sp-1', source: 's', type: 'special', data: {} };
    assert.equal((await publish('routed', JSON.stringify(special), 'application/cloudevents+json')).status, 204);
    assert.equal((await publish('routed', '{"plain":1}')).status, 204);
    await waitFor(() => deliveries('/special').length === 1 && deliveries('/routed').length === 1, 'both routes');
    assert.equal(ce(deliveries('/special')[0]!).id, 'sp-1');
  });

  test('RETRY is redelivered (same event) until SUCCESS', async () => {
    assert.equal((await publish('retry', '{"n":1}')).status, 204);
    const all = await waitFor(() => deliveries('/retry').length >= 3 && deliveries('/retry'), 'three deliveries');
    await new Promise((r) => setTimeout(r, 300)); // SUCCESS ends it: no fourth
    assert.equal(deliveries('/retry').length, 3);
    assert.equal(new Set(all.map((s) => ce(s).id)).size, 1);
  });

  test("the answer's key in any case, as Go decodes it; a status that is not a string counts as success", async () => {
    assert.equal((await publish('retry-cased', '{"n":2}')).status, 204);
    await waitFor(() => deliveries('/retry-cased').length >= 3, 'three deliveries');
    await new Promise((r) => setTimeout(r, 300)); // the third answer ends it: no fourth
    assert.equal(deliveries('/retry-cased').length, 3);
  });

  test('DROP is not redelivered and goes to the dead-letter topic', async () => {
    assert.equal((await publish('drop', '{"drop":1}')).status, 204);
    const dead = await waitFor(() => deliveries('/dead')[0], 'the dead-letter delivery');
    assert.equal(ce(dead).topic, 'drop', 'the original event is forwarded as published');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(deliveries('/drop').length, 1);
    assert.match(sc.output, /DROP status returned from app while processing pub\/sub event/);
  });

  test('404 drops the event at once (logged as an error)', async () => {
    assert.equal((await publish('missing', '{}')).status, 204);
    await waitFor(() => /non-retriable error returned from app while processing pub\/sub event .*status code returned: 404/.test(sc.output), 'the log line');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(deliveries('/missing').length, 1);
  });

  test('other errors are retried up to the retry budget, then dropped', async () => {
    assert.equal((await publish('failing', '{}')).status, 204);
    await waitFor(() => /retries exhausted, message dropped/.test(sc.output), 'the give-up log line');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(deliveries('/failing').length, 4, 'first attempt + maxRetries 3');
  });

  test('an app answering garbage is retried', async () => {
    assert.equal((await publish('garbage', '{}')).status, 204);
    await waitFor(() => deliveries('/garbage').length >= 2, 'a redelivery after the garbage answer');
  });

  test('the sidecar counts ingress and egress like daprd', async () => {
    const m = await scrapeMetrics(sc);
    assert.ok(metricValue(m, 'dapr_component_pubsub_egress_count', { component: 'pubsub', topic: 'orders', success: 'true' }) >= 1);
    assert.ok(metricValue(m, 'dapr_component_pubsub_ingress_count', { component: 'pubsub', topic: 'orders', process_status: 'success' }) >= 1);
    assert.ok(metricValue(m, 'dapr_component_pubsub_ingress_count', { component: 'pubsub', topic: 'retry', process_status: 'retry' }) >= 2);
  });
});

describe('bulk publish', () => {
  for (const prefix of ['/v1.0-alpha1', '/v1.0']) {
    test(`POST ${prefix}/publish/bulk delivers every entry`, async () => {
      const before = deliveries('/bulk').length;
      const tag = prefix.replace(/\W/g, '');
      const r = await httpRaw({
        port: sc.httpPort, method: 'POST', path: `${prefix}/publish/bulk/pubsub/bulk`,
        headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify([
          { entryId: '1', event: { tag, n: 1 }, contentType: 'application/json' },
          { entryId: '2', event: `text-${tag}`, contentType: 'text/plain' },
        ]),
      });
      assert.equal(r.status, 204, r.text);
      const got = await waitFor(() => deliveries('/bulk').length >= before + 2 && deliveries('/bulk').slice(before).map((s) => ce(s).data), 'both entries');
      // JSON events are re-encoded the Go way (keys sorted), as daprd does
      assert.deepEqual(got.map((d) => JSON.stringify(d)).sort(), [JSON.stringify({ n: 1, tag }), JSON.stringify(`text-${tag}`)].sort());
    });
  }

  test('gRPC BulkPublishEventAlpha1 and BulkPublishEvent deliver every entry', async () => {
    const c = daprGrpcClient(sc.grpcPort, TOKEN);
    const before = deliveries('/bulk').length;
    for (const call of [c.bulkPublishEventAlpha1.bind(c), c.bulkPublishEvent.bind(c)]) {
      const res = await call(create(BulkPublishRequestSchema, {
        pubsubName: 'pubsub', topic: 'bulk',
        entries: [{ entryId: 'a', event: Buffer.from('{"g":1}'), contentType: 'application/json' }, { entryId: 'b', event: Buffer.from('grpc text'), contentType: 'text/plain' }],
      }));
      assert.deepEqual(res.failedEntries, []);
    }
    await waitFor(() => deliveries('/bulk').length >= before + 4, 'four deliveries');
    const dup = await grpcError(() => c.bulkPublishEvent(create(BulkPublishRequestSchema, {
      pubsubName: 'pubsub', topic: 'bulk', entries: [{ entryId: 'x', event: Buffer.from('1') }, { entryId: 'x', event: Buffer.from('2') }],
    })));
    // daprd's kit error: errorCode ERR_PUBSUB_EVENTS_SER, reason DAPR_PUBSUB_MARSHAL_EVENTS
    assert.deepEqual([dup.code, dup.info?.reason, dup.info?.metadata], [
      Code.InvalidArgument, 'DAPR_PUBSUB_MARSHAL_EVENTS', { appID: APP_ID, error: 'entryId is duplicated or not present for entry' },
    ]);
  });

  test('a missing or repeated entryId is refused', async () => {
    const r = await httpRaw({
      port: sc.httpPort, method: 'POST', path: '/v1.0-alpha1/publish/bulk/pubsub/bulk',
      headers: { 'dapr-api-token': TOKEN }, body: JSON.stringify([{ entryId: 'a', event: 1, contentType: 'application/json' }, { entryId: 'a', event: 2, contentType: 'application/json' }]),
    });
    assert.deepEqual([r.status, jsonOf<{ errorCode: string }>(r).errorCode], [400, 'ERR_PUBSUB_EVENTS_SER']);
    const reasons = (res: { text: string }) => (JSON.parse(res.text) as { details: Array<{ reason?: string }> }).details.map((d) => d.reason);
    assert.deepEqual(reasons(r), [undefined, 'DAPR_PUBSUB_MARSHAL_EVENTS']);
    const notArray = await httpRaw({
      port: sc.httpPort, method: 'POST', path: '/v1.0-alpha1/publish/bulk/pubsub/bulk', headers: { 'dapr-api-token': TOKEN }, body: '{}',
    });
    assert.deepEqual([notArray.status, reasons(notArray)], [400, [undefined, 'DAPR_PUBSUB_UNMARSHAL_EVENTS']]);
  });
});

describe('publish errors', () => {
  test('without the API token nothing is published', async () => {
    const before = deliveries('/orders').length;
    const r = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/publish/pubsub/orders', headers: { 'content-type': 'application/json' }, body: '{"sneaky":1}' });
    assert.equal(r.status, 401);
    const g = await grpcError(() => daprGrpcClient(sc.grpcPort).publishEvent(create(PublishEventRequestSchema, { pubsubName: 'pubsub', topic: 'orders', data: Buffer.from('{}') })));
    assert.equal(g.code, Code.Unauthenticated);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(deliveries('/orders').length, before);
  });

  test('unknown pub/sub: ERR_PUBSUB_NOT_FOUND on both protocols', async () => {
    const r = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/publish/nope/orders', headers: { 'dapr-api-token': TOKEN }, body: '{}' });
    // daprd's bytes: the request's metadata (here none: {}) in the ErrorInfo, no ResourceInfo
    assert.equal(r.status, 404);
    assert.equal(
      r.text,
      '{"errorCode":"ERR_PUBSUB_NOT_FOUND","message":"pubsub nope is not found","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":{},"reason":"DAPR_PUBSUB_NOT_FOUND"}]}',
    );
    const q = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/publish/nope/orders?metadata.k=v', headers: { 'dapr-api-token': TOKEN }, body: '{}' });
    assert.deepEqual(jsonOf<{ details: unknown[] }>(q).details, [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', domain: 'dapr.io', metadata: { k: 'v' }, reason: 'DAPR_PUBSUB_NOT_FOUND' },
    ]);
    const g = await grpcError(() => daprGrpcClient(sc.grpcPort, TOKEN).publishEvent(create(PublishEventRequestSchema, { pubsubName: 'nope', topic: 'orders', metadata: { k: 'v' } })));
    // gRPC: daprd passes no metadata here
    assert.deepEqual([g.code, g.rawMessage, g.info?.reason, g.info?.domain, g.info?.metadata], [Code.InvalidArgument, 'pubsub nope is not found', 'DAPR_PUBSUB_NOT_FOUND', 'dapr.io', {}]);
    assert.equal(g.findDetails(ResourceInfoSchema).length, 0);
  });

  test('empty names over gRPC: ERR_PUBSUB_EMPTY, ERR_TOPIC_NAME_EMPTY', async () => {
    const c = daprGrpcClient(sc.grpcPort, TOKEN);
    const a = await grpcError(() => c.publishEvent(create(PublishEventRequestSchema, { pubsubName: '', topic: 'orders' })));
    assert.deepEqual([a.code, a.info?.reason], [Code.InvalidArgument, 'DAPR_PUBSUB_NAME_EMPTY']);
    const b = await grpcError(() => c.publishEvent(create(PublishEventRequestSchema, { pubsubName: 'pubsub', topic: '', metadata: { k: 'v' } })));
    // the request's metadata, and a ResourceInfo naming the pub/sub described by the message
    assert.deepEqual([b.code, b.info?.reason, b.info?.metadata], [Code.InvalidArgument, 'DAPR_PUBSUB_TOPIC_NAME_EMPTY', { k: 'v' }]);
    const ri = b.findDetails(ResourceInfoSchema)[0];
    assert.deepEqual([ri?.resourceType, ri?.resourceName, ri?.owner, ri?.description], ['pubsub', 'pubsub', '', 'topic is empty in pubsub pubsub']);
  });

  test('publishingScopes: a topic outside the scope is ERR_PUBSUB_FORBIDDEN', async () => {
    const ok = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/publish/scoped/allowed', headers: { 'dapr-api-token': TOKEN }, body: '{}' });
    assert.equal(ok.status, 204, ok.text);
    const r = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/publish/scoped/other', headers: { 'dapr-api-token': TOKEN }, body: '{}' });
    const msg = `topic other is not allowed for app id ${APP_ID}`;
    assert.deepEqual([r.status, jsonOf(r)], [403, {
      errorCode: 'ERR_PUBSUB_FORBIDDEN', message: msg,
      details: [
        { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', description: msg, owner: '', resource_name: 'scoped', resource_type: 'pubsub' },
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', domain: 'dapr.io', metadata: { error: msg, topic: 'other' }, reason: 'DAPR_PUBSUB_FORBIDDEN' },
      ],
    }]);
    const g = await grpcError(() => daprGrpcClient(sc.grpcPort, TOKEN).publishEvent(create(PublishEventRequestSchema, { pubsubName: 'scoped', topic: 'other' })));
    assert.deepEqual([g.code, g.info?.reason, g.info?.metadata], [Code.PermissionDenied, 'DAPR_PUBSUB_FORBIDDEN', { error: msg, topic: 'other' }]);
  });

  test('gRPC PublishEvent delivers like HTTP', async () => {
    const before = deliveries('/orders').length;
    await daprGrpcClient(sc.grpcPort, TOKEN).publishEvent(create(PublishEventRequestSchema, {
      pubsubName: 'pubsub', topic: 'orders', data: Buffer.from('{"via":"grpc"}'), dataContentType: 'application/json',
    }));
    const e = ce(await waitFor(() => deliveries('/orders')[before], 'the delivery'));
    assert.deepEqual([e.data, e.source], [{ via: 'grpc' }, APP_ID]);
  });
});

describe('an app without a pub/sub', () => {
  test('a pub/sub scoped to other apps leaves this one without any: ERR_PUBSUB_NOT_CONFIGURED', async () => {
    const dir = tempDir('pillion-pubsub-none-');
    writeFileSync(join(dir, 'ps.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: events
spec:
  type: pubsub.in-memory
  version: v1
scopes:
- some-other-app
`);
    const lone = await startSidecar({ appId: 'lonely-app', token: TOKEN, resourcesPaths: [dir] });
    const r = await httpRaw({ port: lone.httpPort, method: 'POST', path: '/v1.0/publish/events/orders', headers: { 'dapr-api-token': TOKEN }, body: '{}' });
    assert.deepEqual([r.status, jsonOf(r)], [400, {
      errorCode: 'ERR_PUBSUB_NOT_CONFIGURED', message: 'pubsub events is not configured',
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', domain: 'dapr.io', metadata: {}, reason: 'DAPR_PUBSUB_NOT_CONFIGURED' }],
    }]);
    const g = await grpcError(() => daprGrpcClient(lone.grpcPort, TOKEN).publishEvent(create(PublishEventRequestSchema, { pubsubName: 'events', topic: 'orders' })));
    assert.deepEqual([g.code, g.info?.reason], [Code.FailedPrecondition, 'DAPR_PUBSUB_NOT_CONFIGURED']);
    await lone.stop();
  });
});
