// Transparent gRPC proxying: calls to a service the sidecar does not serve, with dapr-app-id
// metadata naming the own app, reach the gRPC app frame by frame (unary and interleaved
// bidi streaming), with the app token and identities set and the caller's token gone; the
// app's status, messages and trailers come back as they are.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { frame, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'proxy-caller-token-6b2f';
const APP_TOKEN = 'proxy-app-token-91aa';
const APP_ID = 'proxied';
const seen: Array<{ path: string; headers: http2.IncomingHttpHeaders }> = [];
let app: http2.Http2Server;
let sc: Sidecar;

before(async () => {
  // A raw gRPC app: echoes every DATA chunk as soon as it arrives, then trailers; '/echo.Echo/Deny'
  // answers trailers-only PERMISSION_DENIED; '/echo.Echo/Hang' never answers; '/echo.Echo/Vanish'
  // drops its connection.
  app = http2.createServer();
  app.on('stream', (stream, headers) => {
    seen.push({ path: String(headers[':path']), headers });
    if (headers[':path'] === '/echo.Echo/Upload') return void upload(stream);
    if (headers[':path'] === '/echo.Echo/Hang') return; // never answers
    if (headers[':path'] === '/echo.Echo/Vanish') return void stream.session?.destroy(); // its connection goes away
    if (headers[':path'] === '/echo.Echo/Deny') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'nope' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-app-header': 'h' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-app-trailer': 't' }));
    stream.on('data', (c: Buffer) => stream.write(c));
    stream.on('end', () => stream.end());
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const port = (app.address() as AddressInfo).port;
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(port), '--app-protocol', 'grpc'] });
});

/** Client streaming: reads nothing for a while (the relay must hold off, not buffer without
 * bound), then answers with the byte count and SHA-256 of everything it received. */
function upload(stream: http2.ServerHttp2Stream): void {
  const hash = createHash('sha256');
  let bytes = 0;
  stream.pause();
  setTimeout(() => stream.resume(), 300);
  stream.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  stream.on('end', () => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frame(Buffer.from(`${bytes} ${hash.digest('hex')}`)));
  });
}

after(async () => {
  await stopAll();
  await new Promise<void>((r) => app.close(() => r()));
});

const md = (extra: Record<string, string> = {}) => ({ 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID, ...extra });

describe('transparent gRPC proxying to the own app', () => {
  test('unary: message, status, headers and trailers relayed; app token set, caller token gone', async () => {
    const msg = Buffer.from('hello proxy');
    const r = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Say', metadata: md({ 'dapr-caller-app-id': 'spoof', 'x-md': 'v' }), messages: [msg] });
    assert.equal(r.code, 0);
    assert.deepEqual(r.messages.map((m) => Buffer.from(m).toString()), ['hello proxy']);
    assert.equal(r.headers['x-app-header'], 'h');
    assert.equal(r.trailers['x-app-trailer'], 't');
    const h = seen.at(-1)!.headers;
    assert.equal(seen.at(-1)!.path, '/echo.Echo/Say');
    assert.equal(h['dapr-api-token'], APP_TOKEN);
    assert.equal(h['dapr-caller-app-id'], APP_ID);
    assert.equal(h['dapr-callee-app-id'], APP_ID);
    assert.equal(h['x-md'], 'v');
    assert.ok(!JSON.stringify(h).includes(TOKEN), 'caller token leaked');
  });

  test('bidi streaming, frame by frame: each message is echoed before the next is sent', async () => {
    const session = http2.connect(`http://127.0.0.1:${sc.grpcPort}`);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/echo.Echo/Chat', 'content-type': 'application/grpc', te: 'trailers', ...md() });
      const received: Buffer[] = [];
      let wake: (() => void) | undefined;
      stream.on('data', (c: Buffer) => {
        received.push(c);
        wake?.();
      });
      const trailers = new Promise<http2.IncomingHttpHeaders>((r) => stream.on('trailers', r));
      for (const word of ['one', 'two', 'three']) {
        const before = Buffer.concat(received).length;
        const got = new Promise<void>((r) => (wake = r));
        stream.write(frame(Buffer.from(word)));
        await got;
        assert.ok(Buffer.concat(received).length > before, `no echo for ${word}`);
      }
      stream.end();
      assert.equal((await trailers)['grpc-status'], '0');
      assert.ok(Buffer.concat(received).equals(Buffer.concat(['one', 'two', 'three'].map((w) => frame(Buffer.from(w))))));
    } finally {
      session.close();
    }
  });

  test('client streaming: 8 MB in 2,048 messages reach a slow app whole and in order', async () => {
    const messages = Array.from({ length: 2048 }, () => randomBytes(4096));
    const sent = Buffer.concat(messages.map((m) => frame(m)));
    const r = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Upload', metadata: md(), messages });
    assert.equal(r.code, 0);
    assert.equal(Buffer.from(r.messages[0]!).toString(), `${sent.length} ${createHash('sha256').update(sent).digest('hex')}`);
  });

  test("the app's trailers-only error passes through", async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Deny', metadata: md(), messages: [new Uint8Array()] });
    assert.equal(r.code, 7); // PERMISSION_DENIED
    assert.equal(r.message, 'nope');
  });

  test('an app whose connection goes away mid-call: the caller gets INTERNAL (ERR_DIRECT_INVOKE) at once, and the next call works', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Vanish', metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID }, messages: [Buffer.from('x')], timeoutMs: 5000 });
    assert.equal(r.code, GrpcStatus.INTERNAL, r.message);
    assert.match(r.message, /the app closed the call without a status/);
    const ok = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Say', metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID }, messages: [Buffer.from('again')] });
    assert.equal(ok.code, GrpcStatus.OK, ok.message);
  });

  test("an app that never answers: the caller's grpc-timeout, which travels to the app, also ends the call in the sidecar (DEADLINE_EXCEEDED)", async () => {
    const before = seen.length;
    const r = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Hang', metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID, 'grpc-timeout': '300m' }, messages: [Buffer.from('x')], timeoutMs: 5000 });
    assert.equal(r.code, GrpcStatus.DEADLINE_EXCEEDED, r.message);
    assert.equal(seen.at(before)?.path, '/echo.Echo/Hang', 'the call reached the app');
    assert.equal(seen.at(before)?.headers['grpc-timeout'], '300m', 'the deadline travelled to the app');
  });

  test('without a valid token nothing reaches the app; another app id is ERR_DIRECT_INVOKE', async () => {
    const n = seen.length;
    for (const token of [undefined, 'wrong']) {
      const metadata: Record<string, string> = { 'dapr-app-id': APP_ID, ...(token ? { 'dapr-api-token': token } : {}) };
      const r = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Say', metadata, messages: [new Uint8Array()] });
      assert.equal(r.code, GrpcStatus.UNAUTHENTICATED);
    }
    const other = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Say', metadata: md({ 'dapr-app-id': 'other' }), messages: [new Uint8Array()] });
    assert.equal(other.code, GrpcStatus.INTERNAL);
    assert.equal(other.errorInfo?.reason, 'ERR_DIRECT_INVOKE');
    assert.equal(seen.length, n);
  });

  test('a sidecar without a gRPC app answers ERR_DIRECT_INVOKE', async () => {
    const plain = await startSidecar({ appId: 'no-grpc-app', token: TOKEN });
    const r = await grpcRaw({ port: plain.grpcPort, path: '/echo.Echo/Say', metadata: md({ 'dapr-app-id': 'no-grpc-app' }), messages: [new Uint8Array()] });
    assert.equal(r.code, GrpcStatus.INTERNAL);
    assert.match(r.message, /needs a gRPC app/);
  });
});
