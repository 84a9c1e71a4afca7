// The gRPC app channel (--app-protocol grpc): the app serves AppCallback/OnInvoke. What the
// app receives (InvokeRequest fields, metadata: app token set, caller token absent, identities
// set) and what callers get back, over the HTTP and gRPC APIs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { HTTPExtension_Verb, InvokeResponseSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { GrpcStatusError } from '../../src/api/grpc/status.js';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { request, startGrpcApp, type GrpcApp } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';

const TOKEN = 'grpc-app-caller-token-55';
const APP_TOKEN = 'grpc-app-token-0c7e';
const APP_ID = 'grpc-app';
let app: GrpcApp;
let sc: Sidecar;

before(async () => {
  app = await startGrpcApp();
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(app.port), '--app-protocol', 'grpc'] });
});
after(async () => {
  await stopAll();
  await app.close();
});

const last = () => app.seen.at(-1)!;
function assertMetadata(): void {
  const md = last().metadata;
  assert.equal(md['dapr-api-token'], APP_TOKEN);
  assert.equal(md['dapr-caller-app-id'], APP_ID);
  assert.equal(md['dapr-callee-app-id'], APP_ID);
  assert.ok(!JSON.stringify(md).includes(TOKEN), 'caller token leaked');
}

describe('HTTP caller → gRPC app', () => {
  test('verb, method, query, body and content type become the InvokeRequest; the answer comes back', async () => {
    const res = await request(sc.httpPort, 'PUT', `/v1.0/invoke/${APP_ID}/method/orders/1?a=b`, [
      ['dapr-api-token', TOKEN], ['content-type', 'text/plain'], ['dapr-caller-app-id', 'spoof'], ['x-md', 'v'],
    ], 'hello');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(res.body.toString()), { method: 'orders/1', body: 'hello' });
    const r = last().request;
    assert.equal(r.httpExtension?.verb, HTTPExtension_Verb.PUT);
    assert.equal(r.httpExtension?.querystring, 'a=b');
    assert.equal(r.contentType, 'text/plain');
    assert.equal(last().metadata['x-md'], 'v');
    assertMetadata();
  });

  test("a gRPC app's error becomes the HTTP status daprd derives, with the status as JSON", async () => {
    app.answer = () => {
      throw new GrpcStatusError(5, 'order not found');
    };
    try {
      const res = await request(sc.httpPort, 'GET', `/v1.0/invoke/${APP_ID}/method/orders/2`, [['dapr-api-token', TOKEN]]);
      assert.equal(res.status, 404);
      assert.deepEqual(JSON.parse(res.body.toString()), { code: 5, message: 'order not found', details: [] });
    } finally {
      app.answer = () => create(InvokeResponseSchema, { contentType: 'text/plain', data: create(AnySchema, { value: Buffer.from('pong') }) });
    }
  });
});

describe('gRPC caller → gRPC app', () => {
  test('InvokeService reaches OnInvoke with the app token, not the caller token', async () => {
    const res = await daprGrpcClient(sc.grpcPort, TOKEN).invokeService(
      { id: APP_ID, message: { method: 'ping', contentType: 'application/octet-stream', data: { value: Buffer.from([1, 2, 3]) }, httpExtension: { verb: HTTPExtension_Verb.POST } } },
      { headers: { 'dapr-callee-app-id': 'spoof' } },
    );
    assert.equal(Buffer.from(res.data!.value).toString(), 'pong');
    assert.deepEqual([...last().request.data!.value], [1, 2, 3]);
    assertMetadata();
  });

  test('a call without an HTTP extension reaches OnInvoke without one (as daprd relays it)', async () => {
    await daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method: 'ping' } });
    assert.equal(last().request.method, 'ping');
    assert.equal(last().request.httpExtension, undefined);
  });

  test("the gRPC app's status code and message pass through", async () => {
    app.answer = () => {
      throw new GrpcStatusError(9, 'not now');
    };
    try {
      const e = await grpcError(() => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method: 'ping' } }));
      assert.equal(e.code, Code.FailedPrecondition);
      assert.equal(e.rawMessage, 'not now');
    } finally {
      app.answer = () => create(InvokeResponseSchema, { contentType: 'text/plain', data: create(AnySchema, { value: Buffer.from('pong') }) });
    }
  });
});
