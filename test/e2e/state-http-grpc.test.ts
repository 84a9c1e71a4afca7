// State API semantics over raw HTTP and over gRPC, against one running sidecar (embedded
// SQLite store "statestore", token auth on).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { EtagSchema, StateItemSchema, StateOptionsSchema, StateOptions_StateConcurrency as Concurrency } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { TransactionalStateOperationSchema } from '../../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { httpRaw, jsonOf, startSidecar, stopAll, type RawResponse, type Sidecar } from '../helpers/sidecar.js';
import { Code, daprGrpcClient, grpcError, type DaprGrpcClient } from '../helpers/connect.js';
import { BadRequestSchema, ResourceInfoSchema } from '../../src/gen/google/rpc/error_details_pb.js';

const TOKEN = 'state-e2e-token-0b5e';
const STORE = 'statestore';

let sc: Sidecar;
let g: DaprGrpcClient;

before(async () => {
  sc = await startSidecar({ appId: 'state-e2e', token: TOKEN });
  g = daprGrpcClient(sc.grpcPort, TOKEN);
});
after(stopAll);

const H = { 'dapr-api-token': TOKEN };
const JSON_H = { ...H, 'content-type': 'application/json' };

function get(key: string, store = STORE, headers: Record<string, string> = H): Promise<RawResponse> {
  return httpRaw({ port: sc.httpPort, path: `/v1.0/state/${store}/${encodeURIComponent(key)}`, headers });
}
function post(path: string, body: unknown, extra: Record<string, string> = {}): Promise<RawResponse> {
  return httpRaw({ port: sc.httpPort, method: 'POST', path, headers: { ...JSON_H, ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
function save(items: unknown, store = STORE): Promise<RawResponse> {
  return post(`/v1.0/state/${store}`, items);
}
function del(key: string, headers: Record<string, string> = {}, query = ''): Promise<RawResponse> {
  return httpRaw({ port: sc.httpPort, method: 'DELETE', path: `/v1.0/state/${STORE}/${encodeURIComponent(key)}${query}`, headers: { ...H, ...headers } });
}
function errorOf(r: RawResponse): { errorCode: string; message: string } {
  return jsonOf<{ errorCode: string; message: string }>(r);
}
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('HTTP state API', () => {
  test('a saved value is returned with 200, Content-Type application/json and an ETag header', async () => {
    const s = await save([{ key: 'h1', value: { b: 1, a: 'x' } }]);
    assert.equal(s.status, 204, s.text);
    assert.equal(s.text, '');
    const r = await get('h1');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(typeof r.headers.etag === 'string' && r.headers.etag.length > 0, 'ETag header missing');
    assert.deepEqual(JSON.parse(r.text), { a: 'x', b: 1 });
  });

  test('JSON values are stored as daprd stores them (compact, keys sorted, <>& escaped, strings quoted)', async () => {
    await save([
      { key: 'go1', value: { z: [1, 2.5, true, null], a: '<b>&' } },
      { key: 'go2', value: 'hello' },
      { key: 'go3', value: 42 },
    ]);
    assert.equal((await get('go1')).text, '{"a":"\\u003cb\\u003e\\u0026","z":[1,2.5,true,null]}');
    assert.equal((await get('go2')).text, '"hello"');
    assert.equal((await get('go3')).text, '42');
  });

  test('a missing key answers 204 with an empty body and no ETag', async () => {
    const r = await get('never-saved');
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal(r.headers.etag, undefined);
  });

  test('bulk get returns every key in request order, missing keys as {key} only', async () => {
    await save([{ key: 'b1', value: { n: 1 } }, { key: 'b2', value: 'two' }]);
    const r = await post(`/v1.0/state/${STORE}/bulk`, { keys: ['b2', 'nope', 'b1'], parallelism: 2 });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const items = jsonOf<Array<{ key: string; data?: unknown; etag?: string }>>(r);
    assert.deepEqual(items.map((i) => i.key), ['b2', 'nope', 'b1']);
    assert.equal(items[0]!.data, 'two');
    assert.deepEqual(items[2]!.data, { n: 1 });
    assert.ok(items[0]!.etag && items[2]!.etag);
    assert.deepEqual(items[1], { key: 'nope' });
  });

  test('bulk get with no keys answers 200 []', async () => {
    const r = await post(`/v1.0/state/${STORE}/bulk`, { keys: [] });
    assert.equal(r.status, 200);
    assert.deepEqual(jsonOf(r), []);
  });

  test('saving with the current ETag succeeds and changes the ETag; a stale ETag is 409 ERR_STATE_SAVE', async () => {
    await save([{ key: 'e1', value: 1 }]);
    const etag1 = String((await get('e1')).headers.etag);
    const ok = await save([{ key: 'e1', value: 2, etag: etag1 }]);
    assert.equal(ok.status, 204, ok.text);
    const etag2 = String((await get('e1')).headers.etag);
    assert.notEqual(etag2, etag1);
    const stale = await save([{ key: 'e1', value: 3, etag: etag1 }]);
    assert.equal(stale.status, 409, stale.text);
    assert.equal(errorOf(stale).errorCode, 'ERR_STATE_SAVE');
    assert.match(errorOf(stale).message, /failed saving state in state store statestore/);
    // daprd builds this one the legacy way over HTTP: no details
    assert.deepEqual(Object.keys(JSON.parse(stale.text) as object), ['errorCode', 'message']);
    assert.equal((await get('e1')).text, '2', 'a rejected write must not change the value');
  });

  test('an ETag on a key that does not exist is a 409 mismatch', async () => {
    const r = await save([{ key: 'e-missing', value: 1, etag: '123' }]);
    assert.equal(r.status, 409, r.text);
    assert.equal((await get('e-missing')).status, 204);
  });

  test('first-write without ETag on an existing key is 409; last-write without ETag overwrites', async () => {
    await save([{ key: 'fw', value: 'v1' }]);
    const fw = await save([{ key: 'fw', value: 'v2', options: { concurrency: 'first-write' } }]);
    assert.equal(fw.status, 409, fw.text);
    assert.equal(errorOf(fw).errorCode, 'ERR_STATE_SAVE');
    const lw = await save([{ key: 'fw', value: 'v3', options: { concurrency: 'last-write' } }]);
    assert.equal(lw.status, 204, lw.text);
    assert.equal((await get('fw')).text, '"v3"');
    const fresh = await save([{ key: 'fw-new', value: 'v1', options: { concurrency: 'first-write' } }]);
    assert.equal(fresh.status, 204, 'first-write of a new key succeeds');
  });

  test('delete with a wrong If-Match is 409 ERR_STATE_DELETE; with the right one 204 and the key is gone', async () => {
    await save([{ key: 'd1', value: 'x' }]);
    const etag = String((await get('d1')).headers.etag);
    const wrong = await del('d1', { 'if-match': 'not-the-etag' });
    assert.equal(wrong.status, 409, wrong.text);
    assert.equal(errorOf(wrong).errorCode, 'ERR_STATE_DELETE');
    assert.equal((await get('d1')).status, 200, 'a refused delete must keep the key');
    const ok = await del('d1', { 'if-match': etag });
    assert.equal(ok.status, 204, ok.text);
    assert.equal((await get('d1')).status, 204);
  });

  test('delete without ETag removes the key; deleting a missing key is 204', async () => {
    await save([{ key: 'd2', value: 'x' }]);
    assert.equal((await del('d2')).status, 204);
    assert.equal((await get('d2')).status, 204);
    assert.equal((await del('d2')).status, 204);
  });

  test('a transaction applies upserts and deletes together', async () => {
    await save([{ key: 't-del', value: 'bye' }]);
    const r = await post(`/v1.0/state/${STORE}/transaction`, {
      operations: [
        { operation: 'upsert', request: { key: 't1', value: { one: 1 } } },
        { operation: 'upsert', request: { key: 't2', value: 'two' } },
        { operation: 'delete', request: { key: 't-del' } },
      ],
    });
    assert.equal(r.status, 204, r.text);
    assert.equal((await get('t1')).text, '{"one":1}');
    assert.equal((await get('t2')).text, '"two"');
    assert.equal((await get('t-del')).status, 204);
  });

  test('a transaction with a stale ETag fails as a whole with 500 ERR_STATE_TRANSACTION', async () => {
    await save([{ key: 'tx-e', value: 'orig' }]);
    const r = await post(`/v1.0/state/${STORE}/transaction`, {
      operations: [
        { operation: 'upsert', request: { key: 'tx-other', value: 'must-not-appear' } },
        { operation: 'upsert', request: { key: 'tx-e', value: 'new', etag: 'stale-etag' } },
      ],
    });
    assert.equal(r.status, 500, r.text);
    assert.equal(errorOf(r).errorCode, 'ERR_STATE_TRANSACTION');
    assert.equal((await get('tx-e')).text, '"orig"');
    assert.equal((await get('tx-other')).status, 204, 'the transaction must be atomic');
  });

  test('a transaction with an unknown operation is 400 ERR_NOT_SUPPORTED_STATE_OPERATION', async () => {
    const r = await post(`/v1.0/state/${STORE}/transaction`, { operations: [{ operation: 'merge', request: { key: 'x', value: 1 } }] });
    assert.equal(r.status, 400, r.text);
    assert.equal(errorOf(r).errorCode, 'ERR_NOT_SUPPORTED_STATE_OPERATION');
    assert.equal(errorOf(r).message, 'operation type merge not supported');
  });

  test('an unknown concurrency or consistency model is refused as daprd\'s stores refuse it, and nothing is written', async () => {
    const cases: Array<[RawResponse, string, string]> = [
      [await save([{ key: 'opt-a', value: 1 }, { key: 'opt-b', value: 2, options: { concurrency: 'foo' } }]), 'ERR_STATE_SAVE', "failed saving state in state store statestore: unrecognized concurrency model 'foo'"],
      [await save([{ key: 'opt-a', value: 1, options: { concurrency: 'bar', consistency: 'foo' } }]), 'ERR_STATE_SAVE', "failed saving state in state store statestore: unrecognized consistency model 'foo'"],
      [await del('opt-a', {}, '?concurrency=bogus&consistency=bogus'), 'ERR_STATE_DELETE', "failed deleting state with key opt-a: unrecognized consistency model 'bogus'"],
      [await post(`/v1.0/state/${STORE}/transaction`, { operations: [{ operation: 'upsert', request: { key: 'opt-a', value: 1, options: { concurrency: 'x' } } }] }), 'ERR_STATE_TRANSACTION', "error while executing state transaction: unrecognized concurrency model 'x'"],
    ];
    for (const [r, code, message] of cases) {
      assert.equal(r.status, 500, r.text);
      assert.deepEqual(errorOf(r), { errorCode: code, message });
    }
    assert.equal((await get('opt-a')).status, 204);
    // the known ones, and none, pass
    assert.equal((await save([{ key: 'opt-a', value: 1, options: { concurrency: 'last-write', consistency: 'strong' } }])).status, 204);
    assert.equal((await del('opt-a', {}, '?concurrency=first-write&consistency=eventual')).status, 204);
    // options that are not an object, or a model that is not a string: 400, as daprd's decoder says
    for (const options of ['x', { concurrency: 5 }]) {
      const r = await save([{ key: 'opt-a', value: 1, options }]);
      assert.equal(r.status, 400, r.text);
      assert.equal(errorOf(r).errorCode, 'ERR_MALFORMED_REQUEST');
    }
    // the store is named first when it is unknown too
    assert.equal(errorOf(await save([{ key: 'k', value: 1, options: { concurrency: 'foo' } }], 'nope')).errorCode, 'ERR_STATE_STORE_NOT_FOUND');
  });

  test('an unknown store is 400 ERR_STATE_STORE_NOT_FOUND on get, save, delete, bulk and transaction', async () => {
    const rs = [
      await get('k', 'nope'),
      await save([{ key: 'k', value: 1 }], 'nope'),
      await httpRaw({ port: sc.httpPort, method: 'DELETE', path: '/v1.0/state/nope/k', headers: H }),
      await post('/v1.0/state/nope/bulk', { keys: ['k'] }),
      await post('/v1.0/state/nope/transaction', { operations: [] }),
    ];
    for (const r of rs) {
      assert.equal(r.status, 400, r.text);
      // daprd's bytes (dapr/kit): the app id in the ErrorInfo, no ResourceInfo
      assert.equal(
        r.text,
        '{"errorCode":"ERR_STATE_STORE_NOT_FOUND","message":"state store nope is not found","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","domain":"dapr.io","metadata":{"appID":"state-e2e"},"reason":"DAPR_STATE_NOT_FOUND"}]}',
      );
    }
  });

  test("a key containing '||' is refused with 400 ERR_MALFORMED_REQUEST on get, save and delete", async () => {
    for (const r of [await get('a||b'), await save([{ key: 'a||b', value: 1 }]), await del('a||b')]) {
      assert.equal(r.status, 400, r.text);
      // daprd (dapr/kit): a BadRequest field violation naming the key, the store, DAPR_STATE_ILLEGAL_KEY
      const msg = "input key/keyPrefix 'a||b' can't contain '||'";
      assert.deepEqual(JSON.parse(r.text), {
        errorCode: 'ERR_MALFORMED_REQUEST', message: msg,
        details: [
          { '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field: 'a||b', description: msg }] },
          { '@type': 'type.googleapis.com/google.rpc.ResourceInfo', description: '', owner: '', resource_name: STORE, resource_type: 'state' },
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', domain: 'dapr.io', metadata: null, reason: 'DAPR_STATE_ILLEGAL_KEY' },
        ],
      });
    }
  });

  test('an empty key in a bulk get or a transaction is 400 ERR_MALFORMED_REQUEST, and nothing is written', async () => {
    const bulk = await post('/v1.0/state/statestore/bulk', { keys: ['k', ''] });
    assert.equal(bulk.status, 400, bulk.text);
    assert.deepEqual(errorOf(bulk), { errorCode: 'ERR_MALFORMED_REQUEST', message: 'state key cannot be empty' });
    const ops = [{ operation: 'upsert', request: { key: 'tx-before-empty', value: 1 } }, { operation: 'upsert', request: { key: '', value: 1 } }];
    const tx = await post('/v1.0/state/statestore/transaction', { operations: ops });
    assert.equal(tx.status, 400, tx.text);
    // as a save without a key says it
    assert.deepEqual(errorOf(tx), { errorCode: 'ERR_MALFORMED_REQUEST', message: '"key" is a required field (operations[1].request.key)' });
    assert.equal((await get('tx-before-empty')).status, 204);
  });

  test('a save without key is 400 ERR_MALFORMED_REQUEST naming the key field', async () => {
    const r = await save([{ value: 1 }]);
    assert.equal(r.status, 400);
    assert.equal(errorOf(r).errorCode, 'ERR_MALFORMED_REQUEST');
    assert.match(errorOf(r).message, /key/);
  });

  test('a save item without "value" stores JSON null, as daprd does', async () => {
    const s = await save([{ key: 'no-value' }]);
    assert.equal(s.status, 204, s.text);
    const r = await get('no-value');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'null', 'the stored value must be valid JSON (daprd stores null)');
  });

  test('ttlInSeconds expires a value and GET reports metadata.ttlExpireTime', async () => {
    const s = await post(`/v1.0/state/${STORE}?metadata.ttlInSeconds=1`, [{ key: 'ttl1', value: 'short' }]);
    assert.equal(s.status, 204, s.text);
    const r = await get('ttl1');
    assert.equal(r.status, 200);
    const exp = r.headers['metadata.ttlexpiretime'];
    assert.ok(typeof exp === 'string' && !Number.isNaN(Date.parse(exp)), `metadata.ttlExpireTime header: ${String(exp)}`);
    await new Promise((res) => setTimeout(res, 1300));
    assert.equal((await get('ttl1')).status, 204, 'expired value still returned');
    assert.equal((await g.getState({ storeName: STORE, key: 'ttl1' })).data.length, 0);
  });

  test('an empty save list is 204', async () => {
    assert.equal((await save([])).status, 204);
  });

  test('keys with spaces, unicode and slashes (percent-encoded) round-trip', async () => {
    for (const key of ['with space', 'ünï-ç😀de', 'a/b']) {
      const s = await save([{ key, value: key }]);
      assert.equal(s.status, 204, s.text);
      const r = await get(key);
      assert.equal(r.status, 200, `${key}: ${r.status} ${r.text}`);
      assert.equal(JSON.parse(r.text), key);
    }
  });

  test('a 1 MB value round-trips over HTTP', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const s = await save([{ key: 'big-http', value: big }]);
    assert.equal(s.status, 204, s.text);
    const r = await get('big-http');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, big.length + 2);
    assert.equal(JSON.parse(r.text), big);
  });
});

describe('gRPC state API', () => {
  test('binary values (all 256 byte values) are stored and returned byte for byte, with an ETag', async () => {
    const value = new Uint8Array(512);
    for (let i = 0; i < value.length; i++) value[i] = i % 256;
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'bin', value })] });
    const r = await g.getState({ storeName: STORE, key: 'bin' });
    assert.deepEqual(Buffer.from(r.data), Buffer.from(value));
    assert.ok(r.etag.length > 0);
  });

  test('a missing key returns an empty response, not an error', async () => {
    const r = await g.getState({ storeName: STORE, key: 'grpc-never' });
    assert.equal(r.data.length, 0);
    assert.equal(r.etag, '');
  });

  test('bulk get returns items in order with raw data and ETags', async () => {
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'gb1', value: bytes('one') }), create(StateItemSchema, { key: 'gb2', value: new Uint8Array([0, 255]) })] });
    const r = await g.getBulkState({ storeName: STORE, keys: ['gb2', 'gb-missing', 'gb1'] });
    assert.deepEqual(r.items.map((i) => i.key), ['gb2', 'gb-missing', 'gb1']);
    assert.deepEqual([...r.items[0]!.data], [0, 255]);
    assert.equal(r.items[1]!.data.length, 0);
    assert.equal(text(r.items[2]!.data), 'one');
    assert.ok(r.items[0]!.etag && r.items[2]!.etag);
    assert.equal(r.items[1]!.etag, '');
  });

  test('save with a stale ETag is ABORTED; with the current ETag it succeeds', async () => {
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'ge', value: bytes('1') })] });
    const etag1 = (await g.getState({ storeName: STORE, key: 'ge' })).etag;
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'ge', value: bytes('2'), etag: create(EtagSchema, { value: etag1 }) })] });
    const e = await grpcError(() =>
      g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'ge', value: bytes('3'), etag: create(EtagSchema, { value: etag1 }) })] }),
    );
    assert.equal(e.code, Code.Aborted, e.message);
    assert.match(e.rawMessage, /failed saving state in state store statestore/);
    // daprd's gRPC: apierrors.Basic — ErrorInfo{reason: the error code}, nothing else
    assert.deepEqual([e.info?.reason, e.info?.domain, e.details.length], ['ERR_STATE_SAVE', 'dapr.io', 1]);
    assert.equal(text((await g.getState({ storeName: STORE, key: 'ge' })).data), '2');
  });

  test('first-write without ETag on an existing key is ABORTED', async () => {
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'gfw', value: bytes('1') })] });
    const e = await grpcError(() =>
      g.saveState({
        storeName: STORE,
        states: [create(StateItemSchema, { key: 'gfw', value: bytes('2'), options: create(StateOptionsSchema, { concurrency: Concurrency.CONCURRENCY_FIRST_WRITE }) })],
      }),
    );
    assert.equal(e.code, Code.Aborted);
  });

  test('delete with a wrong ETag is ABORTED and keeps the key; with the right ETag it deletes', async () => {
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'gd', value: bytes('x') })] });
    const etag = (await g.getState({ storeName: STORE, key: 'gd' })).etag;
    const e = await grpcError(() => g.deleteState({ storeName: STORE, key: 'gd', etag: create(EtagSchema, { value: 'wrong' }) }));
    assert.equal(e.code, Code.Aborted);
    assert.match(e.rawMessage, /failed deleting state with key gd/);
    assert.equal(text((await g.getState({ storeName: STORE, key: 'gd' })).data), 'x');
    await g.deleteState({ storeName: STORE, key: 'gd', etag: create(EtagSchema, { value: etag }) });
    assert.equal((await g.getState({ storeName: STORE, key: 'gd' })).data.length, 0);
  });

  test('DeleteBulkState removes several keys', async () => {
    await g.saveState({ storeName: STORE, states: ['gdb1', 'gdb2'].map((key) => create(StateItemSchema, { key, value: bytes(key) })) });
    await g.deleteBulkState({ storeName: STORE, states: ['gdb1', 'gdb2'].map((key) => create(StateItemSchema, { key })) });
    const r = await g.getBulkState({ storeName: STORE, keys: ['gdb1', 'gdb2'] });
    assert.ok(r.items.every((i) => i.data.length === 0));
  });

  test('a transaction stores binary values verbatim and deletes in the same call', async () => {
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'gt-del', value: bytes('bye') })] });
    const blob = randomBytes(300);
    await g.executeStateTransaction({
      storeName: STORE,
      operations: [
        create(TransactionalStateOperationSchema, { operationType: 'upsert', request: create(StateItemSchema, { key: 'gt1', value: blob }) }),
        create(TransactionalStateOperationSchema, { operationType: 'delete', request: create(StateItemSchema, { key: 'gt-del' }) }),
      ],
    });
    assert.deepEqual(Buffer.from((await g.getState({ storeName: STORE, key: 'gt1' })).data), blob);
    assert.equal((await g.getState({ storeName: STORE, key: 'gt-del' })).data.length, 0);
  });

  test('a transaction with an unknown operation type fails and changes nothing', async () => {
    const e = await grpcError(() =>
      g.executeStateTransaction({
        storeName: STORE,
        operations: [
          create(TransactionalStateOperationSchema, { operationType: 'upsert', request: create(StateItemSchema, { key: 'gt-bad1', value: bytes('1') }) }),
          create(TransactionalStateOperationSchema, { operationType: 'merge', request: create(StateItemSchema, { key: 'gt-bad2', value: bytes('2') }) }),
        ],
      }),
    );
    assert.equal(e.code, Code.Unimplemented, e.message);
    assert.equal(e.rawMessage, 'operation type merge not supported');
    assert.equal((await g.getState({ storeName: STORE, key: 'gt-bad1' })).data.length, 0);
  });

  test('an unknown store is INVALID_ARGUMENT "state store nope is not found"', async () => {
    for (const call of [
      () => g.getState({ storeName: 'nope', key: 'k' }),
      () => g.saveState({ storeName: 'nope', states: [create(StateItemSchema, { key: 'k', value: bytes('1') })] }),
      () => g.deleteState({ storeName: 'nope', key: 'k' }),
      () => g.getBulkState({ storeName: 'nope', keys: ['k'] }),
      () => g.executeStateTransaction({ storeName: 'nope', operations: [] }),
    ]) {
      const e = await grpcError(call);
      assert.equal(e.code, Code.InvalidArgument, e.message);
      assert.equal(e.rawMessage, 'state store nope is not found');
      // daprd's gRPC (universal API): DAPR_STATE_NOT_FOUND without metadata, no ResourceInfo
      assert.deepEqual([e.info?.reason, e.info?.domain, e.info?.metadata], ['DAPR_STATE_NOT_FOUND', 'dapr.io', {}]);
      assert.equal(e.findDetails(ResourceInfoSchema).length, 0);
    }
  });

  test("a key containing '||' is INVALID_ARGUMENT", async () => {
    for (const call of [
      () => g.getState({ storeName: STORE, key: 'a||b' }),
      () => g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'a||b', value: bytes('1') })] }),
      () => g.deleteState({ storeName: STORE, key: 'a||b' }),
    ]) {
      const e = await grpcError(call);
      assert.equal(e.code, Code.InvalidArgument, e.message);
      assert.equal(e.rawMessage, "input key/keyPrefix 'a||b' can't contain '||'");
      assert.equal(e.info?.reason, 'DAPR_STATE_ILLEGAL_KEY');
      assert.equal(e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field, 'a||b');
    }
  });

  test("an empty key is INVALID_ARGUMENT on every method, in daprd's words for SaveState", async () => {
    const item = create(StateItemSchema, { key: '', value: bytes('1') });
    for (const call of [
      () => g.saveState({ storeName: STORE, states: [item] }),
      () => g.getState({ storeName: STORE, key: '' }),
      () => g.getBulkState({ storeName: STORE, keys: ['gt-some', ''] }),
      () => g.deleteState({ storeName: STORE, key: '' }),
      () => g.executeStateTransaction({ storeName: STORE, operations: [create(TransactionalStateOperationSchema, { operationType: 'upsert', request: item })] }),
    ]) {
      const e = await grpcError(call);
      assert.equal(e.code, Code.InvalidArgument, e.message);
      assert.equal(e.rawMessage, 'state key cannot be empty');
    }
  });

  test('a 1 MB binary value round-trips over gRPC', async () => {
    const big = randomBytes(1024 * 1024);
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'big-grpc', value: big })] });
    const r = await g.getState({ storeName: STORE, key: 'big-grpc' });
    assert.equal(r.data.length, big.length);
    assert.ok(Buffer.from(r.data).equals(big));
  });
});

