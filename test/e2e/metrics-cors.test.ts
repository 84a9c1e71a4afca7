// Prometheus metrics on --metrics-port, and CORS (--allowed-origins) in front of the token check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRaw, metricValue, scrapeMetrics, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { DAPR_SERVICE, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'metrics-cors-token-8a7b';
const H = { 'dapr-api-token': TOKEN };
const ORIGIN = 'http://a.example';

let sc: Sidecar;

before(async () => {
  sc = await startSidecar({ appId: 'metrics-e2e', token: TOKEN, args: ['--allowed-origins', ORIGIN] });
});
after(stopAll);

/** a gRPC method label, with or without daprd's leading slash */
function grpcCount(text: string, method: string, status: string): number {
  return (
    metricValue(text, 'dapr_grpc_io_server_completed_rpcs', { grpc_server_method: method, grpc_server_status: status }) +
    metricValue(text, 'dapr_grpc_io_server_completed_rpcs', { grpc_server_method: '/' + method, grpc_server_status: status })
  );
}

describe('metrics', () => {
  test('the metrics port serves Prometheus text with process metrics, without a token', async () => {
    const r = await httpRaw({ port: sc.ports.metrics, path: '/metrics' });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.match(r.text, /^process_cpu_seconds_total/m);
    assert.match(r.text, /^process_cpu_user_seconds_total/m);
    assert.match(r.text, /# TYPE dapr_http_server_request_count counter/);
  });

  test('at rest the sidecar sleeps: the event-loop delay histogram samples every 100 ms, not 10', { skip: process.platform !== 'linux' && 'reads /proc (Linux only)' }, async () => {
    assert.match(await scrapeMetrics(sc), /^nodejs_eventloop_lag_p99_seconds/m);
    // Times any thread of the sidecar was woken, from /proc: ~11 a second at rest (the sampling
    // timer, V8's helpers); prom-client's default 10 ms timer alone made it 100.
    const wakeups = (): number => readdirSync(`/proc/${sc.proc.pid}/task`).reduce((n, t) => n + Number(/\nvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${sc.proc.pid}/task/${t}/status`, 'utf8'))?.[1] ?? 0), 0);
    await sleep(500);
    const before = wakeups();
    await sleep(2000);
    const perSecond = (wakeups() - before) / 2;
    assert.ok(perSecond < 50, `woken ${perSecond} times a second at rest`);
  });

  test('dapr_http_server_request_count counts HTTP requests by method, path and status', async () => {
    const before = metricValue(await scrapeMetrics(sc), 'dapr_http_server_request_count', { method: 'GET', path: '/v1.0/metadata', status: '200' });
    for (let i = 0; i < 5; i++) {
      const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: H });
      assert.equal(r.status, 200);
    }
    const text = await scrapeMetrics(sc);
    const after = metricValue(text, 'dapr_http_server_request_count', { method: 'GET', path: '/v1.0/metadata', status: '200' });
    assert.equal(after - before, 5, text.split('\n').filter((l) => l.startsWith('dapr_http_server_request_count')).join('\n'));
    assert.ok(metricValue(text, 'dapr_http_server_request_count', { app_id: 'metrics-e2e' }) >= 5, 'app_id label');
    assert.ok(metricValue(text, 'dapr_http_server_latency_count', { method: 'GET', path: '/v1.0/metadata', status: '200' }) >= 5);
  });

  test('state requests are counted without the key in the path label (bounded cardinality)', async () => {
    for (const key of ['unique-key-aaa', 'unique-key-bbb']) {
      await httpRaw({ port: sc.httpPort, path: `/v1.0/state/statestore/${key}`, headers: H });
    }
    const text = await scrapeMetrics(sc);
    assert.ok(!text.includes('unique-key-aaa'), 'a state key leaked into a metric label');
    const stateLines = text.split('\n').filter((l) => l.startsWith('dapr_http_server_request_count') && l.includes('/v1.0/state/'));
    assert.ok(stateLines.length > 0, 'state requests not counted');
  });

  test('dapr_grpc_io_server_completed_rpcs counts gRPC calls by method and status', async () => {
    const method = 'dapr.proto.runtime.v1.Dapr/GetMetadata';
    const before = grpcCount(await scrapeMetrics(sc), method, 'OK');
    for (let i = 0; i < 3; i++) {
      const r = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, metadata: H, messages: [new Uint8Array()] });
      assert.equal(r.code, GrpcStatus.OK);
    }
    const text = await scrapeMetrics(sc);
    assert.equal(grpcCount(text, method, 'OK') - before, 3, text.split('\n').filter((l) => l.startsWith('dapr_grpc_io_server_completed_rpcs')).join('\n'));
    // a failing call is counted with its status
    await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetState`, metadata: H, messages: [new Uint8Array([0x0a, 0x03, 0x6e, 0x6f, 0x70, 0x12, 0x01, 0x6b])] }); // store "nop"
    assert.ok(grpcCount(await scrapeMetrics(sc), 'dapr.proto.runtime.v1.Dapr/GetState', 'InvalidArgument') >= 1);
  });

  test('denied requests show up in pillion_api_auth_total{result="denied"} for both protocols, and as 401 / Unauthenticated', async () => {
    const before = await scrapeMetrics(sc);
    const httpBefore = metricValue(before, 'pillion_api_auth_total', { protocol: 'http', result: 'denied' });
    const grpcBefore = metricValue(before, 'pillion_api_auth_total', { protocol: 'grpc', result: 'denied' });
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata' })).status, 401);
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': 'wrong' } })).status, 401);
    const g = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, messages: [new Uint8Array()] });
    assert.equal(g.code, GrpcStatus.UNAUTHENTICATED);
    const text = await scrapeMetrics(sc);
    assert.equal(metricValue(text, 'pillion_api_auth_total', { protocol: 'http', result: 'denied' }) - httpBefore, 2);
    assert.equal(metricValue(text, 'pillion_api_auth_total', { protocol: 'grpc', result: 'denied' }) - grpcBefore, 1);
    assert.ok(metricValue(text, 'pillion_api_auth_total', { protocol: 'http', result: 'denied', reason: 'missing' }) >= 1);
    assert.ok(metricValue(text, 'pillion_api_auth_total', { protocol: 'http', result: 'denied', reason: 'mismatch' }) >= 1);
    assert.ok(metricValue(text, 'dapr_http_server_request_count', { status: '401' }) >= 2);
    assert.ok(grpcCount(text, 'dapr.proto.runtime.v1.Dapr/GetMetadata', 'Unauthenticated') >= 1);
  });

  test('the metrics output never contains the token', async () => {
    assert.ok(!(await scrapeMetrics(sc)).includes(TOKEN));
  });

  test('the metrics port serves only /metrics', async () => {
    const r = await httpRaw({ port: sc.ports.metrics, path: '/v1.0/metadata' });
    assert.notEqual(r.status, 200);
  });
});

