// The official SDK across two sidecars: @dapr/dapr DaprClient (HTTP and gRPC) talking to its
// own sidecar with ITS token, invoking a DaprServer app (HTTP and gRPC app protocols) behind
// ANOTHER sidecar with another API token and another app token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaprClient, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';
import { freePorts, startSidecar, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { SDK_PROTOCOLS, stopSdk } from '../helpers/sdk.js';

const CALLER_TOKEN = 'remote-sdk-caller-token-41d2';
const CALLER_APP_TOKEN = 'remote-sdk-caller-app-token-0c9b';
const SERVER_TOKEN = 'remote-sdk-server-token-7ae3';
const SERVER_APP_TOKEN = 'remote-sdk-server-app-token-e510';
const clients: DaprClient[] = [];
const servers: DaprServer[] = [];
let home: string;
let caller: Sidecar;

before(async () => {
  home = tempDir('pillion-remote-sdk-home-');
  const [internal] = await freePorts(1);
  caller = await startSidecar({ appId: 'sdk-caller', token: CALLER_TOKEN, home, env: { APP_API_TOKEN: CALLER_APP_TOKEN }, args: ['--dapr-internal-grpc-port', String(internal)] });
});

after(() => stopSdk(clients, servers));

const PROTOCOLS = SDK_PROTOCOLS;

for (const appProto of PROTOCOLS) {
  describe(`remote DaprServer app over ${appProto.name}`, () => {
    const appId = `sdk-remote-${appProto.name.toLowerCase()}`;
    const seenHeaders: Array<Record<string, unknown> | undefined> = [];

    before(async () => {
      const [appPort, internal] = await freePorts(2);
      const sc = await startSidecar({
        appId, token: SERVER_TOKEN, home, env: { APP_API_TOKEN: SERVER_APP_TOKEN }, waitReady: false,
        args: ['--app-port', String(appPort!), '--app-protocol', appProto.name === 'HTTP' ? 'http' : 'grpc', '--dapr-internal-grpc-port', String(internal)],
      });
      const server = new DaprServer({
        serverHost: '127.0.0.1',
        serverPort: String(appPort),
        communicationProtocol: appProto.proto,
        clientOptions: { daprHost: '127.0.0.1', daprPort: String(appProto.port(sc)), daprApiToken: SERVER_TOKEN, communicationProtocol: appProto.proto },
        logger: { level: LogLevel.Error },
      });
      await server.invoker.listen('orders/create', async (data) => {
        seenHeaders.push(data.headers as Record<string, unknown> | undefined);
        const order = JSON.parse(data.body ?? '{}') as { qty: number };
        return { created: true, qty: order.qty * 3 };
      }, { method: HttpMethod.POST });
      await server.start();
      servers.push(server);
      await sc.waitReady();
    });

    for (const client of PROTOCOLS) {
      test(`DaprClient over ${client.name} at the caller's sidecar invokes it`, async () => {
        const c = new DaprClient({
          daprHost: '127.0.0.1', daprPort: String(client.port(caller)), communicationProtocol: client.proto, daprApiToken: CALLER_TOKEN,
          logger: { level: LogLevel.Error },
        });
        clients.push(c);
        const res = await c.invoker.invoke(appId, 'orders/create', HttpMethod.POST, { qty: 7 });
        assert.deepEqual(res, { created: true, qty: 21 });
        // DaprServer hands the handler the request headers only over HTTP
        if (appProto.name === 'HTTP') {
          const h = seenHeaders.at(-1);
          assert.ok(h);
          assert.equal(h['dapr-api-token'], SERVER_APP_TOKEN);
          assert.equal(h['dapr-caller-app-id'], 'sdk-caller');
          assert.equal(h['dapr-callee-app-id'], appId);
          const text = JSON.stringify(h);
          for (const secret of [CALLER_TOKEN, CALLER_APP_TOKEN, SERVER_TOKEN]) assert.ok(!text.includes(secret), 'a foreign token reached the app');
        }
      });
    }
  });
}
