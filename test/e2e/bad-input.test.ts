// Malformed and hostile input on both protocols: every bad request gets a clear error and the
// sidecar keeps serving (checked after each case).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { create, toBinary } from '@bufbuild/protobuf';
import { StateItemSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { GetStateRequestSchema, GetStateResponseSchema, SaveStateRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { GetMetadataResponseSchema } from '../../src/gen/dapr/proto/runtime/v1/metadata_pb.js';
import { httpRaw, jsonOf, startSidecar, stopAll, tcpRaw, type RawResponse, type Sidecar } from '../helpers/sidecar.js';
import { DAPR_SERVICE, decodeOne, frame, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'bad-input-token-1d2e';
const H = { 'dapr-api-token': TOKEN };
const JSON_H = { ...H, 'content-type': 'application/json' };
const LIMIT = 1024;

let sc: Sidecar;

before(async () => {
  sc = await startSidecar({ appId: 'bad-input', token: TOKEN, args: ['--max-body-size', '1Ki'] });
});
after(stopAll);

/** The sidecar still answers on both protocols. */
async function stillServing(): Promise<void> {
  assert.ok(sc.running, `the sidecar exited:\n${sc.output}`);
  const h = await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' });
  assert.equal(h.status, 204, 'healthz after the bad request');
  const g = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, metadata: H, messages: [new Uint8Array()] });
  assert.equal(g.code, GrpcStatus.OK, `gRPC after the bad request: ${g.code} ${g.message}`);
  assert.equal(decodeOne(GetMetadataResponseSchema, g).id, 'bad-input');
}

/** A node client writing `size` bytes in 64 KiB pieces as fast as the socket takes them. */
function upload(path: string, size: number, chunked: boolean): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const out: { status?: number; error?: string } = {};
    const headers: Record<string, string | number> = { ...JSON_H, ...(chunked ? {} : { 'content-length': size }) };
    const req = http.request({ port: sc.httpPort, host: '127.0.0.1', method: 'POST', path, headers, agent: false }, (res) => {
      out.status = res.statusCode;
      res.resume();
      res.on('end', () => setTimeout(() => resolve(out), 50));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      out.error = err.code ?? err.message;
      resolve(out);
    });
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function post(path: string, body: string | Buffer, headers: Record<string, string> = JSON_H): Promise<RawResponse> {
  return httpRaw({ port: sc.httpPort, method: 'POST', path, headers, body });
}

function assertMalformed(r: RawResponse, what: string): void {
  assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
  const e = jsonOf<{ errorCode: string; message: string }>(r);
  assert.equal(e.errorCode, 'ERR_MALFORMED_REQUEST', what);
  assert.ok(e.message.length > 0, what);
  assert.doesNotMatch(e.message, /\n\s+at /, `${what}: stack trace in the message`);
}

describe('malformed JSON over HTTP', () => {
  const CASES: Array<[string, string, string]> = [
    ['save', '/v1.0/state/statestore', '[{"key":'],
    ['save', '/v1.0/state/statestore', ''],
    ['save', '/v1.0/state/statestore', '{}'],
    ['save', '/v1.0/state/statestore', '[{"key":"k","value":1},]'],
    ['save', '/v1.0/state/statestore', '[{"key":"k","value":1,"etag":5}]'],
    ['save', '/v1.0/state/statestore', '[{"key":"k","value":1,"metadata":{"ttlInSeconds":5}}]'],
    ['save', '/v1.0/state/statestore', '[1,2]'],
    ['save', '/v1.0/state/statestore', 'null'],
    ['save', '/v1.0/state/statestore', '\u00ff\u00fe not json'],
    ['bulk', '/v1.0/state/statestore/bulk', '{"keys":'],
    ['bulk', '/v1.0/state/statestore/bulk', '{"keys":"k"}'],
    ['bulk', '/v1.0/state/statestore/bulk', '{"keys":[1,2]}'],
    ['bulk', '/v1.0/state/statestore/bulk', '[]'],
    ['transaction', '/v1.0/state/statestore/transaction', '{"operations":'],
    ['transaction', '/v1.0/state/statestore/transaction', '{"operations":{}}'],
    ['transaction', '/v1.0/state/statestore/transaction', '{"operations":[{"request":{"key":"k"}}]}'],
    ['transaction', '/v1.0/state/statestore/transaction', '{"operations":[{"operation":"upsert","request":"k"}]}'],
    ['transaction', '/v1.0/state/statestore/transaction', '{"operations":[{"operation":"upsert","request":{"key":"k"}}],"metadata":{"a":1}}'],
  ];
  for (const [kind, path, body] of CASES) {
    test(`${kind} with body ${JSON.stringify(body)} is 400 ERR_MALFORMED_REQUEST and the sidecar keeps serving`, async () => {
      assertMalformed(await post(path, body), `${kind} ${body}`);
      await stillServing();
    });
  }

  test('a rejected save stores nothing', async () => {
    assertMalformed(await post('/v1.0/state/statestore', '[{"key":"half","value":1},{"key":"other","value":2,"etag":7}]'), 'mixed');
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/half', headers: H });
    assert.equal(r.status, 204, 'no item of a malformed request may be written');
  });

  test('a number past float64 (1e999) is refused as daprd refuses it, not stored as null', async () => {
    for (const [path, body] of [
      ['/v1.0/state/statestore', '[{"key":"huge","value":{"n":1e999}}]'],
      ['/v1.0/state/statestore/transaction', '{"operations":[{"operation":"upsert","request":{"key":"huge","value":-1E+400}}]}'],
    ]) {
      const r = await post(path!, body!);
      assertMalformed(r, body!);
      assert.match(jsonOf<{ message: string }>(r).message, /json: cannot unmarshal number (1e999|-1E\+400) into Go value of type float64/);
    }
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/huge', headers: H })).status, 204, 'nothing stored');
  });

  test('an unknown store is 400 ERR_STATE_STORE_NOT_FOUND, even with a malformed body', async () => {
    const r = await post('/v1.0/state/nope', '[{"key":"k","value":1}]');
    assert.equal(r.status, 400);
    assert.equal(jsonOf<{ errorCode: string }>(r).errorCode, 'ERR_STATE_STORE_NOT_FOUND');
    await stillServing();
  });
});

describe('request body size limit (--max-body-size 1Ki)', () => {
  /** a valid save body of exactly n bytes */
  function saveBodyOfSize(n: number): string {
    const base = JSON.stringify([{ key: 'sized', value: '' }]);
    const body = JSON.stringify([{ key: 'sized', value: 'v'.repeat(n - base.length) }]);
    assert.equal(Buffer.byteLength(body), n);
    return body;
  }

  test('a body of exactly the limit is accepted', async () => {
    const r = await post('/v1.0/state/statestore', saveBodyOfSize(LIMIT));
    assert.equal(r.status, 204, r.text);
  });

  for (const path of ['/v1.0/state/statestore', '/v1.0/state/statestore/bulk', '/v1.0/state/statestore/transaction']) {
    test(`a body one byte over the limit on ${path} is refused with an error naming the limit`, async () => {
      const r = await post(path, saveBodyOfSize(LIMIT + 1));
      assert.ok(r.status === 413 || r.status === 400, `status ${r.status}`);
      const e = jsonOf<{ errorCode: string; message: string }>(r);
      assert.match(e.message, /1024|1Ki|max-body-size/, e.message);
      await stillServing();
    });
  }

  test('a chunked upload larger than the limit is refused with an error naming the limit', async () => {
    const big = 'a'.repeat(4096);
    const raw = await tcpRaw(
      sc.httpPort,
      `POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    );
    assert.match(raw, /^HTTP\/1\.1 (413|400)/);
    assert.match(raw, /1024|max-body-size/);
    await stillServing();
  });

  test('a huge declared Content-Length is refused without waiting for the body', async () => {
    const t0 = Date.now();
    const raw = await tcpRaw(
      sc.httpPort,
      `POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n[`,
      3000,
    );
    assert.match(raw, /^HTTP\/1\.1 (413|400)/);
    assert.ok(Date.now() - t0 < 2500, 'the sidecar waited for the body');
    await stillServing();
  });

  // Before the lingering close, every one of these failed with EPIPE: the sidecar closed on
  // the unread upload, and the reset beat the 413 to the client.
  // (the invocation, having no app, fails before it reads the upload: an early answer too)
  for (const [path, framing, status] of [
    ['/v1.0/state/statestore', 'content-length', 413], ['/v1.0/state/statestore', 'chunked', 413],
    ['/v1.0/invoke/bad-input/method/up', 'content-length', 413], ['/v1.0/invoke/bad-input/method/up', 'chunked', 500],
  ] as const) {
    test(`a client still sending an upload past the limit reads the answer, not a reset (${path}, ${framing}, no Expect)`, async () => {
      for (let i = 0; i < 5; i++) {
        const r = await upload(path, 4 << 20, framing === 'chunked');
        assert.equal(r.error, undefined, `attempt ${i}: ${r.error}`);
        assert.equal(r.status, status, `attempt ${i}`);
      }
      await stillServing();
    });
  }

  test('an unauthenticated upload too large to read through: 401, then the connection is closed instead of reading it all', async () => {
    for (const framing of ['content-length: 50000000', 'transfer-encoding: chunked']) {
      const sock = net.connect(sc.httpPort, '127.0.0.1');
      let answer = '';
      sock.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      sock.on('error', () => {});
      sock.write(`POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`);
      const piece = 'a'.repeat(64 * 1024);
      sock.write(framing.startsWith('transfer') ? `${piece.length.toString(16)}\r\n${piece}\r\n` : piece);
      // the rest of the 50 MB never comes: the sidecar must end the exchange by itself
      const how = await new Promise<string>((resolve) => {
        const fallback = setTimeout(() => resolve('still open'), 10_000);
        sock.once('close', () => {
          clearTimeout(fallback);
          resolve('closed');
        });
      });
      sock.destroy();
      assert.equal(how, 'closed', framing);
      assert.match(answer, /^HTTP\/1\.1 401 /, framing);
      assert.match(answer, /\r\nconnection: close\r\n/i, framing);
    }
    await stillServing();
  });

  test('an unauthenticated oversized upload gets 401 (auth before body)', async () => {
    const r = await post('/v1.0/state/statestore', 'x'.repeat(10 * LIMIT), { 'content-type': 'application/json' });
    assert.equal(r.status, 401);
    await stillServing();
  });

  test('gRPC: a message over the limit is RESOURCE_EXHAUSTED', async () => {
    const msg = toBinary(
      SaveStateRequestSchema,
      create(SaveStateRequestSchema, { storeName: 'statestore', states: [create(StateItemSchema, { key: 'big', value: new Uint8Array(2 * LIMIT) })] }),
    );
    const r = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/SaveState`, metadata: H, messages: [msg] });
    assert.equal(r.code, GrpcStatus.RESOURCE_EXHAUSTED, `${r.code} ${r.message}`);
    assert.match(r.message, /larger than max/);
    await stillServing();
  });

  test('gRPC: a gzip message that inflates beyond the limit is refused', async () => {
    const msg = toBinary(
      SaveStateRequestSchema,
      create(SaveStateRequestSchema, { storeName: 'statestore', states: [create(StateItemSchema, { key: 'bomb', value: new Uint8Array(512 * 1024) })] }),
    );
    const gz = gzipSync(msg);
    assert.ok(gz.length < LIMIT);
    const r = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/SaveState`, metadata: { ...H, 'grpc-encoding': 'gzip' }, raw: frame(gz, true) });
    assert.notEqual(r.code, GrpcStatus.OK, 'a decompression bomb was accepted');
    const check = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetState`, metadata: H, messages: [toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'bomb' }))] });
    assert.equal(check.code, GrpcStatus.OK);
    await stillServing();
  });
});

