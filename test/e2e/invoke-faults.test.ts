// The app channel when things go wrong, against the real process: an app that is not
// listening yet (the sidecar serves its APIs and waits), one that goes away, one that is
// slow (--app-call-timeout), one that answers garbage; --app-max-concurrency; no app port.
import { after, describe, test } from 'node:test';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import assert from 'node:assert/strict';
import { freePorts, sleep, startSidecar, stopAll } from '../helpers/sidecar.js';
import { request, startHttpApp } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';

const TOKEN = 'faults-token-19ab';
const auth: Array<[string, string]> = [['dapr-api-token', TOKEN]];
const errorOf = (b: Buffer) => JSON.parse(b.toString()) as { errorCode: string; message: string };

after(() => stopAll());

describe('start-up: waiting for the app port', () => {
  test('APIs serve while waiting; healthz 500 until the app listens, outbound 204; invoke not ready, then works', async () => {
    const [appPort] = await freePorts(1);
    const sc = await startSidecar({ appId: 'late', token: TOKEN, args: ['--app-port', String(appPort)], waitReady: false });
    let outbound = 0;
    for (let i = 0; i < 200 && outbound !== 204; i++) {
      outbound = await request(sc.httpPort, 'GET', '/v1.0/healthz/outbound').then((r) => r.status, () => 0);
      if (outbound !== 204) await sleep(25);
    }
    assert.equal(outbound, 204);
    assert.equal((await request(sc.httpPort, 'GET', '/v1.0/healthz')).status, 500);
    assert.equal((await request(sc.httpPort, 'GET', '/v1.0/metadata', auth)).status, 200, 'APIs are served while waiting');
    const early = await request(sc.httpPort, 'GET', '/v1.0/invoke/late/method/x', auth);
    assert.equal(early.status, 500);
    assert.deepEqual(errorOf(early.body), { errorCode: 'ERR_DIRECT_INVOKE_NOT_READY', message: 'invoke API is not ready' });
    assert.match(sc.output, new RegExp(`waiting on port ${appPort}`));

    const app = await startHttpApp(appPort);
    try {
      await sc.waitReady(5000);
      assert.equal((await request(sc.httpPort, 'GET', '/v1.0/invoke/late/method/x', auth)).status, 200);
      assert.match(sc.output, /application discovered on port/);
    } finally {
      await app.close();
    }
  });
});

