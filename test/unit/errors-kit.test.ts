// daprd 1.17's "rich" errors (dapr/kit's error builder) on both protocols, against what
// dapr/kit v0.17.0's errors package produces for the same builder calls (the expected bodies
// and status bytes below were printed by a Go program calling kit's Build/JSONErrorValue/
// GRPCStatus as daprd's pkg/api/errors does). Legacy codes keep their plain shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { toHttp } from '../../src/api/http/errors.js';
import { toGrpcTrailers } from '../../src/api/grpc/status.js';
import { ErrorInfoSchema, ResourceInfoSchema } from '../../src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../src/gen/google/rpc/status_pb.js';
import { DaprError } from '../../src/errors/table.js';

const statusBin = (e: DaprError): string => String(toGrpcTrailers(e)['grpc-status-details-bin']);
const status = (e: DaprError) => fromBinary(StatusSchema, Buffer.from(statusBin(e), 'base64'));

test('pub/sub not found over HTTP: the request metadata in the ErrorInfo, no ResourceInfo', () => {
  const e = new DaprError('ERR_PUBSUB_NOT_FOUND', 'pubsub nope is not found', {}, { resource: 'nope' });
  const r = toHttp(e);
  assert.equal(r.status, 404);
  assert.equal(
    r.body,
    '{"errorCode":"ERR_PUBSUB_NOT_FOUND","message":"pubsub nope is not found","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":{},"reason":"DAPR_PUBSUB_NOT_FOUND"}]}',
  );
});

test('pub/sub not found over gRPC: daprd passes no metadata there (byte-exact status)', () => {
  const e = new DaprError('ERR_PUBSUB_NOT_FOUND', 'pubsub nope is not found', { ignored: 'on gRPC' }, { resource: 'nope' });
  assert.equal(
    statusBin(e),
    'CAMSGHB1YnN1YiBub3BlIGlzIG5vdCBmb3VuZBpMCih0eXBlLmdvb2dsZWFwaXMuY29tL2dvb2dsZS5ycGMuRXJyb3JJbmZvEiAKFURBUFJfUFVCU1VCX05PVF9GT1VORBIHZGFwci5pbw',
  );
});

test('topic empty: ResourceInfo described by the message, then ErrorInfo; Go escaping, sorted keys', () => {
  const e = new DaprError('ERR_TOPIC_NAME_EMPTY', 'topic is empty in pubsub ps', { b: '<&>', a: '1' }, { resource: 'ps' });
  assert.equal(
    toHttp(e).body,
    '{"errorCode":"ERR_TOPIC_NAME_EMPTY","message":"topic is empty in pubsub ps","details":[{"@type":"type.googleapis.com/google.rpc.ResourceInfo","description":"topic is empty in pubsub ps","owner":"","resource_name":"ps","resource_type":"pubsub"},{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":{"a":"1","b":"\\u003c\\u0026\\u003e"},"reason":"DAPR_PUBSUB_TOPIC_NAME_EMPTY"}]}',
  );
  // Go writes proto maps in random order: compare the decoded status
  const s = status(e);
  assert.equal(s.code, 3);
  assert.deepEqual(s.details.map((d) => d.typeUrl), ['type.googleapis.com/google.rpc.ResourceInfo', 'type.googleapis.com/google.rpc.ErrorInfo']);
  const ri = anyUnpack(s.details[0]!, ResourceInfoSchema)!;
  assert.deepEqual([ri.resourceType, ri.resourceName, ri.owner, ri.description], ['pubsub', 'ps', '', 'topic is empty in pubsub ps']);
  const ei = anyUnpack(s.details[1]!, ErrorInfoSchema)!;
  assert.deepEqual([ei.reason, ei.domain, ei.metadata], ['DAPR_PUBSUB_TOPIC_NAME_EMPTY', 'dapr.io', { a: '1', b: '<&>' }]);
});

test('state store not found without metadata: "metadata":null, as a Go nil map', () => {
  const e = new DaprError('ERR_STATE_STORE_NOT_FOUND', 'state store x is not found');
  assert.equal(
    toHttp(e).body,
    '{"errorCode":"ERR_STATE_STORE_NOT_FOUND","message":"state store x is not found","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":null,"reason":"DAPR_STATE_NOT_FOUND"}]}',
  );
  assert.equal(
    statusBin(new DaprError('ERR_STATE_STORE_NOT_FOUND', 'state store x is not found', { appID: 'not on gRPC' })),
    'CAMSGnN0YXRlIHN0b3JlIHggaXMgbm90IGZvdW5kGksKKHR5cGUuZ29vZ2xlYXBpcy5jb20vZ29vZ2xlLnJwYy5FcnJvckluZm8SHwoUREFQUl9TVEFURV9OT1RfRk9VTkQSB2RhcHIuaW8',
  );
});

