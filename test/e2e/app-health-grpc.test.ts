// App health checks with a gRPC app (--app-protocol grpc): the sidecar calls
// AppCallbackHealthCheck/HealthCheck, refuses invocation on both APIs while it fails, recovers
// on the first OK, shows no health path in the metadata (as daprd), and sets the app token on
// the probe metadata only with --app-health-probe-token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { httpRaw, jsonOf, metricValue, scrapeMetrics, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';
import { eventually, startHealthGrpcApp, type HealthGrpcApp } from '../helpers/health-apps.js';

const TOKEN = 'grpc-health-caller-token-41';
const APP_TOKEN = 'grpc-health-app-token-8e';
const APP_ID = 'health-grpc';
const UNHEALTHY = `failed to invoke, id: ${APP_ID}, err: rpc error: code = Internal desc = app is not in a healthy state`;
const HEALTH_FLAGS = ['--app-protocol', 'grpc', '--enable-app-health-check', '--app-health-probe-interval', '1', '--app-health-threshold', '1'];

let app: HealthGrpcApp;
let sc: Sidecar;

before(async () => {
  app = await startHealthGrpcApp();
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(app.port), ...HEALTH_FLAGS] });
});
after(async () => {
  await stopAll();
  await app.close();
});

const invokeHttp = () => httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/invoke/${APP_ID}/method/ping`, headers: { 'dapr-api-token': TOKEN }, body: '{}' });
const invokeGrpc = () => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method: 'ping', httpExtension: { verb: HTTPExtension_Verb.POST } } });

async function assertServed(): Promise<void> {
  const res = await invokeHttp();
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'hello from ping');
  assert.equal(Buffer.from((await invokeGrpc()).data!.value).toString(), 'hello from ping');
}

async function assertRefused(): Promise<void> {
  const res = await invokeHttp();
  assert.equal(res.status, 500, res.text);
  assert.deepEqual(jsonOf(res), { errorCode: 'ERR_DIRECT_INVOKE', message: UNHEALTHY });
  const err = await grpcError(invokeGrpc);
  assert.equal(err.code, Code.Internal);
  assert.equal(err.rawMessage, UNHEALTHY);
}

describe('gRPC app health', () => {
  test('a healthy gRPC app is invoked; probes carry no token without the flag', async () => {
    await eventually(assertServed);
    assert.ok(app.probes.length >= 1);
    const md = app.probes[0]!;
    assert.equal(md['dapr-api-token'], undefined);
    assert.ok(!JSON.stringify(app.probes).includes(TOKEN), 'caller token never on a probe');
  });

  test('HealthCheck failing makes it unhealthy: invocation refused on both APIs; OK again restores it', async () => {
    app.healthy = false;
    await eventually(assertRefused);
    const seen = app.invocations.length;
    await assertRefused();
    assert.equal(app.invocations.length, seen, 'a refused call does not reach the app');
    await eventually(() => assert.match(sc.output, /App entered un-healthy status: Health check failed: rpc error: code = Unavailable desc = app says it is down/));
    app.healthy = true;
    await eventually(assertServed);
  });

  test('metadata: no healthCheckPath for a gRPC app, as daprd', async () => {
    const md = jsonOf<{ appConnectionProperties: Record<string, unknown> }>(await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } }));
    assert.deepEqual(md.appConnectionProperties.health, { healthProbeInterval: '1s', healthProbeTimeout: '500ms', healthThreshold: 1 });
    const g = await daprGrpcClient(sc.grpcPort, TOKEN).getMetadata({});
    assert.equal(g.appConnectionProperties!.health!.healthCheckPath, '');
  });

  test("probe metrics use daprd's gRPC names", async () => {
    const text = await scrapeMetrics(sc);
    assert.ok(metricValue(text, 'dapr_grpc_io_healthprobes_completed_count', { grpc_client_status: 'OK' }) >= 1, text);
    assert.ok(metricValue(text, 'dapr_grpc_io_healthprobes_completed_count', { grpc_client_status: 'Unavailable' }) >= 1);
  });
});

describe('other gRPC apps', () => {
  test('with --app-health-probe-token the probe metadata carries the app token', async () => {
    const app2 = await startHealthGrpcApp();
    try {
      const sc2 = await startSidecar({ appId: 'health-grpc-token', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(app2.port), ...HEALTH_FLAGS, '--app-health-probe-token'] });
      await eventually(() => assert.ok(app2.probes.length >= 1));
      assert.equal(app2.probes[0]!['dapr-api-token'], APP_TOKEN);
      assert.ok(!sc2.output.includes(APP_TOKEN), 'the app token is never logged');
      await sc2.stop();
    } finally {
      await app2.close();
    }
  });

  test('an app without the AppCallbackHealthCheck service never becomes healthy (Unimplemented)', async () => {
    const app3 = await startHealthGrpcApp(false);
    try {
      const sc3 = await startSidecar({ appId: 'health-grpc-none', args: ['--app-port', String(app3.port), ...HEALTH_FLAGS] });
      await eventually(async () => {
        const text = await scrapeMetrics(sc3);
        assert.ok(metricValue(text, 'dapr_grpc_io_healthprobes_completed_count', { grpc_client_status: 'Unimplemented' }) >= 1);
      });
      const res = await httpRaw({ port: sc3.httpPort, method: 'POST', path: '/v1.0/invoke/health-grpc-none/method/ping', body: '' });
      assert.equal(jsonOf<{ message: string }>(res).message, 'failed to invoke, id: health-grpc-none, err: rpc error: code = Internal desc = app is not in a healthy state');
      assert.equal(app3.invocations.length, 0);
      await sc3.stop();
    } finally {
      await app3.close();
    }
  });
});
