// The internal port between sidecars: mutual TLS with the trust domain's CA. A plain
// connection, a TLS connection without a client certificate and one with a certificate from
// a foreign CA are refused before anything reaches an app; a certificate from the right CA
// is the caller's identity (positive control). The caller side checks the callee's identity
// too. And transparent gRPC proxying through the remote sidecar, unary and streaming.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { freePorts, runCli, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { waitFor } from '../helpers/wait.js';
import { headerValues, request, startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { frame, grpcRaw, GrpcStatus } from '../helpers/grpc.js';
import { createCa, issueLeaf, parseCa, type TrustAuthority } from '../../src/remote/trust.js';
import { Registry } from '../../src/remote/registry.js';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { InternalInvokeRequestSchema, InternalInvokeResponseSchema, ListStringValueSchema } from '../../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';

const TOK_A = 'mtls-api-token-alpha-0b7e';
const APP_A = 'mtls-app-token-alpha-6621';
const TOK_B = 'mtls-api-token-beta-d9c4';
const APP_B = 'mtls-app-token-beta-4a1f';
const TOK_C = 'mtls-api-token-gamma-2e55';
const APP_C = 'mtls-app-token-gamma-8f03';

let home: string;
let appB: RecordingApp;
let grpcApp: http2.Http2Server;
const grpcSeen: Array<{ path: string; headers: http2.IncomingHttpHeaders }> = [];
let alpha: Sidecar;
let beta: Sidecar;
const internalPort = new Map<string, number>();

async function sidecar(appId: string, token: string, appToken: string, args: string[]): Promise<Sidecar> {
  const [internal] = await freePorts(1);
  internalPort.set(appId, internal!);
  return startSidecar({ appId, token, home, env: { APP_API_TOKEN: appToken }, args: ['--dapr-internal-grpc-port', String(internal), ...args] });
}

before(async () => {
  home = tempDir('pillion-mtls-home-');
  appB = await startHttpApp();
  // A raw gRPC app: echoes each DATA chunk as it arrives; /echo.Echo/Deny answers trailers-only PERMISSION_DENIED.
  grpcApp = http2.createServer();
  grpcApp.on('stream', (stream, headers) => {
    grpcSeen.push({ path: String(headers[':path']), headers });
    if (headers[':path'] === '/echo.Echo/Deny') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '7', 'grpc-message': 'nope' }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-app-header': 'h' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-app-trailer': 't' }));
    stream.on('data', (c: Buffer) => stream.write(c));
    stream.on('end', () => stream.end());
  });
  await new Promise<void>((r) => grpcApp.listen(0, '127.0.0.1', () => r()));
  const grpcAppPort = (grpcApp.address() as AddressInfo).port;
  alpha = await sidecar('alpha', TOK_A, APP_A, []);
  [beta] = await Promise.all([
    sidecar('beta', TOK_B, APP_B, ['--app-port', String(appB.port)]),
    sidecar('gamma', TOK_C, APP_C, ['--app-port', String(grpcAppPort), '--app-protocol', 'grpc']),
  ]);
});

after(async () => {
  await stopAll();
  await appB.close();
  await new Promise<void>((r) => grpcApp.close(() => r()));
});

// The sidecar itself asks its app for /dapr/config and /dapr/subscribe at start-up (pub/sub):
// those are not invocations.
const calls = (app: RecordingApp) => app.seen.filter((x) => !x.url.startsWith('/dapr/'));

const realCa = (): TrustAuthority =>
  parseCa(readFileSync(join(home, 'trust', 'ca.crt'), 'utf8'), readFileSync(join(home, 'trust', 'ca.key'), 'utf8'), 'test');

const callLocalMessage = (method: string, token?: string) => toBinary(InternalInvokeRequestSchema, create(InternalInvokeRequestSchema, {
  ver: 1,
  metadata: {
    'x-from-test': create(ListStringValueSchema, { values: ['1'] }),
    'dapr-caller-app-id': create(ListStringValueSchema, { values: ['header-spoof'] }),
    ...(token ? { 'dapr-api-token': create(ListStringValueSchema, { values: [token] }) } : {}),
  },
  message: { method, data: create(AnySchema, { value: Buffer.from('direct') }), contentType: 'text/plain', httpExtension: { verb: HTTPExtension_Verb.POST } },
}));

interface Outcome {
  ok: boolean;
  error?: string;
  status?: string;
  messages: Buffer;
}