describe('HTTP and gRPC share one store', () => {
  test('an HTTP-saved JSON string is read over gRPC with its quotes (daprd semantics)', async () => {
    await save([{ key: 'x-http', value: 'hello' }]);
    const r = await g.getState({ storeName: STORE, key: 'x-http' });
    assert.equal(text(r.data), '"hello"');
  });

  test('gRPC raw bytes are returned verbatim over HTTP with Content-Type application/json', async () => {
    await g.saveState({ storeName: STORE, states: [create(StateItemSchema, { key: 'x-grpc', value: bytes('hello') })] });
    const r = await get('x-grpc');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'hello');
    assert.equal(r.headers['content-type'], 'application/json');
  });

  test('the ETag is the same on both protocols and an HTTP ETag works for a gRPC delete', async () => {
    await save([{ key: 'x-etag', value: 1 }]);
    const httpEtag = String((await get('x-etag')).headers.etag);
    const grpcEtag = (await g.getState({ storeName: STORE, key: 'x-etag' })).etag;
    assert.equal(grpcEtag, httpEtag);
    await g.deleteState({ storeName: STORE, key: 'x-etag', etag: create(EtagSchema, { value: httpEtag }) });
    assert.equal((await get('x-etag')).status, 204);
  });

  test('HTTP bulk get of a gRPC-saved non-JSON value still answers valid JSON', async () => {
    const r = await post(`/v1.0/state/${STORE}/bulk`, { keys: ['x-grpc'] });
    assert.equal(r.status, 200);
    const items = jsonOf<Array<{ key: string }>>(r);
    assert.equal(items[0]!.key, 'x-grpc');
  });
});
