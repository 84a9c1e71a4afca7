// Output bindings through the real `bin/pillion`, on both APIs: bindings.http against a local
// node:http server (what arrives: method, path, body, headers — never a token), bindings.redis
// against the shared Redis (a run-unique key prefix, removed afterwards), the error answers,
// the token check, the metadata API and the official SDK's client.binding.send.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { httpRaw, jsonOf, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { headerValues, startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError, type DaprGrpcClient } from '../helpers/connect.js';

const TOKEN = 'bindings-out-token-7d21c';
const APP_TOKEN = 'bindings-out-app-token-90ab';
const RUN = randomBytes(5).toString('hex');
const PREFIX = `pillion-bindings-${RUN}-`;
const REDIS = process.env.PILLION_TEST_REDIS ?? '127.0.0.1:6379';
const H = { 'dapr-api-token': TOKEN, 'content-type': 'application/json' };

let sc: Sidecar;
let target: RecordingApp;
let g: DaprGrpcClient;
let redis: Redis;
const clients: DaprClient[] = [];

const component = (name: string, type: string, md: Record<string, string>, scopes?: string[]): string =>
  `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: ${name} }\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n` +
  Object.entries(md).map(([k, v]) => `    - { name: ${k}, value: ${JSON.stringify(v)} }\n`).join('') +
  (scopes ? `scopes: [${scopes.join(', ')}]\n` : '');

before(async () => {
  target = await startHttpApp();
  const dir = tempDir('pillion-bindings-out-');
  writeFileSync(join(dir, 'web.yaml'), component('web', 'bindings.http', { URL: `http://127.0.0.1:${target.port}/base/` }));
  writeFileSync(join(dir, 'kv.yaml'), component('kv', 'bindings.redis', { redisHost: REDIS }));
  writeFileSync(join(dir, 'other.yaml'), component('elsewhere', 'bindings.http', { url: 'http://127.0.0.1:1/' }, ['another-app']));
  sc = await startSidecar({ appId: 'bindings-out', token: TOKEN, resourcesPaths: [dir], env: { APP_API_TOKEN: APP_TOKEN } });
  g = daprGrpcClient(sc.grpcPort, TOKEN);
  const [host, port] = REDIS.split(':');
  redis = new Redis({ host, port: Number(port ?? 6379), lazyConnect: true });
  await redis.connect();
});

