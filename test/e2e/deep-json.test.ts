// Deeply nested JSON bodies through the real `bin/pillion`. daprd decodes request bodies with
// Go's encoding/json, which accepts nesting up to 10,000 levels: such bodies must work here
// too (state round-trips byte for byte, bindings and publish deliver), and anything deeper is
// the route's malformed-input error, never ERR_INTERNAL with a JavaScript message, and the
// sidecar keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { StateItemSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { GetStateRequestSchema, GetStateResponseSchema, SaveStateRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { httpRaw, jsonOf, startSidecar, stopAll, type RawResponse, type Sidecar } from '../helpers/sidecar.js';
import { startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { stateAndSecretsResources } from '../helpers/resources.js';
import { DAPR_SERVICE, decodeOne, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'deep-json-token-5e1f';
const H = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };
/** encoding/json's maxNestingDepth: the deepest body daprd decodes */
const GO_MAX = 10_000;

/** An object nested `levels` deep, written as Go's json.Marshal writes it. */
const deep = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

let sc: Sidecar;
let target: RecordingApp;

before(async () => {
  target = await startHttpApp();
  const dir = stateAndSecretsResources('pillion-deep-json-', {});
  writeFileSync(
    join(dir, 'web.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: web }\nspec:\n  type: bindings.http\n  version: v1\n  metadata:\n    - { name: url, value: "http://127.0.0.1:${target.port}/bind" }\n`,
  );
  sc = await startSidecar({ appId: 'deep-json', token: TOKEN, resourcesPaths: [dir] });
});

after(async () => {
  await stopAll();
  await target.close();
});

const post = (path: string, body: string, headers: Record<string, string> = H): Promise<RawResponse> =>
  httpRaw({ port: sc.httpPort, method: 'POST', path, headers, body });

/** The error a too-deep body gets: the route's own code, Go's wording, no JS internals. */
function assertTooDeep(r: RawResponse, status: number, errorCode: string): void {
  assert.equal(r.status, status, r.text.slice(0, 300));
  const e = jsonOf<{ errorCode: string; message: string }>(r);
  assert.equal(e.errorCode, errorCode);
  assert.match(r.text, /exceeded max depth/);
  assert.doesNotMatch(r.text, /call stack|ERR_INTERNAL/);
}

async function stillServing(): Promise<void> {
  assert.ok(sc.running, `the sidecar exited:\n${sc.output}`);
  const h = await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' });
  assert.equal(h.status, 204);
}

describe('state', () => {
  test(`a save body nested ${GO_MAX} levels is stored, and GET returns the value byte for byte`, async () => {
    const value = deep(GO_MAX - 2); // the body's array and item object are two of the levels
    const r = await post('/v1.0/state/statestore', `[{"key":"deep","value":${value}}]`);
    assert.equal(r.status, 204, r.text.slice(0, 300));
    const got = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/deep', headers: H });
    assert.equal(got.status, 200);
    assert.equal(got.text, value);
  });

  for (const levels of [GO_MAX + 1, 100_000]) {
    test(`a save body nested ${levels} levels is 400 ERR_MALFORMED_REQUEST and stores nothing`, async () => {
      assertTooDeep(await post('/v1.0/state/statestore', `[{"key":"too-deep","value":${deep(levels - 2)}}]`), 400, 'ERR_MALFORMED_REQUEST');
      const got = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/too-deep', headers: H });
      assert.equal(got.status, 204);
      await stillServing();
    });
  }

  test(`a transaction nested ${GO_MAX} levels commits; one level more is 400 ERR_MALFORMED_REQUEST`, async () => {
    const body = (levels: number) => `{"operations":[{"operation":"upsert","request":{"key":"tx-deep","value":${deep(levels - 4)}}}]}`;
    const ok = await post('/v1.0/state/statestore/transaction', body(GO_MAX));
    assert.equal(ok.status, 204, ok.text.slice(0, 300));
    const got = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/tx-deep', headers: H });
    assert.equal(got.text, deep(GO_MAX - 4));
    assertTooDeep(await post('/v1.0/state/statestore/transaction', body(GO_MAX + 1)), 400, 'ERR_MALFORMED_REQUEST');
    await stillServing();
  });

  test('gRPC SaveState of a deep JSON value (contentType application/json) round-trips; too deep is INVALID_ARGUMENT', async () => {
    const save = (key: string, levels: number) =>
      grpcRaw({
        port: sc.grpcPort, path: `${DAPR_SERVICE}/SaveState`, metadata: { 'dapr-api-token': TOKEN },
        messages: [toBinary(SaveStateRequestSchema, create(SaveStateRequestSchema, {
          storeName: 'statestore',
          states: [create(StateItemSchema, { key, value: Buffer.from(deep(levels)), metadata: { contentType: 'application/json' } })],
        }))],
      });
    assert.equal((await save('grpc-deep', GO_MAX)).code, GrpcStatus.OK);
    const got = await grpcRaw({
      port: sc.grpcPort, path: `${DAPR_SERVICE}/GetState`, metadata: { 'dapr-api-token': TOKEN },
      messages: [toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'grpc-deep' }))],
    });
    assert.equal(Buffer.from(decodeOne(GetStateResponseSchema, got).data).toString(), deep(GO_MAX));
    const bad = await save('grpc-too-deep', GO_MAX + 1);
    assert.equal(bad.code, GrpcStatus.INVALID_ARGUMENT, bad.message);
    assert.match(bad.message, /exceeded max depth/);
  });

  test('a deeply nested query filter gets ERR_STATE_QUERY with a short message', async () => {
    for (const levels of [17, 1000, GO_MAX + 1]) {
      const filter = '{"AND":['.repeat(levels) + '{"EQ":{"a":1}}' + ']}'.repeat(levels);
      const r = await post('/v1.0-alpha1/state/statestore/query', `{"filter":${filter}}`);
      assert.equal(jsonOf<{ errorCode: string }>(r).errorCode, 'ERR_STATE_QUERY', r.text.slice(0, 300));
      const { message } = jsonOf<{ message: string }>(r);
      assert.ok(message.length <= 400, `${levels} levels: a ${message.length}-character message`);
    }
    await stillServing();
  });
});