test('transactions not supported: Help link, ResourceInfo, ErrorInfo (both protocols byte-exact)', () => {
  const e = new DaprError('ERR_STATE_STORE_NOT_SUPPORTED', "state store s doesn't support transactions", undefined, { resource: 's' });
  assert.equal(
    toHttp(e).body,
    '{"errorCode":"ERR_STATE_STORE_NOT_SUPPORTED","message":"state store s doesn\'t support transactions","details":[{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Check the list of state stores and the features they support","url":"https://docs.dapr.io/reference/components-reference/supported-state-stores/"}]},{"@type":"type.googleapis.com/google.rpc.ResourceInfo","description":"","owner":"","resource_name":"s","resource_type":"state"},{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":null,"reason":"DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED"}]}',
  );
  assert.equal(
    statusBin(e),
    'CAwSKnN0YXRlIHN0b3JlIHMgZG9lc24ndCBzdXBwb3J0IHRyYW5zYWN0aW9ucxq2AQojdHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLkhlbHASjgEKiwEKPENoZWNrIHRoZSBsaXN0IG9mIHN0YXRlIHN0b3JlcyBhbmQgdGhlIGZlYXR1cmVzIHRoZXkgc3VwcG9ydBJLaHR0cHM6Ly9kb2NzLmRhcHIuaW8vcmVmZXJlbmNlL2NvbXBvbmVudHMtcmVmZXJlbmNlL3N1cHBvcnRlZC1zdGF0ZS1zdG9yZXMvGjkKK3R5cGUuZ29vZ2xlYXBpcy5jb20vZ29vZ2xlLnJwYy5SZXNvdXJjZUluZm8SCgoFc3RhdGUSAXMaXAoodHlwZS5nb29nbGVhcGlzLmNvbS9nb29nbGUucnBjLkVycm9ySW5mbxIwCiVEQVBSX1NUQVRFX1RSQU5TQUNUSU9OU19OT1RfU1VQUE9SVEVEEgdkYXByLmlv',
  );
});

test('illegal key: BadRequest field violation, ResourceInfo, ErrorInfo; errorCode stays ERR_MALFORMED_REQUEST', () => {
  const msg = "input key/keyPrefix 'a||b' can't contain '||'";
  const e = new DaprError('ERR_STATE_ILLEGAL_KEY', msg, undefined, { resource: 's', field: 'a||b' });
  const r = toHttp(e);
  assert.equal(r.status, 400);
  assert.equal(
    r.body,
    '{"errorCode":"ERR_MALFORMED_REQUEST","message":"input key/keyPrefix \'a||b\' can\'t contain \'||\'","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","field_violations":[{"field":"a||b","description":"input key/keyPrefix \'a||b\' can\'t contain \'||\'"}]},{"@type":"type.googleapis.com/google.rpc.ResourceInfo","description":"","owner":"","resource_name":"s","resource_type":"state"},{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":null,"reason":"DAPR_STATE_ILLEGAL_KEY"}]}',
  );
  assert.equal(
    statusBin(e),
    'CAMSLWlucHV0IGtleS9rZXlQcmVmaXggJ2F8fGInIGNhbid0IGNvbnRhaW4gJ3x8JxpkCil0eXBlLmdvb2dsZWFwaXMuY29tL2dvb2dsZS5ycGMuQmFkUmVxdWVzdBI3CjUKBGF8fGISLWlucHV0IGtleS9rZXlQcmVmaXggJ2F8fGInIGNhbid0IGNvbnRhaW4gJ3x8Jxo5Cit0eXBlLmdvb2dsZWFwaXMuY29tL2dvb2dsZS5ycGMuUmVzb3VyY2VJbmZvEgoKBXN0YXRlEgFzGk0KKHR5cGUuZ29vZ2xlYXBpcy5jb20vZ29vZ2xlLnJwYy5FcnJvckluZm8SIQoWREFQUl9TVEFURV9JTExFR0FMX0tFWRIHZGFwci5pbw',
  );
});

test('legacy codes: plain {errorCode,message} over HTTP (Go escaping), one ErrorInfo with the code on gRPC', () => {
  const e = new DaprError('ERR_STATE_GET', 'fail to get <k> from state store s: boom');
  assert.equal(toHttp(e).body, '{"errorCode":"ERR_STATE_GET","message":"fail to get \\u003ck\\u003e from state store s: boom"}');
  const s = status(e);
  assert.equal(s.details.length, 1);
  const ei = anyUnpack(s.details[0]!, ErrorInfoSchema)!;
  assert.deepEqual([ei.reason, ei.domain, ei.metadata], ['ERR_STATE_GET', 'dapr.io', {}]);
  // variants keep their wire code in both places
  const m = new DaprError('ERR_STATE_SAVE_ETAG_MISMATCH', 'possible etag mismatch');
  assert.deepEqual(JSON.parse(toHttp(m).body as string), { errorCode: 'ERR_STATE_SAVE', message: 'possible etag mismatch' });
  assert.equal(anyUnpack(status(m).details[0]!, ErrorInfoSchema)!.reason, 'ERR_STATE_SAVE');
});
