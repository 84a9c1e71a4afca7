// The API allow/deny lists (daprd's rules) and the gRPC method → API group table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiAccess, grpcApiOf, grpcTargets, httpTarget, DAPR_RUNTIME_PREFIX } from '../../../src/security/api-access.js';
import { Dapr } from '../../../src/gen/dapr/proto/runtime/v1/dapr_pb.js';

test('every method of the Dapr service has an API group', () => {
  const missing = Dapr.methods.filter((m) => !grpcApiOf(DAPR_RUNTIME_PREFIX + m.name)).map((m) => m.name);
  assert.deepEqual(missing, []);
});

test('no lists: everything allowed', () => {
  const allowed = createApiAccess(undefined);
  assert.ok(allowed('http', 'state', 'v1.0'));
  assert.ok(allowed('grpc', 'state', 'v1'));
});

test('allow list per protocol; deny overrides allow; empty protocol means http', () => {
  const allowed = createApiAccess({
    allowed: [{ name: 'state', version: 'v1.0' }, { name: 'state', version: 'v1', protocol: 'grpc' }, { name: 'metadata', version: 'v1', protocol: 'grpc' }],
    denied: [{ name: 'metadata', version: 'v1', protocol: 'grpc' }],
  });
  assert.ok(allowed('http', 'state', 'v1.0'));
  assert.ok(!allowed('http', 'secrets', 'v1.0'));
  assert.ok(allowed('grpc', 'state', 'v1'));
  assert.ok(!allowed('grpc', 'metadata', 'v1'), 'denied wins');
  assert.ok(!allowed('grpc', 'state', 'v1alpha1'), 'versions are distinct');
  const denyOnly = createApiAccess({ allowed: [], denied: [{ name: 'secrets', version: 'v1.0', protocol: 'http' }] });
  assert.ok(!denyOnly('http', 'secrets', 'v1.0'));
  assert.ok(denyOnly('http', 'state', 'v1.0'));
  assert.ok(denyOnly('grpc', 'secrets', 'v1'), 'http rules do not touch gRPC');
});

test('gRPC targets: Dapr methods by table, reflection, everything else is invocation', () => {
  const target = grpcTargets(createApiAccess({ allowed: [{ name: 'state', version: 'v1', protocol: 'grpc' }], denied: [] }));
  assert.deepEqual(target(`${DAPR_RUNTIME_PREFIX}GetState`), { group: 'state', apiDenied: false });
  assert.deepEqual(target(`${DAPR_RUNTIME_PREFIX}GetSecret`), { group: 'secrets', apiDenied: true });
  assert.deepEqual(target(`${DAPR_RUNTIME_PREFIX}UnlockAlpha1`), { group: 'lock', apiDenied: true });
  assert.equal(target(`${DAPR_RUNTIME_PREFIX}SomethingNew`).apiDenied, true, 'unlisted Dapr methods are not on an allow list');
  assert.deepEqual(target('/grpc.reflection.v1.ServerReflection/ServerReflectionInfo'), { group: 'reflection', apiDenied: false });
  assert.deepEqual(target('/my.app.Service/Do'), { group: 'invoke', apiDenied: false });
});

test('HTTP targets take the version from the route path', () => {
  const allowed = createApiAccess({ allowed: [{ name: 'state', version: 'v1.0-alpha1' }], denied: [] });
  assert.equal(httpTarget(allowed, 'state', '/v1.0-alpha1/state/:storeName/query').apiDenied, false);
  assert.equal(httpTarget(allowed, 'state', '/v1.0/state/:storeName').apiDenied, true);
});
