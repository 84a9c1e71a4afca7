// A gRPC app whose answers are out of the ordinary, against the real process: an answer larger
// than --max-body-size fails its own call only (the calls after it, over every path to the app,
// work at once), and a grpc-status that is not a gRPC code is reported as INTERNAL (malformed)
// or UNKNOWN (a number naming no code), never passed on as it came. Its response metadata comes
// back as it sent it, through its own sidecar and through another one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { InvokeRequestSchema, InvokeResponseSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { request } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';
import { frame, grpcRaw } from '../helpers/grpc.js';

const TOKEN = 'grpc-answers-token-3d1e';
const APP_ID = 'grpc-answers';
const auth: Array<[string, string]> = [['dapr-api-token', TOKEN]];
// Past --max-body-size (4Mi by default) and past the app connection's memory budget (node's
// maxSessionMemory, 10 MB), which is what left the connection refusing every later call.
const BIG = 16 << 20;
let app: http2.Http2Server;
let sc: Sidecar;
let caller: Sidecar;

/** A raw gRPC app. OnInvoke answers by method: `big` → an InvokeResponse of BIG bytes,
 * `status/<value>` → trailers `grpc-status: <value>` with message "bad", `no-status` → a message
 * and no grpc-status at all, anything else → "pong". Other paths echo (for the proxy). */
function serve(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const chunks: Buffer[] = [];
  stream.on('error', () => {});
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    const body = Buffer.concat(chunks).subarray(5);
    // an HTTP answer that is no gRPC answer: no grpc-status, an HTTP error status
    if (headers[':path'] === '/web.Page/Missing') return void stream.respond({ ':status': 404, 'content-type': 'text/html' }, { endStream: true });
    if (headers[':path'] !== '/dapr.proto.runtime.v1.AppCallback/OnInvoke') return answer(stream, '0', body);
    const method = fromBinary(InvokeRequestSchema, body).method;
    if (method.startsWith('status/')) return answer(stream, method.slice('status/'.length));
    if (method.startsWith('content-type/')) return answer(stream, '0', invokeResponse(Buffer.from('pong'), CONTENT_TYPES[method.slice('content-type/'.length)]));
    if (method === 'no-status') return answer(stream, undefined, invokeResponse(Buffer.from('pong')));
    if (method.startsWith('metadata/')) return answerWithMetadata(stream, method.slice('metadata/'.length));
    answer(stream, '0', invokeResponse(method === 'big' ? Buffer.alloc(BIG, 0x41) : Buffer.from('pong')));
  });
}

function invokeResponse(data: Buffer, contentType = 'text/plain'): Uint8Array {
  return toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { contentType, data: create(AnySchema, { value: data }) }));
}

// content types a gRPC app may put in InvokeResponse that an HTTP header cannot carry as they are
const CONTENT_TYPES: Record<string, string> = { crlf: 'text/plain\r\nx-injected: 1', utf8: 'text/日本', control: 'text/\u0001plain' };

function answer(stream: http2.ServerHttp2Stream, status: string | undefined, message?: Uint8Array): void {
  if (status === undefined) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    return void stream.end(frame(message!));
  }
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': status, ...(status === '0' ? {} : { 'grpc-message': 'bad' }) }));
  stream.end(message ? frame(message) : undefined);
}

// Metadata a gRPC app sends with its answer, and names it must not be able to set on the
// caller's call (they belong to the transport).
const APP_HEADERS = { 'x-head': 'h1', 'trace-bin': 'AAEC', 'grpc-encoding': 'identity' };
const APP_TRAILERS = { 'x-tail': 't1', 'x-tail-bin': 'AQI' };

/** `metadata/ok` → a message with header and trailer metadata; `metadata/fail` → NOT_FOUND
 * after headers; `metadata/only` → a trailers-only NOT_FOUND with its metadata. */