/** One CallLocal on the internal port with the given TLS client options (or h2c when plain). */
function callInternal(port: number, tls: http2.SecureClientSessionOptions | 'plain', body: Uint8Array): Promise<Outcome> {
  return new Promise((resolve) => {
    const session = tls === 'plain' ? http2.connect(`http://127.0.0.1:${port}`) : http2.connect(`https://127.0.0.1:${port}`, tls);
    const chunks: Buffer[] = [];
    let status: string | undefined;
    const done = (o: Omit<Outcome, 'messages'>): void => {
      session.destroy();
      resolve({ ...o, messages: Buffer.concat(chunks) });
    };
    const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), 5000);
    session.on('error', (err) => {
      clearTimeout(timer);
      done({ ok: false, error: err.message });
    });
    const stream = session.request({ ':method': 'POST', ':path': '/dapr.proto.internals.v1.ServiceInvocation/CallLocal', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('response', (h) => (status = h['grpc-status'] as string | undefined ?? status));
    stream.on('trailers', (t) => (status = t['grpc-status'] as string | undefined));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (err) => {
      clearTimeout(timer);
      done({ ok: false, error: err.message });
    });
    stream.on('close', () => {
      clearTimeout(timer);
      done({ ok: status === '0', status, error: status === '0' ? undefined : `grpc-status ${status}` });
    });
    stream.end(frame(body));
  });
}

describe('the internal port refuses what is not a sidecar of the trust domain', () => {
  test('a plain (non-TLS) HTTP/2 connection is refused; nothing reaches the app', async () => {
    const n = calls(appB).length;
    const r = await callInternal(internalPort.get('beta')!, 'plain', callLocalMessage('plain'));
    assert.equal(r.ok, false);
    assert.equal(calls(appB).length, n, JSON.stringify(calls(appB).slice(n).map((s) => [s.method, s.url, s.rawHeaders])));
  });

  test('TLS without a client certificate is refused', async () => {
    const n = calls(appB).length;
    const ca = realCa();
    const r = await callInternal(internalPort.get('beta')!, { ca: ca.caCertPem, checkServerIdentity: () => undefined }, callLocalMessage('nocert'));
    assert.equal(r.ok, false, 'accepted without a client certificate');
    assert.equal(calls(appB).length, n);
  });

  test('a certificate from a foreign CA (even naming a real app id) is refused', async () => {
    const n = calls(appB).length;
    const foreign = parseCa(...(Object.values(createCa('public')) as [string, string]), 'foreign');
    const leaf = issueLeaf(foreign, { namespace: 'default', appId: 'alpha' });
    const r = await callInternal(internalPort.get('beta')!, { ca: realCa().caCertPem, cert: leaf.certPem, key: leaf.keyPem, checkServerIdentity: () => undefined }, callLocalMessage('foreign'));
    assert.equal(r.ok, false, 'accepted a foreign certificate');
    assert.equal(calls(appB).length, n);
    assert.match(beta.output, /Internal server refused a connection/);
  });

  test('a flood of refused connections logs at most ~10 lines a second, then one "Suppressed N" line', async () => {
    const before = (beta.output.match(/Internal server refused a connection/g) ?? []).length;
    const ca = realCa();
    await Promise.all(Array.from({ length: 60 }, () => callInternal(internalPort.get('beta')!, { ca: ca.caCertPem, checkServerIdentity: () => undefined }, callLocalMessage('flood'))));
    await waitFor(() => /Suppressed \d+ refused-connection line\(s\) \(rate limit 10\/s\)/.test(beta.output), 'the summary line');
    const logged = (beta.output.match(/Internal server refused a connection/g) ?? []).length - before;
    assert.ok(logged <= 25, `${logged} lines for 60 refused connections`);
  });

  test('positive control: a certificate from the right CA works, and ITS app id is the caller (headers and tokens in the request are not trusted)', async () => {
    const ca = realCa();
    const leaf = issueLeaf(ca, { namespace: 'default', appId: 'mallory' });
    const r = await callInternal(internalPort.get('beta')!, { ca: ca.caCertPem, cert: leaf.certPem, key: leaf.keyPem, checkServerIdentity: () => undefined }, callLocalMessage('direct/call', TOK_A));
    assert.equal(r.ok, true, r.error);
    const res = fromBinary(InternalInvokeResponseSchema, r.messages.subarray(5));
    assert.equal(res.status?.code, 200);
    const s = calls(appB).at(-1)!;
    assert.equal(s.url, '/direct/call');
    assert.equal(s.body.toString(), 'direct');
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-caller-app-id'), ['mallory']);
    assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_B]);
    assert.deepEqual(headerValues(s.rawHeaders, 'x-from-test'), ['1']);
  });

  test('the caller checks the callee: a registry row pointing at another app\'s sidecar is not called', async () => {
    const registry = await Registry.open(home);
    const now = Date.now();
    try {
      // "zeta" claims beta's internal port: beta's certificate names beta, so alpha refuses to talk
      registry.register({ instance: 'fake-zeta', appId: 'zeta', namespace: 'default', host: '127.0.0.1', internalPort: internalPort.get('beta')!, pid: process.pid, startedAt: now, heartbeat: now });
      const n = calls(appB).length;
      const res = await request(alpha.httpPort, 'GET', '/v1.0/invoke/zeta/method/x', [['dapr-api-token', TOK_A]]);
      assert.equal(res.status, 500);
      const body = JSON.parse(res.body.toString()) as { errorCode: string; message: string };
      assert.equal(body.errorCode, 'ERR_DIRECT_INVOKE');
      assert.match(body.message, /^failed to invoke, id: zeta, err: the remote sidecar did not prove its identity/);
      assert.equal(calls(appB).length, n);
    } finally {
      registry.remove('fake-zeta');
      registry.close();
    }
  });
});

