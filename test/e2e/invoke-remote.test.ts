// Sidecar-to-sidecar service invocation between real Pillion processes sharing a temporary
// PILLION_HOME (registry + CA), each with its OWN API token and its OWN app token: which
// token reaches which app on every path, caller identity from the mTLS certificate (not
// spoofable), the remote app's answer unchanged over HTTP and gRPC, errors for unknown and
// dead app ids, and `pillion list`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { freePorts, minimalEnv, runCli, sleep, startSidecar, stopAll, tcpRaw, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { headerValues, request, startHttpApp, type RecordingApp, type Seen } from '../helpers/apps.js';
import { DAPR_SERVICE, grpcRaw, GrpcStatus } from '../helpers/grpc.js';
import { InvokeServiceRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/invoke_pb.js';
import { HTTPExtension_Verb, InvokeResponseSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';

const TOK_A = 'remote-api-token-alpha-5c1e';
const TOK_B = 'remote-api-token-beta-77d0';
const APP_A = 'remote-app-token-alpha-19fa';
const APP_B = 'remote-app-token-beta-b3c8';
const SECRETS = [TOK_A, TOK_B, APP_A, APP_B];

let home: string;
let appA: RecordingApp;
let appB: RecordingApp;
let alpha: Sidecar;
let beta: Sidecar;

async function sidecar(appId: string, token: string, appToken: string, appPort?: number, extra: string[] = []): Promise<Sidecar> {
  const [internal] = await freePorts(1);
  return startSidecar({
    appId, token, home, env: { APP_API_TOKEN: appToken },
    args: ['--dapr-internal-grpc-port', String(internal), ...(appPort ? ['--app-port', String(appPort)] : []), ...extra],
  });
}

before(async () => {
  home = tempDir('pillion-remote-home-');
  [appA, appB] = await Promise.all([startHttpApp(), startHttpApp()]);
  [alpha, beta] = await Promise.all([sidecar('alpha', TOK_A, APP_A, appA.port), sidecar('beta', TOK_B, APP_B, appB.port)]);
});

after(async () => {
  await stopAll();
  await Promise.all([appA.close(), appB.close()]);
});

const auth = (token: string): Array<[string, string]> => [['dapr-api-token', token]];
// The sidecar itself asks its app for /dapr/config and /dapr/subscribe at start-up (pub/sub):
// those are not invocations.
const calls = (app: RecordingApp): Seen[] => app.seen.filter((x) => !x.url.startsWith('/dapr/'));
const lastB = (): Seen => calls(appB).at(-1)!;

/** The app got exactly its own sidecar's app token, and no other secret anywhere in what it saw. */
function assertOnlyOwnAppToken(s: Seen, own: string): void {
  assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [own]);
  const everything = s.rawHeaders.join('\n') + s.url + s.body.toString('latin1');
  for (const secret of SECRETS.filter((x) => x !== own)) assert.ok(!everything.includes(secret), `a foreign secret reached the app: ${secret.slice(0, 12)}…`);
}

describe('HTTP API → remote app', () => {
  test('status, headers and body of the remote app come back unchanged', async () => {
    appB.answer = () => ({ status: 418, headers: { 'content-type': 'application/x-tea', 'x-app': 'beta', 'set-cookie': ['a=1', 'b=2'] }, body: Buffer.from([0, 1, 2, 255]) });
    try {
      const res = await request(alpha.httpPort, 'PUT', '/v1.0/invoke/beta/method/orders/7%2F8?x=1&y=%20', [...auth(TOK_A), ['content-type', 'text/plain'], ['x-custom', 'c1']], 'payload');
      assert.equal(res.status, 418);
      assert.equal(res.headers['content-type'], 'application/x-tea');
      assert.equal(res.headers['x-app'], 'beta');
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
      assert.ok(res.body.equals(Buffer.from([0, 1, 2, 255])));
      const s = lastB();
      assert.equal(s.method, 'PUT');
      assert.equal(s.url, '/orders/7%2F8?x=1&y=%20');
      assert.equal(s.body.toString(), 'payload');
      assert.deepEqual(headerValues(s.rawHeaders, 'content-type'), ['text/plain']);
      assert.deepEqual(headerValues(s.rawHeaders, 'x-custom'), ['c1']);
    } finally {
      appB.answer = (s) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: s.url }) });
    }
  });

  test("tokens: the remote app gets ITS sidecar's app token; the caller's API token and the caller sidecar's app token never leave", async () => {
    const n = calls(appA).length;
    const res = await request(alpha.httpPort, 'POST', '/v1.0/invoke/beta/method/t', [...auth(TOK_A), ['x-echo', APP_A]], '{}');
    assert.equal(res.status, 200);
    // the test itself put APP_A in a custom header: that one is the caller's data, so check the token header only
    assert.deepEqual(headerValues(lastB().rawHeaders, 'dapr-api-token'), [APP_B]);
    const noEcho = await request(alpha.httpPort, 'POST', '/v1.0/invoke/beta/method/t', auth(TOK_A), '{}');
    assert.equal(noEcho.status, 200);
    assertOnlyOwnAppToken(lastB(), APP_B);
    assert.equal(calls(appA).length, n, 'the caller\'s own app was not involved');
  });

  test('and the other way round: alpha\'s app gets APP_A when beta calls it', async () => {
    const res = await request(beta.httpPort, 'GET', '/v1.0/invoke/alpha/method/back', auth(TOK_B));
    assert.equal(res.status, 200);
    const s = calls(appA).at(-1)!;
    assert.equal(s.url, '/back');
    assertOnlyOwnAppToken(s, APP_A);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-caller-app-id'), ['beta']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-callee-app-id'), ['alpha']);
  });

  test('caller identity comes from the certificate: spoofed identity headers are replaced', async () => {
    const res = await request(alpha.httpPort, 'POST', '/v1.0/invoke/beta/method/who', [
      ...auth(TOK_A), ['dapr-caller-app-id', 'mallory'], ['dapr-callee-app-id', 'x'], ['dapr-caller-namespace', 'evil'],
    ], '');
    assert.equal(res.status, 200);
    const s = lastB();
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-caller-app-id'), ['alpha']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-callee-app-id'), ['beta']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-caller-namespace'), [], 'standalone mode sends no namespace, as for local calls');
  });

  test('the dapr-app-id header form and the app-id.namespace target reach the remote app', async () => {
    const byHeader = await request(alpha.httpPort, 'DELETE', '/api/items/3?hard=1', [...auth(TOK_A), ['dapr-app-id', 'beta']]);
    assert.equal(byHeader.status, 200);
    assert.equal(lastB().method, 'DELETE');
    assert.equal(lastB().url, '/api/items/3?hard=1');
    assertOnlyOwnAppToken(lastB(), APP_B);
    const qualified = await request(alpha.httpPort, 'GET', '/v1.0/invoke/beta.default/method/ns', auth(TOK_A));
    assert.equal(qualified.status, 200);
    assert.equal(lastB().url, '/ns');
  });

  test("a chunked GET body reaches the remote app as the body, not as a request carrying forged identities", async () => {
    const n = calls(appB).length;
    const inner = 'GET /smuggled HTTP/1.1\r\nHost: x\r\ndapr-caller-app-id: forged\r\n\r\n';
    const raw = await tcpRaw(alpha.httpPort, `GET /v1.0/invoke/beta/method/first HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOK_A}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 200 /);
    await sleep(200);
    const got = calls(appB).slice(n);
    assert.deepEqual(got.map((s) => [s.method, s.url]), [['GET', '/first']]);
    assert.equal(got[0]!.body.toString(), inner);
    assert.deepEqual(headerValues(got[0]!.rawHeaders, 'dapr-caller-app-id'), ['alpha']);
  });

  test('without the caller sidecar\'s API token nothing leaves it', async () => {
    const n = calls(appB).length;
    for (const token of [undefined, TOK_B]) {
      const res = await request(alpha.httpPort, 'GET', '/v1.0/invoke/beta/method/x', token ? auth(token) : []);
      assert.equal(res.status, 401);
    }
    assert.equal(calls(appB).length, n);
  });
});

describe('gRPC API → remote app', () => {
  const invokeReq = (id: string, method: string, body: string, verb = HTTPExtension_Verb.POST) => toBinary(InvokeServiceRequestSchema, create(InvokeServiceRequestSchema, {
    id, message: { method, data: create(AnySchema, { value: Buffer.from(body) }), contentType: 'application/json', httpExtension: { verb, querystring: 'a=b' } },
  }));

  test('InvokeService: data and content type back; remote app sees its own app token and the caller id', async () => {
    const r = await grpcRaw({
      port: alpha.grpcPort, path: `${DAPR_SERVICE}/InvokeService`,
      metadata: { 'dapr-api-token': TOK_A, 'x-md': 'm', 'dapr-caller-app-id': 'mallory' }, messages: [invokeReq('beta', 'grpc/path', '{"n":1}')],
    });
    assert.equal(r.code, GrpcStatus.OK, r.message);
    const res = fromBinary(InvokeResponseSchema, r.messages[0]!);
    assert.equal(Buffer.from(res.data!.value).toString(), JSON.stringify({ url: '/grpc/path?a=b' }));
    assert.equal(res.contentType, 'application/json');
    // the remote app's head as daprd gives it: its status and (prefixed) headers as metadata
    assert.equal(r.headers['dapr-http-status'], '200');
    assert.equal(r.headers['dapr-content-type'], 'application/json');
    const s = lastB();
    assert.equal(s.method, 'POST');
    assert.equal(s.body.toString(), '{"n":1}');
    assert.deepEqual(headerValues(s.rawHeaders, 'x-md'), ['m']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-caller-app-id'), ['alpha']);
    assertOnlyOwnAppToken(s, APP_B);
    assert.ok(!r.allHeaderText.includes(APP_B), 'the remote app token came back to the caller');
  });

  test("a remote HTTP app's non-2xx answer is a gRPC error carrying the HTTP status and body", async () => {
    appB.answer = () => ({ status: 404, body: 'no such order' });
    try {
      const r = await grpcRaw({ port: alpha.grpcPort, path: `${DAPR_SERVICE}/InvokeService`, metadata: { 'dapr-api-token': TOK_A }, messages: [invokeReq('beta', 'missing', '', HTTPExtension_Verb.GET)] });
      assert.equal(r.code, GrpcStatus.NOT_FOUND);
      assert.equal(r.errorInfo?.reason, 'Not Found');
      assert.equal(r.headers['dapr-http-status'], '404');
      assert.equal(r.errorInfo?.metadata['http.code'], '404');
      assert.equal(r.errorInfo?.metadata['http.error_message'], 'no such order');
      assert.equal(lastB().method, 'GET');
    } finally {
      appB.answer = (s) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: s.url }) });
    }
  });
});

describe('failures', () => {
  const NOT_FOUND = "failed to invoke, id: nobody, err: couldn't find service: nobody";

  test('unknown app id: ERR_DIRECT_INVOKE over HTTP and gRPC, with daprd\'s message', async () => {
    const res = await request(alpha.httpPort, 'POST', '/v1.0/invoke/nobody/method/x', auth(TOK_A));
    assert.equal(res.status, 500);
    assert.deepEqual(JSON.parse(res.body.toString()), { errorCode: 'ERR_DIRECT_INVOKE', message: NOT_FOUND });
    const r = await grpcRaw({
      port: alpha.grpcPort, path: `${DAPR_SERVICE}/InvokeService`, metadata: { 'dapr-api-token': TOK_A },
      messages: [toBinary(InvokeServiceRequestSchema, create(InvokeServiceRequestSchema, { id: 'nobody', message: { method: 'x' } }))],
    });
    assert.equal(r.code, GrpcStatus.INTERNAL);
    assert.equal(r.message, NOT_FOUND);
    assert.equal(r.errorInfo?.reason, 'ERR_DIRECT_INVOKE');
  });

  test('an app id in another namespace, and a malformed target', async () => {
    const other = await request(alpha.httpPort, 'GET', '/v1.0/invoke/beta.shop/method/x', auth(TOK_A));
    assert.equal(other.status, 500);
    assert.equal(JSON.parse(other.body.toString()).message, "failed to invoke, id: beta.shop, err: couldn't find service: beta");
    const bad = await request(alpha.httpPort, 'GET', '/v1.0/invoke/a.b.c/method/x', auth(TOK_A));
    assert.equal(bad.status, 500);
    assert.deepEqual(JSON.parse(bad.body.toString()), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed to invoke, id: a.b.c, err: invalid app id a.b.c' });
  });

  test('a remote sidecar without an app answers ERR_DIRECT_INVOKE with its reason', async () => {
    await sidecar('appless', 'appless-token-0000', 'appless-app-token-0000');
    const res = await request(alpha.httpPort, 'GET', '/v1.0/invoke/appless/method/x', auth(TOK_A));
    assert.equal(res.status, 500);
    const body = JSON.parse(res.body.toString()) as { errorCode: string; message: string };
    assert.equal(body.errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(body.message, /^failed to invoke, id: appless, err: app channel is not initialized/);
  });

  test('several instances of one app id share the calls; a kill -9\'d instance is never resolved', async () => {
    const [d1App, d2App] = await Promise.all([startHttpApp(), startHttpApp()]);
    try {
      const d1 = await sidecar('delta', 'delta-token-1', 'delta-app-1', d1App.port);
      const d2 = await sidecar('delta', 'delta-token-2', 'delta-app-2', d2App.port);
      // both serve: with random choice, 40 calls reach both (failure odds 2^-39)
      for (let i = 0; i < 40; i++) assert.equal((await request(alpha.httpPort, 'GET', `/v1.0/invoke/delta/method/n${i}`, auth(TOK_A))).status, 200);
      assert.ok(calls(d1App).length > 0 && calls(d2App).length > 0, `calls: ${calls(d1App).length} / ${calls(d2App).length}`);
      await d1.kill(); // SIGKILL: no chance to remove its registry row
      const before = calls(d2App).length;
      for (let i = 0; i < 20; i++) {
        const res = await request(alpha.httpPort, 'GET', `/v1.0/invoke/delta/method/after${i}`, auth(TOK_A));
        assert.equal(res.status, 200, res.body.toString());
      }
      assert.equal(calls(d2App).length, before + 20);
      assert.deepEqual(headerValues(calls(d2App).at(-1)!.rawHeaders, 'dapr-api-token'), ['delta-app-2']);
      await d2.kill();
      const gone = await request(alpha.httpPort, 'GET', '/v1.0/invoke/delta/method/x', auth(TOK_A));
      assert.equal(gone.status, 500);
      assert.equal(JSON.parse(gone.body.toString()).message, "failed to invoke, id: delta, err: couldn't find service: delta");
    } finally {
      await Promise.all([d1App.close(), d2App.close()]);
    }
  });
});

describe('pillion list', () => {
  test('lists the live sidecars of the shared PILLION_HOME (table and JSON); not the stopped ones', async () => {
    const env = minimalEnv({ PILLION_HOME: home });
    const json = await runCli(['list', '--output', 'json'], { env });
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as Array<{ appId: string; namespace: string; httpPort: number; grpcPort: number; internalGrpcPort: number; appPort: number | null; pid: number; ageSeconds: number }>;
    const ids = rows.map((r) => r.appId).sort();
    assert.deepEqual(ids, ['alpha', 'appless', 'beta']);
    const a = rows.find((r) => r.appId === 'alpha')!;
    assert.equal(a.httpPort, alpha.httpPort);
    assert.equal(a.grpcPort, alpha.grpcPort);
    assert.equal(a.appPort, appA.port);
    assert.equal(a.pid, alpha.proc.pid);
    assert.equal(a.namespace, 'default');
    assert.ok(a.internalGrpcPort > 0 && a.ageSeconds >= 0);
    const table = await runCli(['list'], { env });
    assert.equal(table.code, 0);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^APP ID\s+NAMESPACE\s+HTTP PORT\s+GRPC PORT\s+INTERNAL PORT\s+APP PORT\s+PID\s+AGE$/);
    assert.ok(lines.some((l) => l.startsWith('beta ') && l.includes(String(beta.httpPort))));
    assert.ok(!table.stdout.includes('delta'));
    const empty = await runCli(['list'], { env: minimalEnv({ PILLION_HOME: tempDir('pillion-empty-home-') }) });
    assert.equal(empty.stdout, 'No Pillion sidecars found.\n');
    const bad = await runCli(['list', '--output', 'yaml'], { env });
    assert.equal(bad.code, 2);
  });

  test('default internal port busy: the sidecar takes a free one, the registry records it, calls reach it', async () => {
    // hold 50002 ourselves when it is free; when it is not, it is busy anyway
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.once('error', () => r()).listen(50002, '127.0.0.1', () => r()));
    const app = await startHttpApp();
    try {
      const s = await startSidecar({ appId: 'portless', token: 'portless-token', home, defaultInternalPort: true, env: { APP_API_TOKEN: 'portless-app' }, args: ['--app-port', String(app.port)] });
      const res = await request(alpha.httpPort, 'GET', '/v1.0/invoke/portless/method/p', auth(TOK_A));
      assert.equal(res.status, 200, res.body.toString());
      assert.deepEqual(headerValues(calls(app).at(-1)!.rawHeaders, 'dapr-api-token'), ['portless-app']);
      const rows = JSON.parse((await runCli(['list', '-o', 'json'], { env: minimalEnv({ PILLION_HOME: home }) })).stdout) as Array<{ appId: string; internalGrpcPort: number }>;
      assert.notEqual(rows.find((r) => r.appId === 'portless')?.internalGrpcPort, 50002);
      await s.stop();
    } finally {
      await app.close();
      await new Promise<void>((r) => (blocker.listening ? blocker.close(() => r()) : r()));
    }
  });

  test('a stopped sidecar removes its own row', async () => {
    const s = await sidecar('epsilon', 'eps-token', 'eps-app');
    const env = minimalEnv({ PILLION_HOME: home });
    assert.ok((await runCli(['list', '-o', 'json'], { env })).stdout.includes('"epsilon"'));
    await s.stop();
    assert.ok(!(await runCli(['list', '-o', 'json'], { env })).stdout.includes('"epsilon"'));
  });
});
