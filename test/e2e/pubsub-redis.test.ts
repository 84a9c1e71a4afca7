// pubsub.redis between two real sidecars over a real Redis: sidecar A (app id + token of its
// own, no app) publishes over HTTP and gRPC; sidecar B (another app id and token) delivers to
// a plain node:http app that subscribes through /dapr/subscribe. Then what Redis Streams adds:
// a RETRY answer is redelivered from the pending list, a sidecar killed with SIGKILL in the
// middle of a delivery loses nothing (the restarted instance reclaims the message), and
// a Redis outage is survived (a private redis-server, never the shared one).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { daprGrpcClient } from '../helpers/connect.js';
import { PrivateRedis } from '../helpers/private-backends.js';
import { httpRaw, jsonOf, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';

const RUN = randomBytes(4).toString('hex');
const PUB_ID = `redis-pub-${RUN}`;
const SUB_ID = `redis-sub-${RUN}`;
const TOKEN_A = `token-a-${randomBytes(12).toString('hex')}`;
const TOKEN_B = `token-b-${randomBytes(12).toString('hex')}`;
const TOPIC = { orders: `orders-${RUN}`, retry: `retry-${RUN}`, crash: `crash-${RUN}`, outage: `outage-${RUN}` };
/** on the `budget` component (maxRetries 1): a topic whose failures go to a dead-letter topic */
const BUDGET = { failing: `failing-${RUN}`, dead: `dead-${RUN}` };
const SUBSCRIPTIONS = [
  ...Object.values(TOPIC).map((topic) => ({ pubsubname: 'pubsub', topic, route: `/on/${topic}` })),
  { pubsubname: 'budget', topic: BUDGET.failing, route: `/on/${BUDGET.failing}`, deadLetterTopic: BUDGET.dead },
  { pubsubname: 'budget', topic: BUDGET.dead, route: `/on/${BUDGET.dead}` },
];

interface Delivery {
  topic: string;
  rawHeaders: string[];
  event: Record<string, unknown>;
}

/**
 * The subscribing app: answers /dapr/subscribe, records every delivery, and answers each with
 * what `decide` says — or holds it unanswered (a delivery in flight when its sidecar dies).
 */
interface SubscriberApp {
  port: number;
  deliveries: Delivery[];
  decide: (d: Delivery, nth: number) => 'SUCCESS' | 'RETRY' | 'hold';
  close(): Promise<void>;
}

async function startSubscriberApp(subscriptions: readonly object[]): Promise<SubscriberApp> {
  const held: http.ServerResponse[] = [];
  const app: SubscriberApp = { port: 0, deliveries: [], decide: () => 'SUCCESS', close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/dapr/subscribe') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(subscriptions));
        return;
      }
      if (req.method !== 'POST' || !req.url?.startsWith('/on/')) {
        res.writeHead(404).end();
        return;
      }
      const d: Delivery = { topic: req.url.slice(4), rawHeaders: [...req.rawHeaders], event: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> };
      app.deliveries.push(d);
      const answer = app.decide(d, app.deliveries.filter((x) => x.topic === d.topic).length);
      if (answer === 'hold') {
        held.push(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: answer }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  app.port = (server.address() as AddressInfo).port;
  app.close = () => new Promise<void>((r) => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    server.close(() => r());
  });
  return app;
}

function componentYaml(redisHost: string, name = 'pubsub', extra = ''): string {
  // Short reclaim settings so redeliveries show up within a test; a bare number is ms.
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: pubsub.redis
  version: v1
  metadata:
  - name: redisHost
    value: "${redisHost}"
  - name: processingTimeout
    value: "1000"
  - name: redeliverInterval
    value: 200ms
  - name: maxRetryBackoff
    value: 200ms
${extra}`;
}


const admin = new Redis(6379, '127.0.0.1');
let app: SubscriberApp;
let resources: string;
let pub: Sidecar;
let sub: Sidecar;

const startSubscriber = () => startSidecar({ appId: SUB_ID, token: TOKEN_B, resourcesPaths: [resources], args: ['--app-port', String(app.port)] });
const subscribed = (sc: Sidecar, topics = [TOPIC.outage, BUDGET.dead]) =>
  waitFor(() => topics.every((t) => sc.output.includes(`Subscribed to topic ${t} `)), `${sc.appId}'s subscriptions`);
const of = (topic: string) => app.deliveries.filter((d) => d.topic === topic);

function publishHttp(topic: string, body: string) {
  return httpRaw({
    port: pub.httpPort, method: 'POST', path: `/v1.0/publish/pubsub/${topic}`,
    headers: { 'dapr-api-token': TOKEN_A, 'content-type': 'application/json' }, body,
  });
}

before(async () => {
  app = await startSubscriberApp(SUBSCRIPTIONS);
  resources = tempDir('pillion-pubsub-redis-');
  writeFileSync(join(resources, 'pubsub.yaml'), componentYaml('127.0.0.1:6379'));
  writeFileSync(join(resources, 'budget.yaml'), componentYaml('127.0.0.1:6379', 'budget', '  - name: maxRetries\n    value: "1"\n'));
  pub = await startSidecar({ appId: PUB_ID, token: TOKEN_A, resourcesPaths: [resources] });
  sub = await startSubscriber();
  await subscribed(sub);
});

after(async () => {
  await stopAll();
  await app.close();
  await admin.del(...Object.values(TOPIC), ...Object.values(BUDGET));
  await admin.quit();
});

describe('pubsub.redis between two sidecars', () => {
  test('published through sidecar A over HTTP, delivered by sidecar B to its app; no API token reaches the app', async () => {
    const r = await publishHttp(TOPIC.orders, '{"orderId":1}');
    assert.equal(r.status, 204, r.text);
    const d = await waitFor(() => of(TOPIC.orders)[0], 'the delivery');
    assert.deepEqual([d.event.data, d.event.source, d.event.topic, d.event.pubsubname], [{ orderId: 1 }, PUB_ID, TOPIC.orders, 'pubsub']);
    const raw = d.rawHeaders.join('\n');
    assert.ok(!raw.includes(TOKEN_A) && !raw.includes(TOKEN_B), 'an API token reached the app');
    // the consumer group is the subscriber's app id; the publisher created none
    const groups = ((await admin.call('XINFO', 'GROUPS', TOPIC.orders)) as unknown[][]).map((g) => String(g[1]));
    assert.deepEqual(groups, [SUB_ID]);
  });

  test('published over gRPC (PublishEvent), delivered the same way', async () => {
    const before = of(TOPIC.orders).length;
    await daprGrpcClient(pub.grpcPort, TOKEN_A).publishEvent({
      pubsubName: 'pubsub', topic: TOPIC.orders, data: Buffer.from('{"orderId":2}'), dataContentType: 'application/json',
    });
    const d = await waitFor(() => of(TOPIC.orders)[before], 'the gRPC-published delivery');
    assert.deepEqual([d.event.data, d.event.source], [{ orderId: 2 }, PUB_ID]);
  });

  test('each sidecar takes only its own token', async () => {
    const r = await httpRaw({
      port: pub.httpPort, method: 'POST', path: `/v1.0/publish/pubsub/${TOPIC.orders}`,
      headers: { 'dapr-api-token': TOKEN_B, 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(r.status, 401);
  });

  test('RETRY leaves the message pending; it is redelivered (same event) and then acknowledged', async () => {
    app.decide = (d, nth) => (d.topic === TOPIC.retry && nth === 1 ? 'RETRY' : 'SUCCESS');
    assert.equal((await publishHttp(TOPIC.retry, '{"n":1}')).status, 204);
    const [first, second] = await waitFor(() => of(TOPIC.retry).length >= 2 && of(TOPIC.retry), 'the redelivery');
    assert.equal(first!.event.id, second!.event.id);
    await waitFor(async () => ((await admin.xpending(TOPIC.retry, SUB_ID)) as [number])[0] === 0, 'the ack after SUCCESS');
    assert.equal(of(TOPIC.retry).length, 2);
  });

  test('with maxRetries, a message that keeps failing goes to the dead-letter topic after the last attempt', async () => {
    app.decide = (d) => (d.topic === BUDGET.failing ? 'RETRY' : 'SUCCESS');
    const r = await httpRaw({
      port: pub.httpPort, method: 'POST', path: `/v1.0/publish/budget/${BUDGET.failing}`,
      headers: { 'dapr-api-token': TOKEN_A, 'content-type': 'application/json' }, body: '{"doomed":true}',
    });
    assert.equal(r.status, 204, r.text);
    const dead = await waitFor(() => of(BUDGET.dead)[0], 'the dead-letter delivery');
    assert.deepEqual(dead.event.data, { doomed: true });
    assert.equal(of(BUDGET.failing).length, 2); // the first attempt and maxRetries (1) redelivery
    await waitFor(async () => ((await admin.xpending(BUDGET.failing, SUB_ID)) as [number])[0] === 0, 'the failed message acknowledged');
  });

  test('a sidecar killed (SIGKILL) mid-delivery loses nothing: the restarted instance reclaims the message', async () => {
    app.decide = (d, nth) => (d.topic === TOPIC.crash && nth === 1 ? 'hold' : 'SUCCESS');
    assert.equal((await publishHttp(TOPIC.crash, '{"n":"crash"}')).status, 204);
    const first = await waitFor(() => of(TOPIC.crash)[0], 'the first delivery');
    assert.equal((await sub.kill()).signal, 'SIGKILL');
    // The message stays pending for the dead instance until a sidecar of the same app (same
    // consumer group) finds it idle for longer than processingTimeout.
    const pending = (await admin.xpending(TOPIC.crash, SUB_ID)) as [number];
    assert.equal(pending[0], 1);
    sub = await startSubscriber();
    const again = await waitFor(() => of(TOPIC.crash)[1], 'the redelivery after the restart');
    assert.equal(again.event.id, first.event.id);
    await waitFor(async () => ((await admin.xpending(TOPIC.crash, SUB_ID)) as [number])[0] === 0, 'the ack');
  });
});

describe('pubsub.redis: Redis outage', () => {
  test('publish fails with ERR_PUBSUB_PUBLISH_MESSAGE while Redis is down; delivery resumes when it is back', { timeout: 60_000 }, async () => {
    const redis = await PrivateRedis.create();
    const dir = tempDir('pillion-pubsub-redis-outage-');
    writeFileSync(join(dir, 'pubsub.yaml'), componentYaml(`127.0.0.1:${redis.port}`));
    app.decide = () => 'SUCCESS';
    try {
      const both = await startSidecar({ appId: `redis-outage-${RUN}`, token: TOKEN_A, resourcesPaths: [dir], args: ['--app-port', String(app.port)] });
      await subscribed(both, [TOPIC.outage]);
      const send = (n: number) => httpRaw({
        port: both.httpPort, method: 'POST', path: `/v1.0/publish/pubsub/${TOPIC.outage}`,
        headers: { 'dapr-api-token': TOKEN_A, 'content-type': 'application/json' }, body: JSON.stringify({ n }),
      });
      const seen = (n: number) => of(TOPIC.outage).some((d) => (d.event.data as { n: number }).n === n);
      assert.equal((await send(1)).status, 204);
      await waitFor(() => seen(1), 'delivery before the outage');

      await redis.stop('SIGKILL');
      const down = await send(2);
      assert.equal(down.status, 500, down.text);
      assert.equal(jsonOf<{ errorCode: string }>(down).errorCode, 'ERR_PUBSUB_PUBLISH_MESSAGE');
      assert.ok(both.running, 'the sidecar keeps running');

      await redis.start(); // appendonly: the stream and the consumer group survive
      await waitFor(async () => (await send(3)).status === 204, 'publishing again');
      await waitFor(() => seen(3), 'delivery after the outage', 30_000);
      assert.ok(!seen(2), 'a publish that failed must not be delivered');
    } finally {
      await redis.destroy();
    }
  });
});