describe('transparent gRPC proxying through the remote sidecar', () => {
  const md = (extra: Record<string, string> = {}) => ({ 'dapr-api-token': TOK_A, 'dapr-app-id': 'gamma', ...extra });
  const assertAppMetadata = (h: http2.IncomingHttpHeaders): void => {
    assert.equal(h['dapr-api-token'], APP_C);
    assert.equal(h['dapr-caller-app-id'], 'alpha');
    assert.equal(h['dapr-callee-app-id'], 'gamma');
    const text = JSON.stringify(h);
    for (const secret of [TOK_A, APP_A, TOK_B, APP_B, TOK_C]) assert.ok(!text.includes(secret), 'a foreign secret reached the gRPC app');
  };

  test('unary: message, headers and trailers relayed; the remote app gets its own app token and the caller id', async () => {
    const r = await grpcRaw({ port: alpha.grpcPort, path: '/echo.Echo/Say', metadata: md({ 'dapr-caller-app-id': 'spoof', 'x-md': 'v' }), messages: [Buffer.from('hello remote')] });
    assert.equal(r.code, 0, r.message);
    assert.deepEqual(r.messages.map((m) => Buffer.from(m).toString()), ['hello remote']);
    assert.equal(r.headers['x-app-header'], 'h');
    assert.equal(r.trailers['x-app-trailer'], 't');
    const seen = grpcSeen.at(-1)!;
    assert.equal(seen.path, '/echo.Echo/Say');
    assert.equal(seen.headers['x-md'], 'v');
    assertAppMetadata(seen.headers);
  });

  test('bidi streaming, frame by frame through two sidecars', async () => {
    const session = http2.connect(`http://127.0.0.1:${alpha.grpcPort}`);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/echo.Echo/Chat', 'content-type': 'application/grpc', te: 'trailers', ...md() });
      const received: Buffer[] = [];
      let wake: (() => void) | undefined;
      stream.on('data', (c: Buffer) => {
        received.push(c);
        wake?.();
      });
      const trailers = new Promise<http2.IncomingHttpHeaders>((r) => stream.on('trailers', r));
      for (const word of ['one', 'two', 'three']) {
        const before = Buffer.concat(received).length;
        const got = new Promise<void>((r) => (wake = r));
        stream.write(frame(Buffer.from(word)));
        await got;
        assert.ok(Buffer.concat(received).length > before, `no echo for ${word}`);
      }
      stream.end();
      assert.equal((await trailers)['grpc-status'], '0');
      assert.ok(Buffer.concat(received).equals(Buffer.concat(['one', 'two', 'three'].map((w) => frame(Buffer.from(w))))));
      assertAppMetadata(grpcSeen.at(-1)!.headers);
    } finally {
      session.close();
    }
  });

  test("the remote app's trailers-only error passes through; unknown app ids and a wrong token stop at the caller's sidecar", async () => {
    const deny = await grpcRaw({ port: alpha.grpcPort, path: '/echo.Echo/Deny', metadata: md(), messages: [new Uint8Array()] });
    assert.equal(deny.code, 7);
    assert.equal(deny.message, 'nope');
    const n = grpcSeen.length;
    const unknown = await grpcRaw({ port: alpha.grpcPort, path: '/echo.Echo/Say', metadata: md({ 'dapr-app-id': 'nobody' }), messages: [new Uint8Array()] });
    assert.equal(unknown.code, GrpcStatus.INTERNAL);
    assert.equal(unknown.errorInfo?.reason, 'ERR_DIRECT_INVOKE');
    assert.match(unknown.message, /couldn't find service: nobody/);
    const wrong = await grpcRaw({ port: alpha.grpcPort, path: '/echo.Echo/Say', metadata: md({ 'dapr-api-token': TOK_C }), messages: [new Uint8Array()] });
    assert.equal(wrong.code, GrpcStatus.UNAUTHENTICATED);
    assert.equal(grpcSeen.length, n);
  });

  test('a remote sidecar does not proxy a second hop: the internal server serves its own app only', async () => {
    const ca = realCa();
    const leaf = issueLeaf(ca, { namespace: 'default', appId: 'alpha' });
    const session = http2.connect(`https://127.0.0.1:${internalPort.get('beta')}`, { ca: ca.caCertPem, cert: leaf.certPem, key: leaf.keyPem, checkServerIdentity: () => undefined });
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/echo.Echo/Say', 'content-type': 'application/grpc', te: 'trailers', 'dapr-app-id': 'gamma' });
      const head = await new Promise<http2.IncomingHttpHeaders>((r) => stream.on('response', r));
      stream.end(frame(Buffer.from('x')));
      assert.equal(head['grpc-status'], String(GrpcStatus.INTERNAL));
      assert.match(decodeURIComponent(String(head['grpc-message'])), /serves app beta only/);
    } finally {
      session.close();
    }
  });
});

