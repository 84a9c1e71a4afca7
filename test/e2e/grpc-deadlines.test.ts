// A caller's gRPC deadline (grpc-timeout) on the public API, where it meets an answer that has
// already begun: a streaming call, or a unary answer the caller is not reading. The deadline
// resets the stream and the sidecar keeps serving (it used to throw outside any handler and
// exit). And a deadline longer than a timer can hold is no deadline, not an instant one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { InvokeServiceRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/invoke_pb.js';
import { GetStateRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { SubscribeTopicEventsRequestAlpha1Schema } from '../../src/gen/dapr/proto/runtime/v1/pubsub_pb.js';
import { httpRaw, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { DAPR_SERVICE, frame, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'deadline-token-5c3e';
const H = { 'dapr-api-token': TOKEN };
let sc: Sidecar;
let app: RecordingApp;

before(async () => {
  app = await startHttpApp();
  sc = await startSidecar({ appId: 'deadlines', token: TOKEN, args: ['--app-port', String(app.port)] });
});
after(async () => {
  await stopAll();
  await app.close();
});

const message = <D extends DescMessage>(schema: D, init: MessageInitShape<D>): Buffer => frame(toBinary(schema, create(schema, init)));

/** The sidecar is alive and answers on both protocols. */
async function stillServing(): Promise<void> {
  assert.ok(sc.running, `the sidecar exited:\n${sc.output}`);
  assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' })).status, 204);
  const g = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, metadata: H, messages: [new Uint8Array()] });
  assert.equal(g.code, GrpcStatus.OK, `gRPC: ${g.code} ${g.message}`);
}

/** Opens a call on a raw HTTP/2 stream and resolves how it ended: the response status, and
 * the RST_STREAM code it was closed with. `read: false` never reads the answer. */
function rawCall(path: string, deadline: string, body: Buffer, opts: { end: boolean; read: boolean }): Promise<{ status: number | undefined; rstCode: number }> {
  const session = http2.connect(`http://127.0.0.1:${sc.grpcPort}`);
  session.on('error', () => {});
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': deadline, ...H });
  stream.on('error', () => {});
  let status: number | undefined;
  stream.on('response', (h) => (status = Number(h[':status'])));
  if (opts.read) stream.resume();
  else stream.pause();
  if (opts.end) stream.end(body);
  else stream.write(body);
  return new Promise((resolve) => stream.once('close', () => {
    session.destroy();
    resolve({ status, rstCode: stream.rstCode ?? -1 });
  }));
}

describe('a deadline that passes after the answer began', () => {
  test('a streaming subscription: the stream is reset (CANCEL) at the deadline and the sidecar keeps serving', async () => {
    const initial = message(SubscribeTopicEventsRequestAlpha1Schema, { subscribeTopicEventsRequestType: { case: 'initialRequest', value: { pubsubName: 'pubsub', topic: 'deadline-topic' } } });
    const ended = await rawCall(`${DAPR_SERVICE}/SubscribeTopicEventsAlpha1`, '500m', initial, { end: false, read: true });
    assert.equal(ended.status, 200, 'the subscription was answered before the deadline');
    assert.equal(ended.rstCode, http2.constants.NGHTTP2_CANCEL);
    await stillServing();
  });

  test('a unary answer the caller does not read (flow control holds it): reset at the deadline, the sidecar keeps serving', async () => {
    const big = JSON.stringify([{ key: 'big', value: 'x'.repeat(1 << 20) }]);
    const saved = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/statestore', headers: { ...H, 'content-type': 'application/json' }, body: big });
    assert.equal(saved.status, 204);
    const ended = await rawCall(`${DAPR_SERVICE}/GetState`, '300m', message(GetStateRequestSchema, { storeName: 'statestore', key: 'big' }), { end: true, read: false });
    assert.equal(ended.rstCode, http2.constants.NGHTTP2_CANCEL);
    await stillServing();
  });
});

describe('a deadline that passed before the call arrived', () => {
  for (const deadline of ['0S', '0n', '0m']) {
    test(`grpc-timeout ${deadline}: DEADLINE_EXCEEDED at once, with no part of an answer, and nothing reaches the app`, async () => {
      const n = app.seen.length;
      const big = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetState`, metadata: { ...H, 'grpc-timeout': deadline }, raw: message(GetStateRequestSchema, { storeName: 'statestore', key: 'big' }) });
      assert.equal(big.code, GrpcStatus.DEADLINE_EXCEEDED, `${big.code} ${big.message}`);
      assert.equal(big.message, 'context deadline exceeded');
      assert.equal(big.messages.length, 0);
      const invoke = message(InvokeServiceRequestSchema, { id: 'deadlines', message: { method: 'late', httpExtension: { verb: HTTPExtension_Verb.GET } } });
      const inv = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/InvokeService`, metadata: { ...H, 'grpc-timeout': deadline }, raw: invoke });
      assert.equal(inv.code, GrpcStatus.DEADLINE_EXCEEDED);
      assert.equal(app.seen.length, n);
      await stillServing();
    });
  }
});

describe('deadlines longer than a timer can hold', () => {
  const invoke = message(InvokeServiceRequestSchema, { id: 'deadlines', message: { method: 'far', httpExtension: { verb: HTTPExtension_Verb.GET } } });
  for (const deadline of ['3000000S', '99999999S', '99999999H']) {
    test(`grpc-timeout ${deadline} is no deadline: InvokeService reaches the app and answers OK`, async () => {
      const r = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/InvokeService`, metadata: { ...H, 'grpc-timeout': deadline }, raw: invoke });
      assert.equal(r.code, GrpcStatus.OK, `${r.code} ${r.message}`);
      assert.equal(app.seen.at(-1)?.url, '/far');
    });
  }

});
