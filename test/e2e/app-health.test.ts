// App health checks with an HTTP app (--enable-app-health-check): the sidecar probes
// GET <path>, refuses service invocation on both APIs while the app is unhealthy (daprd's
// ERR_DIRECT_INVOKE "app is not in a healthy state"), recovers on the first passing probe,
// keeps its own healthz up, logs and counts the changes, shows the settings in the metadata
// API, and sends the app token on probes only with --app-health-probe-token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { httpRaw, jsonOf, metricValue, runCli, scrapeMetrics, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { headerValues } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';
import { eventually, startHealthHttpApp, type HealthHttpApp } from '../helpers/health-apps.js';

const TOKEN = 'health-caller-token-7d1';
const APP_TOKEN = 'health-app-token-3f9';
const APP_ID = 'health-http';
const UNHEALTHY = `failed to invoke, id: ${APP_ID}, err: rpc error: code = Internal desc = app is not in a healthy state`;
const HEALTH_FLAGS = ['--enable-app-health-check', '--app-health-probe-interval', '1', '--app-health-probe-timeout', '500', '--app-health-threshold', '2'];

let app: HealthHttpApp;
let sc: Sidecar;

before(async () => {
  app = await startHealthHttpApp();
  app.healthStatus = 503; // unhealthy from the start: it never passed a probe yet
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(app.port), ...HEALTH_FLAGS] });
});
after(async () => {
  await stopAll();
  await app.close();
});