function answerWithMetadata(stream: http2.ServerHttp2Stream, how: string): void {
  if (how === 'only') {
    return void stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '5', 'grpc-message': 'gone', ...APP_TRAILERS }, { endStream: true });
  }
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...APP_HEADERS }, { waitForTrailers: true });
  const status = how === 'ok' ? { 'grpc-status': '0' } : { 'grpc-status': '5', 'grpc-message': 'gone' };
  stream.on('wantTrailers', () => stream.sendTrailers({ ...status, ...APP_TRAILERS }));
  stream.end(how === 'ok' ? frame(invokeResponse(Buffer.from('pong'))) : undefined);
}

before(async () => {
  app = http2.createServer();
  app.on('stream', serve);
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const port = (app.address() as AddressInfo).port;
  // one PILLION_HOME: the sidecars find each other by app id (internal ports chosen by the helper)
  const home = tempDir('pillion-grpc-answers-home-');
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, home, args: ['--app-port', String(port), '--app-protocol', 'grpc'] });
  // a sidecar without an app, calling the app through sc (remote invocation)
  caller = await startSidecar({ appId: `${APP_ID}-caller`, token: TOKEN, home });
});
after(async () => {
  await stopAll();
  await new Promise<void>((r) => app.close(() => r()));
});

const invokeHttp = (method: string) => request(sc.httpPort, 'POST', `/v1.0/invoke/${APP_ID}/method/${method}`, auth, 'x');
const invokeGrpc = (method: string) => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method } });

describe('an answer larger than --max-body-size', () => {
  test('fails its own call only: HTTP invoke, gRPC InvokeService and the proxy work right after', async () => {
    assert.equal((await invokeHttp('small')).status, 200);
    for (let i = 0; i < 2; i++) {
      const big = await invokeHttp('big');
      assert.equal(big.status, 500);
      assert.match(big.body.toString(), /ERR_DIRECT_INVOKE.*received message larger than max/);

      const res = await invokeHttp('small');
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(res.body.toString(), 'pong');
      assert.equal(Buffer.from((await invokeGrpc('small')).data!.value).toString(), 'pong');
      const proxied = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Say', metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID }, messages: [Buffer.from('hi')] });
      assert.equal(proxied.code, 0, proxied.message);
      assert.deepEqual(proxied.messages.map((m) => Buffer.from(m).toString()), ['hi']);
    }
  });
});

describe("the app's grpc-status", () => {
  // value sent → [gRPC code the caller gets, HTTP status, message]
  const cases: Array<[string, Code, number, RegExp]> = [
    ['abc', Code.Internal, 500, /^malformed grpc-status "abc" from the app \(grpc-message: bad\)$/],
    ['-1', Code.Internal, 500, /^malformed grpc-status "-1"/],
    ['1.5', Code.Internal, 500, /^malformed grpc-status "1\.5"/],
    ['99', Code.Unknown, 500, /^bad$/],
    ['5', Code.NotFound, 404, /^bad$/],
  ];
  for (const [sent, code, httpStatus, message] of cases) {
    test(`"${sent}": ${Code[code]} over gRPC, HTTP ${httpStatus} with that code as JSON`, async () => {
      const e = await grpcError(() => invokeGrpc(`status/${sent}`));
      assert.equal(e.code, code);
      assert.match(e.rawMessage, message);
      const res = await invokeHttp(`status/${sent}`);
      assert.equal(res.status, httpStatus);
      const body = JSON.parse(res.body.toString()) as { code: number; message: string; details: unknown[] };
      assert.equal(body.code, code);
      assert.match(body.message, message);
      assert.deepEqual(body.details, []);
    });
  }

  test('missing: the call failed (500 ERR_DIRECT_INVOKE / INTERNAL), not an OK answer', async () => {
    const res = await invokeHttp('no-status');
    assert.equal(res.status, 500);
    assert.match(res.body.toString(), /ERR_DIRECT_INVOKE.*the app ended the call without a gRPC status/);
    const e = await grpcError(() => invokeGrpc('no-status'));
    assert.equal(e.code, Code.Internal);
    assert.match(e.rawMessage, /the app ended the call without a gRPC status/);
  });
});

