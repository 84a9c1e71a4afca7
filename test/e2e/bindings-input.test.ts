// Input bindings (bindings.cron `@every 1s`) delivered by the real `bin/pillion` to its app:
// a plain node:http app (the OPTIONS subscription check, `route`, explicit direction, the app
// token present and the API token absent), the official SDK's DaprServer over HTTP and gRPC,
// and a raw gRPC app whose answer sends data on to an output binding (`to`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { CommunicationProtocolEnum, DaprServer, LogLevel } from '@dapr/dapr';
import { GrpcServer, type CallContext } from '../../src/api/grpc/server.js';
import {
  AppCallback,
  BindingEventResponseSchema,
  ListInputBindingsResponseSchema,
  type BindingEventRequest,
} from '../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { freePorts, httpRaw, jsonOf, metricValue, scrapeMetrics, sleep, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { headerValues, startHttpApp, type RecordingApp } from '../helpers/apps.js';

const TOKEN = 'bindings-in-token-51e0';
const APP_TOKEN = 'bindings-in-app-token-c4d2';
const servers: DaprServer[] = [];
const closers: Array<() => Promise<void>> = [];

after(async () => {
  await stopAll();
  for (const s of servers) await s.stop().catch(() => {});
  for (const c of closers) await c().catch(() => {});
});

const cron = (name: string, extra: Record<string, string> = {}): string =>
  `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec:\n  type: bindings.cron\n  version: v1\n  metadata:\n` +
  Object.entries({ schedule: '@every 1s', ...extra }).map(([k, v]) => `    - { name: ${k}, value: ${JSON.stringify(v)} }\n`).join('');

function resources(files: Record<string, string>): string {
  const dir = tempDir('pillion-bindings-in-');
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('plain HTTP app', () => {
  let sc: Sidecar;
  let app: RecordingApp;

  before(async () => {
    app = await startHttpApp();
    closers.push(() => app.close());
    app.answer = (s) => ({ status: s.method === 'OPTIONS' && s.url === '/tick-unsub' ? 404 : 200 });
    const dir = resources({
      'a.yaml': cron('tick'),
      'b.yaml': cron('tick-explicit', { direction: 'input', route: '/custom-route' }),
      'c.yaml': cron('tick-unsub'),
    });
    sc = await startSidecar({
      appId: 'bindings-in', token: TOKEN, resourcesPaths: [dir], env: { APP_API_TOKEN: APP_TOKEN },
      args: ['--app-port', String(app.port)],
    });
  });

  test('events arrive as POST /<name> after OPTIONS said yes, with the app token and never the API token', async () => {
    const posts = (url: string) => app.seen.filter((s) => s.method === 'POST' && s.url === url);
    await until('two /tick events and one /custom-route event', () => posts('/tick').length >= 2 && posts('/custom-route').length >= 1);
    const options = app.seen.filter((s) => s.method === 'OPTIONS').map((s) => s.url).sort();
    assert.deepEqual(options, ['/tick', '/tick-unsub'], 'explicit direction: input skips the check, as in daprd');
    for (const s of app.seen) {
      assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
      assert.ok(!s.rawHeaders.join('\n').includes(TOKEN), 'the API token reached the app');
    }
    const ev = posts('/tick')[0]!;
    assert.equal(ev.body.length, 0, 'cron events carry no data');
    assert.deepEqual(headerValues(ev.rawHeaders, 'content-type'), ['application/json']);
    assert.deepEqual(headerValues(ev.rawHeaders, 'timezone'), ['Local']);
    assert.match(headerValues(ev.rawHeaders, 'readtimeutc')[0] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    await sleep(1200);
    assert.equal(posts('/tick-unsub').length, 0, 'a binding the app did not take is never delivered');
  });

  test('metadata lists INPUT_BINDING; deliveries are counted', async () => {
    const md = jsonOf<{ components: Array<{ name: string; capabilities?: string[] }> }>(
      await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } }),
    );
    assert.deepEqual(md.components.find((c) => c.name === 'tick')?.capabilities, ['INPUT_BINDING']);
    const text = await scrapeMetrics(sc);
    assert.ok(metricValue(text, 'dapr_component_input_binding_count', { component: 'tick', success: 'true' }) >= 2);
  });

  test('a failing app is logged and counted; the sidecar keeps delivering', async () => {
    app.answer = (s) => ({ status: s.method === 'POST' && s.url === '/tick' ? 500 : 200, body: 'boom' });
    const before = app.seen.filter((s) => s.url === '/tick').length;
    await until('two more /tick attempts', () => app.seen.filter((s) => s.url === '/tick').length >= before + 2);
    await until('the failure counted', () => sc.output.includes('was not taken by the app'));
    const text = await scrapeMetrics(sc);
    assert.ok(metricValue(text, 'dapr_component_input_binding_count', { component: 'tick', success: 'false' }) >= 1);
    assert.ok(sc.running);
  });
});