const invokeHttp = () => httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/invoke/${APP_ID}/method/orders`, headers: { 'dapr-api-token': TOKEN }, body: 'x' });
const invokeGrpc = () => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method: 'orders', httpExtension: { verb: HTTPExtension_Verb.POST } } });

async function assertRefused(): Promise<void> {
  const res = await invokeHttp();
  assert.equal(res.status, 500, res.text);
  assert.deepEqual(jsonOf(res), { errorCode: 'ERR_DIRECT_INVOKE', message: UNHEALTHY });
  const err = await grpcError(invokeGrpc);
  assert.equal(err.code, Code.Internal);
  assert.equal(err.rawMessage, UNHEALTHY);
  assert.equal(err.info?.reason, 'ERR_DIRECT_INVOKE');
}

async function assertServed(): Promise<void> {
  const res = await invokeHttp();
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'hello from /orders');
  const g = await invokeGrpc();
  assert.equal(Buffer.from(g.data!.value).toString(), 'hello from /orders');
}

describe('HTTP app health', () => {
  test('an app that has not passed a probe gets no invocation; the sidecar itself is healthy', async () => {
    await eventually(() => assert.ok(app.probes().length >= 2, 'probes arrive'));
    await assertRefused();
    assert.equal(app.calls().length, 0, 'nothing reached the app');
    const hz = await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' });
    assert.equal(hz.status, 204, 'app health does not change the sidecar healthz (as daprd)');
  });

  test('probes are GET <path> without any token (the flag is off, as in daprd)', () => {
    const p = app.probes()[0]!;
    assert.equal(p.method, 'GET');
    assert.equal(p.url, '/healthz');
    assert.deepEqual(headerValues(p.rawHeaders, 'dapr-api-token'), []);
    assert.ok(!p.rawHeaders.join('\n').includes(APP_TOKEN) && !p.rawHeaders.join('\n').includes(TOKEN), 'no token on a probe');
  });

  test('the first passing probe makes it healthy: invocation works on both APIs', async () => {
    app.healthStatus = 200;
    await eventually(assertServed);
    await eventually(() => assert.match(sc.output, /App entered healthy status/));
  });

  test('threshold failed probes make it unhealthy again: refused on both APIs, app not called', async () => {
    app.healthStatus = 500;
    await eventually(assertRefused);
    const calls = app.calls().length;
    await assertRefused();
    assert.equal(app.calls().length, calls, 'a refused call does not reach the app');
    await eventually(() => assert.match(sc.output, /App entered un-healthy status: Health check failed with status code: 500/));
  });

  test('recovery: the first passing probe restores invocation', async () => {
    app.healthStatus = 204;
    await eventually(assertServed);
  });

  test('metadata shows the health settings as daprd does, on both APIs', async () => {
    const want = { healthCheckPath: '/healthz', healthProbeInterval: '1s', healthProbeTimeout: '500ms', healthThreshold: 2 };
    const res = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } });
    const md = jsonOf<{ appConnectionProperties: { health: unknown } }>(res);
    assert.deepEqual(md.appConnectionProperties.health, want);
    const g = await daprGrpcClient(sc.grpcPort, TOKEN).getMetadata({});
    const h = g.appConnectionProperties!.health!;
    assert.deepEqual({ healthCheckPath: h.healthCheckPath, healthProbeInterval: h.healthProbeInterval, healthProbeTimeout: h.healthProbeTimeout, healthThreshold: h.healthThreshold }, want);
  });

  test("probe metrics carry daprd's names; the status gauge follows the app", async () => {
    const text = await scrapeMetrics(sc);
    assert.ok(metricValue(text, 'dapr_http_healthprobes_completed_count', { app_id: APP_ID, status: '200' }) >= 1, text);
    assert.ok(metricValue(text, 'dapr_http_healthprobes_completed_count', { status: '503' }) >= 1);
    assert.ok(metricValue(text, 'dapr_http_healthprobes_completed_count', { status: '500' }) >= 1);
    assert.ok(metricValue(text, 'dapr_http_healthprobes_roundtrip_latency_count', { status: '204' }) >= 1);
    assert.equal(metricValue(text, 'pillion_app_healthy'), 1);
  });
});

describe('--app-health-probe-token and other settings', () => {
  test('with the flag, probes carry the app token under --app-token-header (never the caller token)', async () => {
    const app2 = await startHealthHttpApp('/ready');
    try {
      const sc2 = await startSidecar({
        appId: 'health-token', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN },
        args: ['--app-port', String(app2.port), ...HEALTH_FLAGS, '--app-health-check-path', 'ready', '--app-health-probe-token', '--app-token-header', 'x-app-key'],
      });
      await eventually(() => assert.ok(app2.probes().length >= 1));
      const p = app2.probes()[0]!;
      assert.deepEqual(headerValues(p.rawHeaders, 'x-app-key'), [APP_TOKEN]);
      assert.ok(!p.rawHeaders.join('\n').includes(TOKEN), 'caller token never on a probe');
      assert.ok(!sc2.output.includes(APP_TOKEN) && !sc2.output.includes(TOKEN), 'no token in the log');
      await sc2.stop();
    } finally {
      await app2.close();
    }
  });

  test('an app that stops listening becomes unhealthy (network error)', async () => {
    const app3 = await startHealthHttpApp();
    const sc3 = await startSidecar({ appId: 'health-gone', args: ['--app-port', String(app3.port), ...HEALTH_FLAGS] });
    await eventually(() => assert.match(sc3.output, /App entered healthy status/));
    await app3.close();
    await eventually(() => assert.match(sc3.output, /App entered un-healthy status: Network error: ECONNREFUSED/));
    const res = await httpRaw({ port: sc3.httpPort, method: 'GET', path: '/v1.0/invoke/health-gone/method/x' });
    assert.equal(jsonOf<{ message: string }>(res).message, 'failed to invoke, id: health-gone, err: rpc error: code = Internal desc = app is not in a healthy state');
    await sc3.stop();
  });

  test('without --enable-app-health-check nothing is probed and metadata has no health', async () => {
    const app4 = await startHealthHttpApp();
    try {
      const sc4 = await startSidecar({ appId: 'health-off', args: ['--app-port', String(app4.port)] });
      const res = await httpRaw({ port: sc4.httpPort, method: 'GET', path: '/v1.0/invoke/health-off/method/x' });
      assert.equal(res.status, 200);
      assert.equal(app4.probes().length, 0);
      const md = jsonOf<{ appConnectionProperties: Record<string, unknown> }>(await httpRaw({ port: sc4.httpPort, path: '/v1.0/metadata' }));
      assert.equal(md.appConnectionProperties.health, undefined);
      await sc4.stop();
    } finally {
      await app4.close();
    }
  });

  test('--dapr-block-shutdown-duration ends early when the app reports unhealthy, as in daprd', async () => {
    const app5 = await startHealthHttpApp();
    try {
      const sc5 = await startSidecar({ appId: 'health-block', args: ['--app-port', String(app5.port), ...HEALTH_FLAGS, '--dapr-block-shutdown-duration', '300s'] });
      await eventually(() => assert.match(sc5.output, /App entered healthy status/));
      sc5.proc.kill('SIGTERM');
      await eventually(() => assert.match(sc5.output, /Blocking shutdown for 300000ms \(--dapr-block-shutdown-duration\) or until the app reports unhealthy/));
      assert.equal(sc5.running, true, 'still serving while the app is healthy');
      app5.healthStatus = 503;
      const exit = await sc5.waitExit(20_000); // far below the 300 s block
      assert.equal(exit.code, 0);
      assert.match(sc5.output, /App reported unhealthy, entering shutdown\.\.\./);
    } finally {
      await app5.close();
    }
  });

  test('a probe timeout longer than the interval is refused at start-up (exit 2), as daprd refuses it', async () => {
    const r = await runCli(['run', '--app-id', 'x', '--app-health-probe-interval', '1', '--app-health-probe-timeout', '1500']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--app-health-probe-timeout \(1500 ms\) must not be longer than --app-health-probe-interval \(1 s\)/);
  });
});