describe('answers an HTTP caller cannot get as they are', () => {
  test("a content type with CR/LF, non-Latin text or control characters: as Go's server writes it (CR/LF as spaces, UTF-8 bytes) or dropped — never a crash", async () => {
    const crlf = await invokeHttp('content-type/crlf');
    assert.equal(crlf.status, 200);
    assert.equal(crlf.headers['content-type'], 'text/plain  x-injected: 1');
    assert.equal(crlf.headers['x-injected'], undefined);
    const utf8 = await invokeHttp('content-type/utf8');
    assert.equal(utf8.status, 200);
    assert.equal(Buffer.from(String(utf8.headers['content-type']), 'latin1').toString('utf8'), 'text/日本');
    const control = await invokeHttp('content-type/control');
    assert.equal(control.status, 200);
    assert.equal(control.headers['content-type'], undefined);
    assert.equal(control.body.toString(), 'pong');
    assert.equal((await invokeHttp('small')).status, 200);
  });

  test('proxying: an answer that is no gRPC answer (HTTP 404, no grpc-status) is the status grpc-go gives daprd: UNIMPLEMENTED', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: '/web.Page/Missing', metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID }, messages: [Buffer.from('hi')] });
    assert.equal(r.code, Code.Unimplemented);
    assert.equal(r.message, 'unexpected HTTP status code received from server: 404');
    const ok = await grpcRaw({ port: sc.grpcPort, path: '/echo.Echo/Say', metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': APP_ID }, messages: [Buffer.from('hi')] });
    assert.equal(ok.code, 0);
  });
});

for (const path of ['local', 'remote'] as const) {
  describe(`a gRPC app's response metadata (${path === 'local' ? 'its own sidecar' : 'through another sidecar'})`, () => {
    const collect = (into: Headers) => (h: Headers) => h.forEach((v, k) => into.append(k, v));
    const via = () => (path === 'local' ? sc : caller);
    const invoke = (method: string, headers?: Headers, trailers?: Headers) =>
      daprGrpcClient(via().grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method } }, headers && trailers ? { onHeader: collect(headers), onTrailer: collect(trailers) } : {});

    test('InvokeService: header metadata as headers, trailer metadata as trailers, as the app sent them; no dapr-http-status', async () => {
      const headers = new Headers();
      const trailers = new Headers();
      const res = await invoke('metadata/ok', headers, trailers);
      assert.equal(Buffer.from(res.data!.value).toString(), 'pong');
      assert.equal(headers.get('x-head'), 'h1');
      assert.equal(headers.get('trace-bin'), 'AAEC');
      assert.equal(headers.get('dapr-http-status'), null);
      assert.equal(headers.get('grpc-encoding'), null, "the app's transport headers stay on its own hop");
      assert.equal(trailers.get('x-tail'), 't1');
      assert.equal(trailers.get('x-tail-bin'), 'AQI');
      assert.equal(trailers.get('grpc-status'), '0');
    });

    for (const how of ['fail', 'only']) {
      test(`InvokeService, the app fails (${how === 'only' ? 'trailers-only' : 'after its headers'}): its code and message, with its metadata`, async () => {
        const e = await grpcError(() => invoke(`metadata/${how}`));
        assert.equal(e.code, Code.NotFound);
        assert.equal(e.rawMessage, 'gone');
        assert.equal(e.metadata.get('x-tail'), 't1');
        if (how === 'fail') assert.equal(e.metadata.get('x-head'), 'h1');
      });
    }

    test('HTTP invoke: header metadata as response headers, binary (-bin) metadata and trailers left out (as daprd)', async () => {
      const r = await request(via().httpPort, 'POST', `/v1.0/invoke/${APP_ID}/method/metadata/ok`, auth, 'x');
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'pong');
      assert.equal(r.headers['x-head'], 'h1');
      assert.equal(r.headers['content-type'], 'text/plain');
      for (const gone of ['trace-bin', 'x-tail', 'x-tail-bin', 'grpc-encoding']) assert.equal(r.headers[gone], undefined, gone);
    });
  });
}