describe('CORS with --allowed-origins http://a.example', () => {
  test('a preflight from the allowed origin is answered before the token check', async () => {
    const r = await httpRaw({
      port: sc.httpPort,
      method: 'OPTIONS',
      path: '/v1.0/state/statestore',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'dapr-api-token, content-type' },
    });
    assert.ok(r.status === 200 || r.status === 204, `preflight status ${r.status} ${r.text}`);
    assert.equal(r.headers['access-control-allow-origin'], ORIGIN);
    assert.match(String(r.headers['access-control-allow-methods']), /POST/i);
    assert.match(String(r.headers['access-control-allow-headers']), /dapr-api-token/i);
    assert.ok(!r.text.includes('invalid api token'));
  });

  test('a preflight for a path that does not exist is answered the same way', async () => {
    const r = await httpRaw({ port: sc.httpPort, method: 'OPTIONS', path: '/v1.0/whatever', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    assert.ok(r.status === 200 || r.status === 204, `status ${r.status}`);
    assert.equal(r.headers['access-control-allow-origin'], ORIGIN);
  });

  test('a real request from the allowed origin without the token is still 401', async () => {
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { origin: ORIGIN } });
    assert.equal(r.status, 401);
    assert.equal(r.text, 'invalid api token\n');
  });

  test('a real request from the allowed origin with the token gets 200 and Access-Control-Allow-Origin', async () => {
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { origin: ORIGIN, ...H } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], ORIGIN);
  });

  test('another origin gets no Access-Control-Allow-Origin, on preflight or real request', async () => {
    const pre = await httpRaw({ port: sc.httpPort, method: 'OPTIONS', path: '/v1.0/metadata', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    assert.ok(pre.status !== 200 || pre.text === '', 'a refused preflight must not serve data');
    const real = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { origin: 'http://evil.example', ...H } });
    assert.equal(real.headers['access-control-allow-origin'], undefined);
    const lookalike = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { origin: 'http://a.example.evil.example', ...H } });
    assert.equal(lookalike.headers['access-control-allow-origin'], undefined);
  });

  test('an OPTIONS without Access-Control-Request-Method is not a preflight and needs the token', async () => {
    const r = await httpRaw({ port: sc.httpPort, method: 'OPTIONS', path: '/v1.0/metadata', headers: { origin: ORIGIN } });
    assert.equal(r.status, 401);
  });

  test('the log announces CORS and token auth', () => {
    assert.match(sc.output, /Enabled token authentication on HTTP server/);
    assert.ok(!sc.output.includes(TOKEN));
  });
});

