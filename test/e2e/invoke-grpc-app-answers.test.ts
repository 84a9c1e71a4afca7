// A gRPC app whose answers are out of the ordinary, against the real process: an answer larger
// than --max-body-size fails its own call only (the calls after it, over every path to the app,
// work at once), and a grpc-status that is not a gRPC code is reported as INTERNAL (malformed)
// or UNKNOWN (a number naming no code), never passed on as it came.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { InvokeRequestSchema, InvokeResponseSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
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

before(async () => {
  app = http2.createServer();
  app.on('stream', serve);
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const port = (app.address() as AddressInfo).port;
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, args: ['--app-port', String(port), '--app-protocol', 'grpc'] });
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