describe('odd HTTP requests', () => {
  test('a very long header is refused with 431', async () => {
    const raw = await tcpRaw(sc.httpPort, `GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\nX-Long: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 431/);
    await stillServing();
  });

  test('Expect: 100-continue without a token: 401 at once, no invitation to upload', async () => {
    const raw = await tcpRaw(sc.httpPort, 'POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 30\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n', 2000);
    assert.match(raw, /^HTTP\/1\.1 401/);
    assert.doesNotMatch(raw, /100 Continue/);
    await stillServing();
  });

  test('Expect: 100-continue with the token: 100 Continue, then the body is read and answered', async () => {
    const body = JSON.stringify([{ key: 'cont', value: 1 }]);
    const sock = net.connect(sc.httpPort, '127.0.0.1');
    let out = '';
    sock.setEncoding('latin1');
    const got = (re: RegExp): Promise<void> => new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`no ${re} in ${JSON.stringify(out)}`)), 5000);
      const check = (): void => void (re.test(out) && (clearTimeout(t), sock.off('data', check), ok()));
      sock.on('data', check);
      check();
    });
    sock.on('data', (d: string) => (out += d));
    sock.write(`POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    await got(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    sock.write(body);
    await got(/HTTP\/1\.1 204/);
    sock.destroy();
    await stillServing();
  });

  test('a header with control characters is refused with 400', async () => {
    const raw = await tcpRaw(sc.httpPort, `GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\nX-Bad: a\x01b\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 400/);
    await stillServing();
  });

  test('a token header with control characters is refused and the token is not echoed', async () => {
    const raw = await tcpRaw(sc.httpPort, `GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\x00\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 (400|401)/);
    assert.ok(!raw.includes(TOKEN));
    await stillServing();
  });

  test('an invalid header name is refused with 400', async () => {
    const raw = await tcpRaw(sc.httpPort, `GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 400/);
    await stillServing();
  });

  test('a garbage request line is refused with 400', async () => {
    const raw = await tcpRaw(sc.httpPort, 'HELLO THERE\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400/);
    await stillServing();
  });

  test('CONNECT gets an answer like any unmatched path (401 without the token, 404 with it), never a tunnel', async () => {
    const connect = (headers: string): Promise<string> => tcpRaw(sc.httpPort, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n${headers}\r\n`);
    assert.match(await connect(''), /^HTTP\/1\.1 401 /);
    for (const headers of [`dapr-api-token: ${TOKEN}\r\n`, `dapr-api-token: ${TOKEN}\r\ndapr-app-id: bad-input\r\n`]) {
      const raw = await connect(headers);
      assert.match(raw, /^HTTP\/1\.1 404 /);
      assert.equal(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)).errorCode, 'ERR_DIRECT_INVOKE');
      assert.ok(!raw.includes(TOKEN));
    }
    await stillServing();
  });

  test('binary garbage on the HTTP port does not hurt the sidecar', async () => {
    await tcpRaw(sc.httpPort, Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]), 1000);
    await stillServing();
  });

  test('invalid percent-encoding in a path: 400 ERR_MALFORMED_REQUEST naming the escape as Go does (after the token check), not a crash', async () => {
    for (const [path, why] of [
      ['/v1.0/state/statestore/%zz', 'invalid URL escape "%zz"'], ['/v1.0/state/%E0%A4%A/k', 'invalid URL escape "%A/"'],
      ['/v1.0/state/statestore/%', 'invalid URL escape "%"'], ['/v1.0/invoke/app%zz/method/m', 'invalid URL escape "%zz"'],
      ['/v1.0/invoke/bad-input/method/a%zz', 'invalid URL escape "%zz"'], ['/no/route%zz', 'invalid URL escape "%zz"'],
      ['/v1.0/state/statestore/%ff', 'a parameter is not valid UTF-8 once percent-decoded'],
    ]) {
      const r = await httpRaw({ port: sc.httpPort, path, headers: H });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.deepEqual(jsonOf(r), { errorCode: 'ERR_MALFORMED_REQUEST', message: `malformed request path: ${why}` });
      assert.equal((await httpRaw({ port: sc.httpPort, path })).status, 401, `${path} without the token`);
    }
    await stillServing();
  });

  test("'+' in a route parameter is a space, as daprd reads it (Go's QueryUnescape); %2B is a plus", async () => {
    assert.equal((await post('/v1.0/state/statestore', JSON.stringify([{ key: 'a b', value: 'space' }, { key: 'a+b', value: 'plus' }]))).status, 204);
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/a+b', headers: H })).text, '"space"');
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/a%2Bb', headers: H })).text, '"plus"');
    // the gRPC API takes keys as they are
    const g = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetState`, metadata: H, messages: [toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'a b' }))] });
    assert.equal(Buffer.from(decodeOne(GetStateResponseSchema, g).data).toString(), '"space"');
  });

  test('a client that disconnects in the middle of a body does not hurt the sidecar', async () => {
    const sock = net.connect(sc.httpPort, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{"key":`);
    await new Promise((r) => setTimeout(r, 50));
    sock.destroy();
    await stillServing();
  });
});

