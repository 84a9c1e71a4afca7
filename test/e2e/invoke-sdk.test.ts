// The official SDK on both ends: @dapr/dapr DaprServer as the app (HTTP and gRPC app
// protocols) and DaprClient as the caller (HTTP and gRPC), through the real sidecar.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DaprClient, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';
import { freePorts, startSidecar, type Sidecar } from '../helpers/sidecar.js';
import { SDK_PROTOCOLS, sdkServer, stopSdk } from '../helpers/sdk.js';

const TOKEN = 'sdk-invoke-token-8e21';
const APP_TOKEN = 'sdk-invoke-app-token-33';
const clients: DaprClient[] = [];
const servers: DaprServer[] = [];

after(() => stopSdk(clients, servers));

const CALLERS = SDK_PROTOCOLS;

for (const appProto of CALLERS) {
  describe(`DaprServer app over ${appProto.name}`, () => {
    let sc: Sidecar;
    const seenHeaders: Array<Record<string, unknown> | undefined> = [];

    before(async () => {
      const [appPort] = await freePorts(1);
      const appId = `sdk-${appProto.name.toLowerCase()}-app`;
      sc = await startSidecar({
        appId, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, waitReady: false,
        args: ['--app-port', String(appPort!), '--app-protocol', appProto.name === 'HTTP' ? 'http' : 'grpc'],
      });
      const server = sdkServer(appProto, appPort!, sc, TOKEN);
      await server.invoker.listen('orders/create', async (data) => {
        seenHeaders.push(data.headers as Record<string, unknown> | undefined);
        const order = JSON.parse(data.body ?? '{}') as { qty: number };
        return { created: true, qty: order.qty * 2 };
      }, { method: HttpMethod.POST });
      await server.start();
      servers.push(server);
      await sc.waitReady();
    });

    for (const caller of CALLERS) {
      test(`DaprClient over ${caller.name} invokes it`, async () => {
        const client = new DaprClient({
          daprHost: '127.0.0.1', daprPort: String(caller.port(sc)), communicationProtocol: caller.proto, daprApiToken: TOKEN,
          logger: { level: LogLevel.Error },
        });
        clients.push(client);
        const res = await client.invoker.invoke(sc.appId, 'orders/create', HttpMethod.POST, { qty: 21 });
        assert.deepEqual(res, { created: true, qty: 42 });
        const h = seenHeaders.at(-1);
        // DaprServer hands the handler the request headers only over HTTP
        if (appProto.name === 'HTTP') {
          assert.ok(h);
          assert.equal(h['dapr-api-token'], APP_TOKEN);
          assert.equal(h['dapr-caller-app-id'], sc.appId);
          assert.ok(!JSON.stringify(h).includes(TOKEN), 'caller token leaked to the app');
        }
      });
    }
  });
}