for (const proto of [CommunicationProtocolEnum.HTTP, CommunicationProtocolEnum.GRPC]) {
  const label = proto === CommunicationProtocolEnum.HTTP ? 'HTTP' : 'gRPC';
  describe(`@dapr/dapr DaprServer over ${label}`, () => {
    test('server.binding.receive gets the cron events', async () => {
      const [appPort] = await freePorts(1);
      const sc = await startSidecar({
        appId: `bindings-sdk-${label.toLowerCase()}`, token: TOKEN, resourcesPaths: [resources({ 'a.yaml': cron('tick') })], waitReady: false,
        args: ['--app-port', String(appPort!), '--app-protocol', label === 'HTTP' ? 'http' : 'grpc'],
      });
      const server = new DaprServer({
        serverHost: '127.0.0.1', serverPort: String(appPort), communicationProtocol: proto,
        clientOptions: { daprHost: '127.0.0.1', daprPort: String(label === 'HTTP' ? sc.httpPort : sc.grpcPort), daprApiToken: TOKEN, communicationProtocol: proto },
        logger: { level: LogLevel.Error },
      });
      let events = 0;
      await server.binding.receive('tick', async () => {
        events++;
      });
      await server.start();
      servers.push(server);
      await sc.waitReady();
      await until('two events in the SDK handler', () => events >= 2);
      await sc.stop();
    });
  });
}

describe('raw gRPC app', () => {
  test('ListInputBindings decides; OnBindingEvent carries the app token; `to` sends the answer on to an output binding', async () => {
    const target = await startHttpApp();
    closers.push(() => target.close());
    const seen: Array<{ req: BindingEventRequest; md: CallContext['metadata'] }> = [];
    let listed: CallContext['metadata'] | undefined;
    const g = new GrpcServer({ maxMessageBytes: 4 << 20, interceptors: [] });
    g.addService(AppCallback, {
      listInputBindings: async (_req: unknown, ctx: CallContext) => {
        listed = ctx.metadata;
        return create(ListInputBindingsResponseSchema, { bindings: ['tick'] });
      },
      onBindingEvent: async (req: BindingEventRequest, ctx: CallContext) => {
        seen.push({ req, md: ctx.metadata });
        return create(BindingEventResponseSchema, { to: ['web'], data: Buffer.from('{"from":"app","n":1}') });
      },
    });
    await new Promise<void>((r) => g.server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => g.close(0));
    const port = (g.server.address() as AddressInfo).port;
    const web = `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: web }\nspec:\n  type: bindings.http\n  version: v1\n  metadata:\n    - { name: url, value: "http://127.0.0.1:${target.port}/in" }\n`;
    const sc = await startSidecar({
      appId: 'bindings-grpc-app', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN },
      resourcesPaths: [resources({ 'a.yaml': cron('tick'), 'b.yaml': cron('not-listed'), 'web.yaml': web })],
      args: ['--app-port', String(port), '--app-protocol', 'grpc'],
    });
    await until('an event and its forwarded answer', () => seen.length >= 1 && target.seen.length >= 1);
    assert.equal(listed?.['dapr-api-token'], APP_TOKEN);
    assert.ok(seen.every((s) => s.req.name === 'tick'), 'only the listed binding is delivered');
    assert.equal(seen[0]!.md['dapr-api-token'], APP_TOKEN);
    assert.equal(seen[0]!.req.metadata.timeZone, 'Local');
    const fwd = target.seen[0]!;
    assert.equal(fwd.method, 'POST');
    assert.equal(fwd.url, '/in');
    assert.equal(fwd.body.toString(), '{"from":"app","n":1}');
    assert.ok(!fwd.rawHeaders.join('\n').includes(APP_TOKEN) && !fwd.rawHeaders.join('\n').includes(TOKEN));
    await sc.stop();
  });
});