after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await stopAll();
  await target.close();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const post = (name: string, body: unknown, headers: Record<string, string> = H) =>
  httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/bindings/${name}`, headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** No request the target saw may carry either token, in any header. */
function assertNoTokens(): void {
  for (const s of target.seen) {
    const text = s.rawHeaders.join('\n') + s.body.toString('latin1');
    assert.ok(!text.includes(TOKEN), `API token sent to the binding URL: ${text}`);
    assert.ok(!text.includes(APP_TOKEN), `app token sent to the binding URL: ${text}`);
  }
}

describe('bindings.http', () => {
  test('HTTP API: POST → the URL + path, JSON-encoded data, capitalised metadata as headers; answer and its metadata back', async () => {
    target.answer = () => ({ status: 201, headers: { 'content-type': 'text/plain', 'x-reply': 'r1' }, body: 'created!' });
    target.seen.length = 0;
    const res = await post('web', {
      operation: 'post',
      data: { b: 1, a: '<x>' },
      metadata: { path: '/orders?q=1', 'X-Custom': 'c1', lowercase: 'not-a-header' },
    }, { ...H, authorization: 'Bearer something', baggage: 'k=v' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, 'created!');
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.headers['metadata.statuscode'], '201');
    assert.equal(res.headers['metadata.status'], '201 Created');
    assert.equal(res.headers['metadata.x-reply'], 'r1');
    assert.ok(res.rawHeaders.includes('metadata.X-Reply'), 'header names are canonical, as Go reports them');
    const seen = target.seen.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/base/orders?q=1');
    assert.equal(seen.body.toString(), '{"a":"\\u003cx\\u003e","b":1}'); // Go's json.Marshal of the data
    assert.deepEqual(headerValues(seen.rawHeaders, 'content-type'), ['application/json; charset=utf-8']);
    assert.deepEqual(headerValues(seen.rawHeaders, 'accept'), ['application/json; charset=utf-8']);
    assert.deepEqual(headerValues(seen.rawHeaders, 'x-custom'), ['c1']);
    assert.deepEqual(headerValues(seen.rawHeaders, 'baggage'), ['k=v']);
    assert.deepEqual(headerValues(seen.rawHeaders, 'lowercase'), []);
    assert.deepEqual(headerValues(seen.rawHeaders, 'authorization'), []);
    assertNoTokens();
  });

  test('a string is sent with its JSON quotes, as daprd does; PUT route works too', async () => {
    target.answer = () => ({ status: 200, body: '' });
    const res = await httpRaw({ port: sc.httpPort, method: 'PUT', path: '/v1.0/bindings/web', headers: H, body: JSON.stringify({ operation: 'create', data: 'hello' }) });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    const seen = target.seen.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/base/');
    assert.equal(seen.body.toString(), '"hello"');
  });

  test('gRPC InvokeBinding: GET without a body; call metadata is not forwarded', async () => {
    target.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[1,2]}' });
    const res = await g.invokeBinding(
      { name: 'web', operation: 'get', metadata: { path: 'items', Accept: 'text/plain' }, data: Buffer.from('ignored') },
      { headers: { 'x-secret': 'caller-metadata' } },
    );
    assert.equal(Buffer.from(res.data).toString(), '{"items":[1,2]}');
    assert.equal(res.metadata.statusCode, '200');
    assert.equal(res.metadata['Content-Type'], 'application/json');
    const seen = target.seen.at(-1)!;
    assert.equal(seen.method, 'GET');
    assert.equal(seen.url, '/base/items');
    assert.equal(seen.body.length, 0);
    assert.deepEqual(headerValues(seen.rawHeaders, 'accept'), ['text/plain']);
    assert.deepEqual(headerValues(seen.rawHeaders, 'content-type'), []);
    assert.deepEqual(headerValues(seen.rawHeaders, 'x-secret'), []);
    assertNoTokens();
  });

  test('a non-2xx answer is ERR_INVOKE_OUTPUT_BINDING with its metadata; errorIfNot2XX=false makes it an answer', async () => {
    target.answer = () => ({ status: 404, headers: { 'x-why': 'gone' }, body: 'nope' });
    const res = await post('web', { operation: 'delete', metadata: { path: 'x/1' } });
    assert.equal(res.status, 500);
    assert.deepEqual(jsonOf(res), { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: 'error invoking output binding web: received status code 404' });
    assert.equal(res.headers['metadata.statuscode'], '404');
    assert.equal(res.headers['metadata.x-why'], 'gone');
    assert.equal(target.seen.at(-1)!.method, 'DELETE');

    const ok = await post('web', { operation: 'delete', metadata: { path: 'x/1', errorIfNot2XX: 'false' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'nope');

    const e = await grpcError(() => g.invokeBinding({ name: 'web', operation: 'get' }));
    assert.equal(e.code, Code.Internal);
    assert.equal(e.rawMessage, 'error invoking output binding web: received status code 404');
    assert.equal(e.info?.reason, 'ERR_INVOKE_OUTPUT_BINDING');
  });

  test('the official SDK sends over HTTP and gRPC', async () => {
    target.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    for (const [proto, port] of [[CommunicationProtocolEnum.HTTP, sc.httpPort], [CommunicationProtocolEnum.GRPC, sc.grpcPort]] as const) {
      const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(port), communicationProtocol: proto, daprApiToken: TOKEN, logger: { level: LogLevel.Error } });
      clients.push(client);
      const res = (await client.binding.send('web', 'create', { hello: 'world' }, { path: `sdk-${proto}` })) as unknown;
      const seen = target.seen.at(-1)!;
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, `/base/sdk-${proto}`);
      assert.deepEqual(JSON.parse(seen.body.toString()), { hello: 'world' });
      if (proto === CommunicationProtocolEnum.HTTP) assert.deepEqual(res, { ok: true });
      else assert.equal(Buffer.from((res as { data: Uint8Array }).data).toString(), '{"ok":true}');
    }
    assertNoTokens();
  });
});

describe('bindings.redis', () => {
  test('create with ttlInSeconds, get, increment, get with delete, delete (HTTP)', async () => {
    const key = `${PREFIX}http`;
    let res = await post('kv', { operation: 'create', data: { n: 1 }, metadata: { key, ttlInSeconds: '100' } });
    assert.equal(res.status, 204, res.text);
    assert.equal(await redis.get(key), '{"n":1}');
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= 100, `ttl ${ttl}`);
    res = await post('kv', { operation: 'get', metadata: { key } });
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"n":1}');

    const counter = `${PREFIX}counter`;
    for (let i = 0; i < 3; i++) assert.equal((await post('kv', { operation: 'increment', metadata: { key: counter } })).status, 204);
    assert.equal(await redis.get(counter), '3');

    res = await post('kv', { operation: 'get', metadata: { key, delete: 'true' } });
    assert.equal(res.text, '{"n":1}');
    assert.equal(await redis.exists(key), 0);
    res = await post('kv', { operation: 'get', metadata: { key } });
    assert.equal(res.status, 200, 'a missing key is an empty answer');
    assert.equal(res.text, '');

    assert.equal((await post('kv', { operation: 'delete', metadata: { key: counter } })).status, 204);
    assert.equal(await redis.exists(counter), 0);
  });

  test('gRPC: raw bytes in and out; missing key and bad ttl are errors; unknown operation lists the supported ones', async () => {
    const key = `${PREFIX}grpc`;
    await g.invokeBinding({ name: 'kv', operation: 'create', data: Buffer.from([0, 1, 2, 255]), metadata: { key } });
    const got = await g.invokeBinding({ name: 'kv', operation: 'get', metadata: { key } });
    assert.deepEqual([...got.data], [0, 1, 2, 255]);

    let e = await grpcError(() => g.invokeBinding({ name: 'kv', operation: 'create', data: Buffer.from('x') }));
    assert.equal(e.code, Code.Internal);
    assert.equal(e.rawMessage, 'error invoking output binding kv: redis binding: missing key in request metadata');
    e = await grpcError(() => g.invokeBinding({ name: 'kv', operation: 'create', data: Buffer.from('x'), metadata: { key, ttlInSeconds: 'soon' } }));
    assert.match(e.rawMessage, /ttl value must be a valid integer/);
    e = await grpcError(() => g.invokeBinding({ name: 'kv', operation: 'list', metadata: { key } }));
    assert.equal(e.rawMessage, 'error invoking output binding kv: binding kv does not support operation list. supported operations:create delete get increment');
  });
});

describe('errors and access', () => {
  test('unknown binding, scoped-out binding, missing operation: ERR_INVOKE_OUTPUT_BINDING on both APIs', async () => {
    for (const [name, body, message] of [
      ['nope', { operation: 'create' }, "error invoking output binding nope: couldn't find output binding nope"],
      ['elsewhere', { operation: 'create' }, "error invoking output binding elsewhere: couldn't find output binding elsewhere"],
      ['web', { data: 1 }, 'error invoking output binding web: operation field is missing from request'],
    ] as const) {
      const res = await post(name, body);
      assert.equal(res.status, 500);
      assert.deepEqual(jsonOf(res), { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message });
      const e = await grpcError(() => g.invokeBinding({ name, operation: 'operation' in body ? body.operation : '' }));
      assert.equal(e.code, Code.Internal);
      assert.equal(e.rawMessage, message);
    }
  });

  test('a body that is not the request shape is ERR_MALFORMED_REQUEST (400) and the process keeps serving', async () => {
    for (const body of ['', '{not json', '[1]', '{"operation":"create","metadata":{"n":1}}', '{"operation":5}']) {
      const res = await post('web', body);
      assert.equal(res.status, 400, body);
      assert.equal(jsonOf<{ errorCode: string }>(res).errorCode, 'ERR_MALFORMED_REQUEST');
    }
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' })).status, 204);
  });

  test('without the API token: 401 / UNAUTHENTICATED and nothing reaches the binding', async () => {
    const before = target.seen.length;
    const res = await post('web', { operation: 'create', data: 1 }, { 'content-type': 'application/json' });
    assert.equal(res.status, 401);
    const e = await grpcError(() => daprGrpcClient(sc.grpcPort).invokeBinding({ name: 'web', operation: 'create' }));
    assert.equal(e.code, Code.Unauthenticated);
    assert.equal(target.seen.length, before);
  });

  test('the metadata API lists the bindings with their direction; the scoped-out one is absent', async () => {
    const md = jsonOf<{ components: Array<{ name: string; type: string; capabilities?: string[] }> }>(
      await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: H }),
    );
    const byName = Object.fromEntries(md.components.map((c) => [c.name, c]));
    assert.deepEqual(byName.web, { name: 'web', type: 'bindings.http', version: 'v1', capabilities: ['OUTPUT_BINDING'] });
    assert.deepEqual(byName.kv?.capabilities, ['OUTPUT_BINDING']);
    assert.equal(byName.elsewhere, undefined);
  });
});
