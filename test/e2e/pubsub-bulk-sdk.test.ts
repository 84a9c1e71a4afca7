// Bulk subscribe with the official SDK as the app: @dapr/dapr DaprServer
// `server.pubsub.subscribeBulk(...)` over HTTP and over gRPC (the SDK serves
// AppCallbackAlpha/OnBulkTopicEventAlpha1 only, so the sidecar's fallback from
// AppCallback/OnBulkTopicEvent is exercised), DaprClient publishing over both protocols.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommunicationProtocolEnum, DaprClient, DaprPubSubStatusEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { freePorts, startSidecar, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';
import { SDK_PROTOCOLS, sdkServer, stopSdk } from '../helpers/sdk.js';

const TOKEN = 'sdk-bulk-token-3e8a';
const APP_TOKEN = 'sdk-bulk-app-token-57';
const FAR = 120_000; // never waited for: a delivery proves the maxMessagesCount limit
const clients: DaprClient[] = [];
const servers: DaprServer[] = [];

after(() => stopSdk(clients, servers));

const PROTOCOLS = SDK_PROTOCOLS;


interface Got {
  topic: string;
  data: Record<string, unknown>;
  headers: Record<string, unknown>;
}

for (const appProto of PROTOCOLS) {
  describe(`DaprServer.pubsub.subscribeBulk over ${appProto.name}`, () => {
    let sc: Sidecar;
    const received: Got[] = [];
    const retried = new Set<string>();

    before(async () => {
      const [appPort] = await freePorts(1);
      sc = await startSidecar({
        appId: `sdk-bulk-${appProto.name.toLowerCase()}`, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, waitReady: false,
        args: ['--app-port', String(appPort!), '--app-protocol', appProto.name === 'HTTP' ? 'http' : 'grpc'],
      });
      const server = sdkServer(appProto, appPort!, sc, TOKEN);
      await server.pubsub.subscribeBulk('pubsub', 'bulk-orders', async (data: unknown, headers: unknown) => {
        received.push({ topic: 'bulk-orders', data: data as Record<string, unknown>, headers: (headers ?? {}) as Record<string, unknown> });
      }, { maxMessagesCount: 4, maxAwaitDurationMs: FAR });
      // Each event is asked to be retried once; the second delivery succeeds.
      await server.pubsub.subscribeBulk('pubsub', 'bulk-retry', async (data: unknown) => {
        const d = data as Record<string, unknown>;
        received.push({ topic: 'bulk-retry', data: d, headers: {} });
        const key = String(d.marker);
        if (retried.has(key)) return DaprPubSubStatusEnum.SUCCESS;
        retried.add(key);
        return DaprPubSubStatusEnum.RETRY;
      }, { maxMessagesCount: 2, maxAwaitDurationMs: 200 });
      await server.start();
      servers.push(server);
      await sc.waitReady();
      await waitFor(() => /Subscribed to topic bulk-orders /.test(sc.output) && /Subscribed to topic bulk-retry /.test(sc.output), 'the subscriptions');
    });

    for (const caller of PROTOCOLS) {
      test(`DaprClient over ${caller.name} publishes 4 events; they arrive as one batch (maxMessagesCount)`, async () => {
        const client = new DaprClient({
          daprHost: '127.0.0.1', daprPort: String(caller.port(sc)), communicationProtocol: caller.proto, daprApiToken: TOKEN,
          logger: { level: LogLevel.Error },
        });
        clients.push(client);
        const marker = `${appProto.name}-${caller.name}-${Date.now()}`;
        // One by one: with maxAwaitDurationMs out of reach, only the 4th event can release the batch.
        for (const i of [1, 2, 3, 4]) {
          const res = await client.pubsub.publish('pubsub', 'bulk-orders', { marker, i });
          assert.ok(!res.error, `publish failed: ${JSON.stringify(res.error)}`);
        }
        const mine = () => received.filter((r) => r.topic === 'bulk-orders' && r.data?.marker === marker);
        await waitFor(() => mine().length === 4, 'the four events');
        assert.deepEqual(mine().map((r) => r.data.i).sort(), [1, 2, 3, 4]);
      });
    }

    test('an event answered RETRY inside a batch is redelivered, then acknowledged', async () => {
      const client = new DaprClient({
        daprHost: '127.0.0.1', daprPort: String(sc.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, daprApiToken: TOKEN,
        logger: { level: LogLevel.Error },
      });
      clients.push(client);
      const marker = `retry-${appProto.name}-${Date.now()}`;
      for (const m of ['a', 'b']) assert.ok(!(await client.pubsub.publish('pubsub', 'bulk-retry', { marker: `${marker}-${m}` })).error);
      const of = (m: string) => received.filter((r) => r.topic === 'bulk-retry' && r.data?.marker === m);
      await waitFor(() => of(`${marker}-a`).length >= 2 && of(`${marker}-b`).length >= 2, 'the redeliveries');
      await new Promise((r) => setTimeout(r, 400));
      assert.deepEqual([of(`${marker}-a`).length, of(`${marker}-b`).length], [2, 2]);
    });

    if (appProto.name === 'gRPC') {
      test('the gRPC app sees the app token and pubsubname metadata, never the API token; the fallback is logged', async () => {
        const h = await waitFor(() => received.find((r) => r.topic === 'bulk-orders')?.headers, 'an event');
        assert.equal(h['dapr-api-token'], APP_TOKEN);
        assert.equal(h['pubsubname'], 'pubsub');
        assert.ok(!JSON.stringify(h).includes(TOKEN), 'API token leaked to the app');
        assert.match(sc.output, /falling back to OnBulkTopicEventAlpha1/);
        assert.equal(sc.output.match(/falling back to OnBulkTopicEventAlpha1/g)?.length, 1, 'the fallback is found once, then remembered');
      });
    }
  });
}