describe('bindings', () => {
  test(`output binding data nested ${GO_MAX - 1} levels (a ${GO_MAX}-level body) reaches the target as Go encodes it`, async () => {
    target.seen.length = 0;
    const r = await post('/v1.0/bindings/web', `{"operation":"post","data":${deep(GO_MAX - 1)}}`);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.equal(target.seen.at(-1)?.body.toString(), deep(GO_MAX - 1));
  });

  test('a binding body one level deeper is 400 ERR_MALFORMED_REQUEST and nothing is sent', async () => {
    target.seen.length = 0;
    assertTooDeep(await post('/v1.0/bindings/web', `{"operation":"post","data":${deep(GO_MAX)}}`), 400, 'ERR_MALFORMED_REQUEST');
    assert.equal(target.seen.length, 0);
    await stillServing();
  });
});

describe('publish', () => {
  const CE = 'application/cloudevents+json';
  const ce = (levels: number) => `{"specversion":"1.0","id":"1","source":"s","type":"t","data":${deep(levels - 1)}}`;

  test(`a CloudEvent nested ${GO_MAX} levels is published; one level more is the malformed-CloudEvent error`, async () => {
    const ok = await post('/v1.0/publish/pubsub/deep', ce(GO_MAX), { ...H, 'content-type': CE });
    assert.equal(ok.status, 204, ok.text.slice(0, 300));
    // the same answer as any CloudEvent body that does not decode (daprd: 500 ERR_PUBSUB_CLOUD_EVENTS_SER)
    const broken = await post('/v1.0/publish/pubsub/deep', '{"specversion":', { ...H, 'content-type': CE });
    const r = await post('/v1.0/publish/pubsub/deep', ce(GO_MAX + 1), { ...H, 'content-type': CE });
    assert.equal(r.status, broken.status);
    assert.equal(jsonOf<{ errorCode: string }>(r).errorCode, 'ERR_PUBSUB_CLOUD_EVENTS_SER');
    assert.match(r.text, /exceeded max depth/);
    assert.doesNotMatch(r.text, /call stack/);
    await stillServing();
  });

  test(`a bulk publish nested ${GO_MAX} levels is accepted; one level more is 400 ERR_PUBSUB_EVENTS_SER`, async () => {
    const body = (levels: number) => `[{"entryId":"1","event":${deep(levels - 2)},"contentType":"application/json"}]`;
    const ok = await post('/v1.0-alpha1/publish/bulk/pubsub/deep', body(GO_MAX));
    assert.equal(ok.status, 204, ok.text.slice(0, 300));
    assertTooDeep(await post('/v1.0-alpha1/publish/bulk/pubsub/deep', body(GO_MAX + 1)), 400, 'ERR_PUBSUB_EVENTS_SER');
    await stillServing();
  });
});