describe('CORS off (no --allowed-origins)', () => {
  let plain: Sidecar;
  before(async () => {
    plain = await startSidecar({ appId: 'no-cors' });
  });

  test('a preflight gets no CORS headers and falls to the fallback route', async () => {
    const r = await httpRaw({ port: plain.httpPort, method: 'OPTIONS', path: '/v1.0/metadata', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.equal(r.headers['access-control-allow-methods'], undefined);
    assert.equal(r.status, 404);
  });

  test('a real request with Origin gets no CORS headers', async () => {
    const r = await httpRaw({ port: plain.httpPort, path: '/v1.0/metadata', headers: { origin: ORIGIN } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
});

describe('CORS with --allowed-origins "*"', () => {
  let star: Sidecar;
  before(async () => {
    star = await startSidecar({ appId: 'star-cors', token: TOKEN, args: ['--allowed-origins', '*'] });
  });

  test('any origin may preflight, the real request still needs the token', async () => {
    const pre = await httpRaw({ port: star.httpPort, method: 'OPTIONS', path: '/v1.0/metadata', headers: { origin: 'http://anything.example', 'access-control-request-method': 'GET' } });
    assert.ok(pre.status === 200 || pre.status === 204);
    assert.ok(pre.headers['access-control-allow-origin'] === '*' || pre.headers['access-control-allow-origin'] === 'http://anything.example');
    const real = await httpRaw({ port: star.httpPort, path: '/v1.0/metadata', headers: { origin: 'http://anything.example' } });
    assert.equal(real.status, 401);
  });

  test('allow-all does not also allow credentials (no reflected origin + Allow-Credentials, as daprd)', async () => {
    const r = await httpRaw({ port: star.httpPort, path: '/v1.0/metadata', headers: { origin: 'http://anything.example', ...H } });
    assert.equal(r.status, 200);
    const reflected = r.headers['access-control-allow-origin'] === 'http://anything.example';
    const creds = r.headers['access-control-allow-credentials'] === 'true';
    assert.ok(!(reflected && creds), 'any origin is reflected together with Access-Control-Allow-Credentials: true');
  });
});
