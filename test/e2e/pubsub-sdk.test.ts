// Pub/sub with the official SDK on both ends: @dapr/dapr DaprServer as the subscribing app
// (HTTP and gRPC app protocols) and DaprClient publishing (HTTP and gRPC), through the real
// sidecar and its embedded in-memory pub/sub `pubsub`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaprClient, DaprServer, LogLevel } from '@dapr/dapr';
import { freePorts, startSidecar, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';
import { SDK_PROTOCOLS, sdkServer, stopSdk } from '../helpers/sdk.js';

const TOKEN = 'sdk-pubsub-token-71b4';
const APP_TOKEN = 'sdk-pubsub-app-token-90';
const clients: DaprClient[] = [];
const servers: DaprServer[] = [];

after(() => stopSdk(clients, servers));

const PROTOCOLS = SDK_PROTOCOLS;


for (const appProto of PROTOCOLS) {
  describe(`DaprServer subscribing over ${appProto.name}`, () => {
    let sc: Sidecar;
    const received: Array<{ topic: string; data: unknown; headers: unknown }> = [];

    before(async () => {
      const [appPort] = await freePorts(1);
      sc = await startSidecar({
        appId: `sdk-sub-${appProto.name.toLowerCase()}`, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, waitReady: false,
        args: ['--app-port', String(appPort!), '--app-protocol', appProto.name === 'HTTP' ? 'http' : 'grpc'],
      });
      const server = sdkServer(appProto, appPort!, sc, TOKEN);
      for (const topic of ['orders', 'notes']) {
        await server.pubsub.subscribe('pubsub', topic, async (data: unknown, headers: unknown) => {
          received.push({ topic, data, headers });
        });
      }
      await server.start();
      servers.push(server);
      await sc.waitReady();
      // Subscriptions are read once the app answered; wait until the sidecar says so.
      await waitFor(() => (/Subscribed to topic notes/.test(sc.output) ? true : undefined), 'the subscriptions');
    });

    for (const caller of PROTOCOLS) {
      test(`DaprClient over ${caller.name} publishes; the app receives the data`, async () => {
        const client = new DaprClient({
          daprHost: '127.0.0.1', daprPort: String(caller.port(sc)), communicationProtocol: caller.proto, daprApiToken: TOKEN,
          logger: { level: LogLevel.Error },
        });
        clients.push(client);
        const marker = `${appProto.name}-${caller.name}-${Date.now()}`;
        const res = await client.pubsub.publish('pubsub', 'orders', { id: marker, qty: 3 });
        assert.ok(!res.error, `publish failed: ${JSON.stringify(res.error)}`);
        const got = await waitFor(() => received.find((r) => JSON.stringify(r.data).includes(marker)), 'the event');
        assert.equal(got.topic, 'orders');
        assert.deepEqual(got.data, { id: marker, qty: 3 });
        const res2 = await client.pubsub.publish('pubsub', 'notes', `plain ${marker}`, { contentType: 'text/plain' });
        assert.ok(!res2.error, `publish failed: ${JSON.stringify(res2.error)}`);
        const note = await waitFor(() => received.find((r) => r.topic === 'notes' && String(r.data).includes(marker)), 'the text event');
        assert.equal(note.data, `plain ${marker}`);
        // publishBulk: over HTTP the SDK names the field `entryID`, which daprd (Go's
        // case-insensitive JSON decoding) accepts; so must Pillion.
        const bulk = await client.pubsub.publishBulk('pubsub', 'orders', [{ id: `${marker}-b1` }, { id: `${marker}-b2` }]);
        assert.deepEqual(bulk.failedMessages, [], `bulk publish failed: ${JSON.stringify(bulk)}`);
        for (const n of ['b1', 'b2']) await waitFor(() => received.find((r) => JSON.stringify(r.data).includes(`${marker}-${n}`)), `bulk entry ${n}`);
      });
    }

    if (appProto.name === 'HTTP') {
      test('the HTTP app sees the app token, never the API token', async () => {
        const h = await waitFor(() => received.find((r) => r.topic === 'orders')?.headers as Record<string, string> | undefined, 'an event');
        assert.equal(h['dapr-api-token'], APP_TOKEN);
        assert.equal(h['pubsubname'], 'pubsub');
        assert.equal(h['content-type'], 'application/cloudevents+json');
        assert.ok(!JSON.stringify(h).includes(TOKEN), 'API token leaked to the app');
      });
    }
  });
}