describe('trust bundles from `pillion trust create`', () => {
  test('--out-dir files serve as --trust-bundle-dir; the Secret manifest holds a usable CA', async () => {
    const dir = join(tempDir('pillion-bundle-'), 'bundle');
    const made = await runCli(['trust', 'create', '--out-dir', dir, '--trust-domain', 'example.org']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
    const [internal] = await freePorts(1);
    const sc = await startSidecar({ appId: 'bundled', token: 'bundled-token', args: ['--trust-bundle-dir', dir, '--dapr-internal-grpc-port', String(internal)] });
    assert.match(sc.output, /Sidecar identity spiffe:\/\/example\.org\/ns\/default\/bundled/);
    const again = await runCli(['trust', 'create', '--out-dir', dir]);
    assert.equal(again.code, 1, 'an existing CA is never overwritten');
    const secret = await runCli(['trust', 'create', '--namespace', 'shop']);
    assert.equal(secret.code, 0);
    const m = JSON.parse(secret.stdout) as { metadata: { name: string; namespace: string }; data: Record<string, string> };
    assert.deepEqual(m.metadata.name, 'pillion-trust');
    assert.deepEqual(m.metadata.namespace, 'shop');
    const ca = parseCa(Buffer.from(m.data['ca.crt']!, 'base64').toString(), Buffer.from(m.data['ca.key']!, 'base64').toString(), 'secret');
    assert.equal(ca.trustDomain, 'public');
    assert.equal((await runCli(['trust', 'create', '--namespace', 'Bad_NS'])).code, 2);
  });

  test('no usable trust bundle: the sidecar runs, its internal port stays closed, other apps answer ERR_DIRECT_INVOKE', async () => {
    const [internal] = await freePorts(1);
    const sc = await startSidecar({ appId: 'untrusted', token: 'untrusted-token', home, args: ['--trust-bundle-dir', tempDir('pillion-empty-bundle-'), '--dapr-internal-grpc-port', String(internal)] });
    assert.match(sc.output, /needs ca\.crt and ca\.key; the internal server is off/);
    const r = await callInternal(internal!, 'plain', callLocalMessage('x'));
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /ECONNREFUSED/);
    const res = await request(sc.httpPort, 'GET', '/v1.0/invoke/beta/method/x', [['dapr-api-token', 'untrusted-token']]);
    assert.equal(res.status, 500);
    assert.deepEqual(JSON.parse(res.body.toString()), {
      errorCode: 'ERR_DIRECT_INVOKE',
      message: "failed to invoke, id: beta, err: couldn't find service: beta (invocation of other apps is off on this sidecar: it has no trust bundle)",
    });
  });
});