describe('malformed gRPC', () => {
  const GET_STATE = `${DAPR_SERVICE}/GetState`;

  test('undecodable protobuf bytes are an error and the sidecar keeps serving', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, messages: [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])] });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    assert.equal(r.messages.length, 0);
    await stillServing();
  });

  test('a field of the wrong wire type is an error', async () => {
    // field 1 (store_name) encoded as varint instead of length-delimited
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, messages: [new Uint8Array([0x08, 0x01])] });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    await stillServing();
  });

  test('a truncated frame is an error', async () => {
    const raw = Buffer.concat([Buffer.from([0, 0, 0, 0, 100]), Buffer.alloc(10)]);
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, raw });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    await stillServing();
  });

  test('two request messages on a unary method are an error', async () => {
    const m = toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'k' }));
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, messages: [m, m] });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    await stillServing();
  });

  test('no request message on a unary method is an error', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, messages: [] });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    await stillServing();
  });

  test('a compressed frame without grpc-encoding is an error', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, raw: frame(new Uint8Array([1, 2, 3]), true) });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    await stillServing();
  });

  test('a gzip frame with corrupt data is an error', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: { ...H, 'grpc-encoding': 'gzip' }, raw: frame(new Uint8Array([0x1f, 0x8b, 0, 0, 9, 9, 9]), true) });
    assert.ok(r.code !== undefined && r.code !== GrpcStatus.OK, `code ${r.code}`);
    await stillServing();
  });

  test('a non-gRPC content type is refused', async () => {
    const r = await grpcRaw({ port: sc.grpcPort, path: GET_STATE, metadata: H, contentType: 'application/json', raw: Buffer.from('{}') });
    assert.notEqual(r.httpStatus, 200);
    await stillServing();
  });

  test('a stream reset by the client mid-request does not hurt the sidecar', async () => {
    const session = http2.connect(`http://127.0.0.1:${sc.grpcPort}`);
    session.on('error', () => {});
    const stream = session.request({ ':method': 'POST', ':path': GET_STATE, 'content-type': 'application/grpc', te: 'trailers', ...H }, { endStream: false });
    stream.on('error', () => {});
    stream.write(Buffer.from([0, 0, 0, 0, 50, 1, 2]));
    await new Promise((r) => setTimeout(r, 50));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    session.destroy();
    await stillServing();
  });

  test('HTTP/1.1 and garbage bytes on the gRPC port do not hurt the sidecar', async () => {
    await tcpRaw(sc.grpcPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 1000).catch(() => '');
    await tcpRaw(sc.grpcPort, Buffer.alloc(100, 0xff), 1000).catch(() => '');
    await stillServing();
  });

  test('the token never appears in the log after all this', () => {
    assert.ok(!sc.output.includes(TOKEN));
  });
});
