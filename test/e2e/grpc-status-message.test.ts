// gRPC error messages reach Node clients whole. HTTP/2 forbids whitespace at either end of a
// field value and nghttp2 (Node's HTTP/2, so @grpc/grpc-js and the Dapr JS SDK) drops such a
// header: a message daprd words with a trailing space (an empty name quoted at its end) must
// still arrive, its space percent-encoded as the gRPC spec allows and decoded by the client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { InvokeBindingRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/binding_pb.js';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { stateAndSecretsResources } from '../helpers/resources.js';
import { DAPR_SERVICE, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'grpc-status-message-token-3c9a';
const H = { 'dapr-api-token': TOKEN };

let sc: Sidecar;

before(async () => {
  sc = await startSidecar({ appId: 'grpc-status-message', token: TOKEN, resourcesPaths: [stateAndSecretsResources('pillion-grpc-message-', { a: 'b' })] });
});
after(stopAll);

/** A unary call with an empty request message, through node:http2 as a Node client makes it. */
const call = (method: string, message = new Uint8Array()) =>
  grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/${method}`, metadata: H, messages: [message] });

test('GetSecret and GetBulkSecret without a store name: the message keeps its trailing space', async () => {
  for (const method of ['GetSecret', 'GetBulkSecret']) {
    const r = await call(method);
    assert.equal(r.code, GrpcStatus.INVALID_ARGUMENT, `${method}: ${r.message}`);
    assert.equal(r.message, 'failed finding secret store with key ', method);
  }
});

test('InvokeBinding without a name: the whole message arrives', async () => {
  const r = await call('InvokeBinding', toBinary(InvokeBindingRequestSchema, create(InvokeBindingRequestSchema, { operation: 'create' })));
  assert.equal(r.code, GrpcStatus.INTERNAL);
  assert.equal(r.message, "error invoking output binding : couldn't find output binding ");
});

test('proxying to `dapr-app-id: ""`: the whole message arrives', async () => {
  const r = await grpcRaw({ port: sc.grpcPort, path: '/foo.Bar/Baz', metadata: { ...H, 'dapr-app-id': '' }, messages: [new Uint8Array()] });
  assert.equal(r.code, GrpcStatus.INTERNAL);
  assert.equal(r.message, "failed to invoke, id: , err: couldn't find service: ");
});
