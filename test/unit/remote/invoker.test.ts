// The caller side's pure parts: an invocation as CallLocal's message and back, and how
// failures on the way become Dapr errors; the `pillion list` table and the trust Secret.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { HTTPExtension_Verb } from '../../../src/gen/dapr/proto/common/v1/common_pb.js';
import { InternalInvokeResponseSchema, ListStringValueSchema } from '../../../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { fromInternal, remoteFailure, toInternal } from '../../../src/remote/invoker.js';
import { RemoteConnectionError, RemoteStatusError } from '../../../src/remote/client.js';
import { DaprError } from '../../../src/errors/table.js';
import { age, formatTable } from '../../../src/cli/commands/list.js';
import { trustSecretManifest } from '../../../src/cli/commands/trust.js';

const list = (...values: string[]) => create(ListStringValueSchema, { values });

describe('CallLocal messages', () => {
  test('toInternal: verb, query, body, content type; repeated headers kept together', () => {
    const m = toInternal({ verb: 'patch', method: 'a/b%2Fc', query: 'x=1', headers: [['content-type', 'text/plain'], ['x-a', '1'], ['x-a', '2']], body: Buffer.from('hi') });
    assert.equal(m.ver, 1);
    assert.equal(m.message?.method, 'a/b%2Fc');
    assert.equal(m.message?.httpExtension?.verb, HTTPExtension_Verb.PATCH);
    assert.equal(m.message?.httpExtension?.querystring, 'x=1');
    assert.equal(m.message?.contentType, 'text/plain');
    assert.equal(Buffer.from(m.message!.data!.value).toString(), 'hi');
    assert.deepEqual(m.metadata['x-a']?.values, ['1', '2']);
    assert.equal(m.metadata['content-type'], undefined);
  });
  test('fromInternal: status, headers, body; a gRPC app\'s status from the trailers', () => {
    const r = fromInternal(create(InternalInvokeResponseSchema, {
      status: { code: 418 }, headers: { 'x-b': list('1', '2') },
      message: { data: create(AnySchema, { value: Buffer.from('tea') }), contentType: 'text/tea' },
    }));
    assert.equal(r.status, 418);
    assert.deepEqual(r.headers, [['x-b', '1'], ['x-b', '2'], ['content-type', 'text/tea']]);
    assert.equal(Buffer.from(r.body).toString(), 'tea');
    assert.equal(r.grpcStatus, undefined);
    const g = fromInternal(create(InternalInvokeResponseSchema, { status: { code: 404 }, trailers: { 'grpc-status': list('5'), 'grpc-message': list('gone') } }));
    assert.deepEqual(g.grpcStatus, { code: 5, message: 'gone' });
  });
});

describe('remote failures as Dapr errors', () => {
  const cases: Array<[string, unknown, string, string]> = [
    ['unreachable sidecar', new RemoteConnectionError('unreachable', 'the remote sidecar is not reachable (ECONNREFUSED)'), 'ERR_DIRECT_INVOKE', 'failed to invoke, id: b, err: the remote sidecar is not reachable (ECONNREFUSED)'],
    ['caller deadline', new RemoteConnectionError('timeout', 'the remote app did not answer in time'), 'ERR_DIRECT_INVOKE_TIMEOUT', 'failed to invoke, id: b, err: the remote app did not answer in time'],
    ['the remote sidecar\'s own error keeps its message', new RemoteStatusError(13, 'failed to invoke, id: b, err: the app is not reachable (ECONNREFUSED)', 'ERR_DIRECT_INVOKE'), 'ERR_DIRECT_INVOKE', 'failed to invoke, id: b, err: the app is not reachable (ECONNREFUSED)'],
    ['not ready', new RemoteStatusError(13, 'invoke API is not ready', 'ERR_DIRECT_INVOKE_NOT_READY'), 'ERR_DIRECT_INVOKE_NOT_READY', 'invoke API is not ready'],
    ['remote timeout', new RemoteStatusError(4, 'failed to invoke, id: b, err: the app did not answer in time', 'ERR_DIRECT_INVOKE'), 'ERR_DIRECT_INVOKE_TIMEOUT', 'failed to invoke, id: b, err: the app did not answer in time'],
    ['unknown reason', new RemoteStatusError(12, 'unknown method CallLocal', undefined), 'ERR_DIRECT_INVOKE', 'failed to invoke, id: b, err: unknown method CallLocal'],
  ];
  for (const [name, err, code, message] of cases) {
    test(name, () => {
      const e = remoteFailure('b', err);
      assert.ok(e instanceof DaprError);
      assert.equal(e.code, code);
      assert.equal(e.message, message);
    });
  }
});

describe('CLI output', () => {
  test('pillion list table', () => {
    const now = 10_000_000;
    const t = formatTable([{ instance: 'i', appId: 'orders', namespace: 'default', host: '127.0.0.1', internalPort: 50002, httpPort: 3500, grpcPort: 50001, pid: 42, startedAt: now - 125_000, heartbeat: now }], now);
    assert.equal(t, 'APP ID  NAMESPACE  HTTP PORT  GRPC PORT  INTERNAL PORT  APP PORT  PID  AGE\norders  default    3500       50001      50002                    42   2m\n');
    assert.equal(formatTable([], now), 'No Pillion sidecars found.\n');
    assert.deepEqual([age(5_000), age(3_600_000), age(3 * 86_400_000)], ['5s', '1h', '3d']);
  });
  test('trust Secret manifest carries both files base64-encoded', () => {
    const m = JSON.parse(trustSecretManifest('pillion-trust', 'shop', 'CERT', 'KEY')) as { kind: string; metadata: { name: string; namespace: string }; data: Record<string, string> };
    assert.equal(m.kind, 'Secret');
    assert.deepEqual(m.metadata.name, 'pillion-trust');
    assert.deepEqual(m.metadata.namespace, 'shop');
    assert.deepEqual(m.data, { 'ca.crt': Buffer.from('CERT').toString('base64'), 'ca.key': Buffer.from('KEY').toString('base64') });
  });
});