describe('failures', () => {
  test('an app that went away: 500 ERR_DIRECT_INVOKE (HTTP) / INTERNAL (gRPC)', async () => {
    const app = await startHttpApp();
    const sc = await startSidecar({ appId: 'gone', token: TOKEN, args: ['--app-port', String(app.port)] });
    await app.close();
    const res = await request(sc.httpPort, 'POST', '/v1.0/invoke/gone/method/x', auth, 'b');
    assert.equal(res.status, 500);
    const e = errorOf(res.body);
    assert.equal(e.errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(e.message, /^failed to invoke, id: gone, err: the app is not reachable/);
    assert.ok(!e.message.includes(TOKEN));
    const g = await grpcError(() => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: 'gone', message: { method: 'x' } }));
    assert.equal(g.code, Code.Internal);
    assert.equal(g.info?.reason, 'ERR_DIRECT_INVOKE');
  });

  test('a slow app: 504 ERR_DIRECT_INVOKE after --app-call-timeout; DEADLINE_EXCEEDED on gRPC; the sidecar keeps serving', async () => {
    const app = await startHttpApp();
    app.answer = (s) => (s.url.startsWith('/slow') ? { delayMs: 2000, body: 'late' } : { body: 'fast' });
    try {
      const sc = await startSidecar({ appId: 'slow', token: TOKEN, args: ['--app-port', String(app.port), '--app-call-timeout', '300ms'] });
      const t0 = Date.now();
      const res = await request(sc.httpPort, 'GET', '/v1.0/invoke/slow/method/slow', auth);
      assert.ok(Date.now() - t0 < 1500);
      assert.equal(res.status, 504);
      assert.equal(errorOf(res.body).errorCode, 'ERR_DIRECT_INVOKE');
      const g = await grpcError(() => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: 'slow', message: { method: 'slow', httpExtension: { verb: HTTPExtension_Verb.POST } } }));
      assert.equal(g.code, Code.DeadlineExceeded);
      assert.equal((await request(sc.httpPort, 'GET', '/v1.0/invoke/slow/method/fast', auth)).body.toString(), 'fast');
    } finally {
      await app.close();
    }
  });

  test('an app answering bytes that are not HTTP: 500 ERR_DIRECT_INVOKE; odd statuses pass through', async () => {
    const app = await startHttpApp();
    app.answer = (s) => (s.url === '/garbage' ? { garbage: '\x00\x01 not http at all\r\n\r\n' } : { status: 599, body: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
    try {
      const sc = await startSidecar({ appId: 'junk', token: TOKEN, args: ['--app-port', String(app.port)] });
      const bad = await request(sc.httpPort, 'GET', '/v1.0/invoke/junk/method/garbage', auth);
      assert.equal(bad.status, 500);
      assert.equal(errorOf(bad.body).errorCode, 'ERR_DIRECT_INVOKE');
      const odd = await request(sc.httpPort, 'GET', '/v1.0/invoke/junk/method/odd', auth);
      assert.equal(odd.status, 599);
      assert.deepEqual([...odd.body], [0xde, 0xad, 0xbe, 0xef]);
    } finally {
      await app.close();
    }
  });

  test('an app answering a status below 100 (node reads any three digits): 500 ERR_DIRECT_INVOKE, and the sidecar keeps serving', async () => {
    const app = await startHttpApp();
    app.answer = (s) => ({ garbage: `HTTP/1.1 ${s.url.slice(1)} X\r\ncontent-length: 2\r\n\r\nhi` });
    try {
      const sc = await startSidecar({ appId: 'low-status', token: TOKEN, args: ['--app-port', String(app.port)] });
      for (const status of ['000', '001', '099']) {
        const bad = await request(sc.httpPort, 'GET', `/v1.0/invoke/low-status/method/${status}`, auth);
        assert.equal(bad.status, 500);
        assert.deepEqual(errorOf(bad.body), { errorCode: 'ERR_DIRECT_INVOKE', message: `failed to invoke, id: low-status, err: the app answered with HTTP status ${Number(status)}` });
      }
      assert.ok(sc.running, sc.output);
      assert.equal((await request(sc.httpPort, 'GET', '/v1.0/healthz', [])).status, 204);
    } finally {
      await app.close();
    }
  });

  test('a chunked answer whose framing breaks before its first byte: 500 ERR_DIRECT_INVOKE, not an empty reply', async () => {
    const app = await startHttpApp();
    app.answer = (s) => ({ garbage: s.url === '/bad-chunk' ? 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nxx\r\n' : 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n' });
    try {
      const sc = await startSidecar({ appId: 'bad-chunk', token: TOKEN, args: ['--app-port', String(app.port)] });
      const bad = await request(sc.httpPort, 'GET', '/v1.0/invoke/bad-chunk/method/bad-chunk', auth);
      assert.equal(bad.status, 500);
      assert.equal(errorOf(bad.body).errorCode, 'ERR_DIRECT_INVOKE');
      assert.match(errorOf(bad.body).message, /^failed to invoke, id: bad-chunk, err: the app's answer broke off/);
      const good = await request(sc.httpPort, 'GET', '/v1.0/invoke/bad-chunk/method/good', auth);
      assert.equal(good.status, 200);
      assert.equal(good.body.toString(), 'ok');
    } finally {
      await app.close();
    }
  });

  test('--app-max-concurrency 1: calls reach the app one at a time', async () => {
    const app = await startHttpApp();
    app.answer = () => ({ delayMs: 100, body: 'ok' });
    try {
      const sc = await startSidecar({ appId: 'serial', token: TOKEN, args: ['--app-port', String(app.port), '--app-max-concurrency', '1'] });
      const all = await Promise.all([1, 2, 3, 4].map(() => request(sc.httpPort, 'POST', '/v1.0/invoke/serial/method/x', auth, 'b')));
      assert.deepEqual(all.map((r) => r.status), [200, 200, 200, 200]);
      assert.equal(app.maxInFlight, 1);
    } finally {
      await app.close();
    }
  });

  test('no --app-port: ERR_DIRECT_INVOKE naming the missing app channel', async () => {
    const sc = await startSidecar({ appId: 'alone', token: TOKEN });
    const res = await request(sc.httpPort, 'GET', '/v1.0/invoke/alone/method/x', auth);
    assert.equal(res.status, 500);
    assert.match(errorOf(res.body).message, /app channel is not initialized/);
  });
});
