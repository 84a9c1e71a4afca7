// Transparent gRPC proxying A → B (mutual TLS) → B's gRPC app under load: hundreds of calls in
// flight at once, unary and streaming, all on a few caller connections and the one internal
// connection between the sidecars. Regression for calls that ended without a grpc-status when
// the upstream's HEADERS and DATA arrived in one read (the body was written to the caller
// before its response headers, so node answered with default headers and no trailers), and for
// the sidecar crash that followed (ERR_HTTP2_HEADERS_SENT). Every call must end with status 0,
// its own reply and the app's headers, and both sidecars must stay up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { freePorts, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { frame, grpcRaw } from '../helpers/grpc.js';

const TOK_A = 'load-api-token-alpha-5c31';
const TOK_B = 'load-api-token-beta-77e0';
const UNARY = 500;
const STREAMS = 8;
const BATCH = 50; // UNARY is a multiple of it
const CONNECTIONS = 4;

let app: http2.Http2Server;
let alpha: Sidecar;
let beta: Sidecar;

before(async () => {
  const home = tempDir('pillion-proxy-load-home-');
  // Unary: answers are held until BATCH requests are in, then sent in one go, so that B relays
  // them in a burst and A reads many answers' HEADERS and DATA in one chunk (what load does).
  // Any other unary path is answered at once. Streaming (/load.Echo/Chat): echoes every chunk at once.
  const held: Array<() => void> = [];
  const release = (): void => held.splice(0).forEach((answer) => answer());
  app = http2.createServer();
  app.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    const chat = headers[':path'] === '/load.Echo/Chat';
    if (chat) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-app': 'chat' }, { waitForTrailers: true });
      stream.on('data', (c: Buffer) => stream.write(c));
    } else stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.once('end', () => {
      if (chat) return void stream.end();
      const answer = (): void => {
        if (stream.destroyed) return;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-app': 'unary' }, { waitForTrailers: true });
        stream.end(Buffer.concat(chunks)); // the request frame echoed back
      };
      if (headers[':path'] !== '/load.Echo/Say') return answer();
      held.push(answer);
      if (held.length === BATCH) release();
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const appPort = (app.address() as AddressInfo).port;
  const [ia, ib] = await freePorts(2);
  [alpha, beta] = await Promise.all([
    startSidecar({ appId: 'load-caller', token: TOK_A, home, args: ['--dapr-internal-grpc-port', String(ia)] }),
    startSidecar({ appId: 'load-echo', token: TOK_B, home, args: ['--dapr-internal-grpc-port', String(ib), '--app-port', String(appPort), '--app-protocol', 'grpc'] }),
  ]);
});

after(async () => {
  await stopAll();
  await new Promise<void>((r) => app.close(() => r()));
});

interface Result {
  status?: string;
  contentType?: string;
  app?: string;
  body: Buffer;
  error?: string;
}

function call(session: http2.ClientHttp2Session, path: string, messages: Buffer[]): Promise<Result> {
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'dapr-api-token': TOK_A, 'dapr-app-id': 'load-echo',
    });
    const r: Result = { body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      r.contentType = String(h['content-type']);
      r.app = h['x-app'] as string | undefined;
      if (h['grpc-status'] !== undefined) r.status = String(h['grpc-status']);
    });
    stream.on('trailers', (t) => (r.status = t['grpc-status'] === undefined ? undefined : String(t['grpc-status'])));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (e: NodeJS.ErrnoException) => (r.error = e.code ?? e.message));
    stream.on('close', () => resolve({ ...r, body: Buffer.concat(chunks) }));
    for (const m of messages) stream.write(m);
    stream.end();
  });
}

describe('transparent gRPC proxying A → B under load', () => {
  test(`${UNARY} concurrent unary calls and ${STREAMS} streams all end with grpc-status 0; both sidecars stay up`, async () => {
    const sessions = Array.from({ length: CONNECTIONS }, () => http2.connect(`http://127.0.0.1:${alpha.grpcPort}`).on('error', () => {}));
    try {
      const unary = Array.from({ length: UNARY }, (_, i) => call(sessions[i % CONNECTIONS]!, '/load.Echo/Say', [frame(Buffer.from(`call-${i}`))]));
      const streams = Array.from({ length: STREAMS }, (_, i) =>
        call(sessions[i % CONNECTIONS]!, '/load.Echo/Chat', ['a', 'b', 'c'].map((w) => frame(Buffer.from(`${w}-${i}`)))));
      const [u, s] = await Promise.all([Promise.all(unary), Promise.all(streams)]);
      const bad = [...u, ...s].filter((r) => r.status !== '0' || r.error);
      assert.deepEqual(bad.slice(0, 3), [], `${bad.length} of ${u.length + s.length} calls did not end with grpc-status 0`);
      u.forEach((r, i) => {
        assert.deepEqual(r.body, frame(Buffer.from(`call-${i}`)), `call ${i} got another reply`);
        assert.equal(r.contentType, 'application/grpc');
        assert.equal(r.app, 'unary');
      });
      s.forEach((r, i) => {
        assert.deepEqual(r.body, Buffer.concat(['a', 'b', 'c'].map((w) => frame(Buffer.from(`${w}-${i}`)))));
        assert.equal(r.app, 'chat');
      });
    } finally {
      for (const x of sessions) x.close();
    }
    assert.ok(alpha.running, `sidecar A exited:\n${alpha.output}`);
    assert.ok(beta.running, `sidecar B exited:\n${beta.output}`);
    // and both still serve a call afterwards
    const after = await grpcRaw({ port: alpha.grpcPort, path: '/load.Echo/Once', metadata: { 'dapr-api-token': TOK_A, 'dapr-app-id': 'load-echo' }, messages: [Buffer.from('again')] });
    assert.equal(after.code, 0);
    assert.deepEqual(after.messages.map((m) => Buffer.from(m).toString()), ['again']);
  });
});
