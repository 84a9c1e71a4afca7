// Service invocation of an endpoint outside Dapr, by full URL (daprd 1.11+): the raw URL and
// its percent-encoded form on the HTTP API, InvokeService on gRPC, and the official SDK over
// both. The endpoint gets the method under the URL's path, the query, the body and the
// caller's own headers — never the caller's API token, never the app token, never Dapr's
// caller identities — and its answer comes back unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { headerValues, request, startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';
import { selfSigned, startHttpsApp } from '../helpers/protocol-apps.js';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { localSecretStoreYaml } from '../helpers/resources.js';
import { InvokeRequestSchema, HTTPExtensionSchema, HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';

const TOKEN = 'external-invoke-api-token-5d';
const APP_TOKEN = 'external-invoke-app-token-7c';
const auth: Array<[string, string]> = [['dapr-api-token', TOKEN]];
let ext: RecordingApp;
let sc: Sidecar;
const clients: DaprClient[] = [];

before(async () => {
  ext = await startHttpApp();
  ext.answer = (s) => ({ status: 201, headers: { 'content-type': 'application/json', 'x-endpoint': 'outside' }, body: JSON.stringify({ url: s.url, method: s.method }) });
  // An app token is configured: it must still not reach an endpoint outside Dapr.
  sc = await startSidecar({ appId: 'ext-caller', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN } });
});
after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await stopAll();
  await ext.close();
});

const base = () => `http://127.0.0.1:${ext.port}`;
const last = () => ext.seen.at(-1)!;
/** Nothing the sidecar owns travels to the endpoint. */
function assertNothingOfOurs(raw: readonly string[]): void {
  for (const h of ['dapr-api-token', 'dapr-caller-app-id', 'dapr-callee-app-id', 'dapr-caller-namespace', 'dapr-app-id']) {
    assert.deepEqual(headerValues(raw, h), [], `${h} must not be sent to an endpoint outside Dapr`);
  }
  assert.ok(!raw.includes(APP_TOKEN) && !raw.includes(TOKEN), 'no token value in any header');
}

describe('HTTP API: /v1.0/invoke/<URL>/method/<method>', () => {
  test('the URL as written: method, query and headers reach the endpoint; its answer comes back unchanged', async () => {
    const r = await request(sc.httpPort, 'GET', `/v1.0/invoke/${base()}/method/orders/42?expand=items&x=%2F`, [
      ...auth, ['x-request-id', 'r-1'], ['dapr-caller-app-id', 'spoofed'],
    ]);
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-endpoint'], 'outside');
    assert.deepEqual(JSON.parse(r.body.toString()), { url: '/orders/42?expand=items&x=%2F', method: 'GET' });
    assert.deepEqual(headerValues(last().rawHeaders, 'x-request-id'), ['r-1']);
    assertNothingOfOurs(last().rawHeaders);
  });

  test("percent-encoded, with a base path: the method goes under the URL's path; a body is relayed", async () => {
    const target = encodeURIComponent(`${base()}/api/v2/`);
    const body = Buffer.alloc(200_000, 'b');
    const r = await request(sc.httpPort, 'POST', `/v1.0/invoke/${target}/method/users`, [...auth, ['content-type', 'application/octet-stream']], body);
    assert.equal(r.status, 201);
    assert.equal(last().url, '/api/v2/users');
    assert.equal(last().method, 'POST');
    assert.ok(last().body.equals(body));
    assertNothingOfOurs(last().rawHeaders);
  });

  test('without the API token: 401, and nothing reaches the endpoint', async () => {
    const before = ext.seen.length;
    const r = await request(sc.httpPort, 'GET', `/v1.0/invoke/${base()}/method/secret`);
    assert.equal(r.status, 401);
    assert.equal(ext.seen.length, before);
  });

  test('an endpoint that is down: 500 ERR_DIRECT_INVOKE naming it; credentials in the URL are refused', async () => {
    const down = await request(sc.httpPort, 'GET', '/v1.0/invoke/http://127.0.0.1:1/method/x', auth);
    assert.equal(down.status, 500);
    const e = JSON.parse(down.body.toString()) as { errorCode: string; message: string };
    assert.equal(e.errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(e.message, /http:\/\/127\.0\.0\.1:1/);
    const creds = await request(sc.httpPort, 'GET', `/v1.0/invoke/${encodeURIComponent(`http://user:pw@127.0.0.1:${ext.port}`)}/method/x`, auth);
    assert.equal(creds.status, 500);
    assert.ok(!creds.body.toString().includes('pw'), 'the password is not echoed');
  });

  test('a path with no "/method/" still names no target (404 ERR_DIRECT_INVOKE)', async () => {
    const r = await request(sc.httpPort, 'GET', `/v1.0/invoke/${base()}/elsewhere`, auth);
    assert.equal(r.status, 404);
    assert.equal((JSON.parse(r.body.toString()) as { errorCode: string }).errorCode, 'ERR_DIRECT_INVOKE');
  });
});

describe('gRPC InvokeService with a URL as the id', () => {
  test('verb, query and data reach the endpoint; the answer is the endpoint\'s body', async () => {
    const client = daprGrpcClient(sc.grpcPort, TOKEN);
    const res = await client.invokeService({
      id: `${base()}/grpc-base`,
      message: create(InvokeRequestSchema, {
        method: 'items',
        contentType: 'application/json',
        data: { typeUrl: '', value: Buffer.from('{"a":1}') },
        httpExtension: create(HTTPExtensionSchema, { verb: HTTPExtension_Verb.PUT, querystring: 'q=1' }),
      }),
    });
    assert.deepEqual(JSON.parse(Buffer.from(res.data!.value).toString()), { url: '/grpc-base/items?q=1', method: 'PUT' });
    assert.equal(last().body.toString(), '{"a":1}');
    assertNothingOfOurs(last().rawHeaders);
  });

  test('without the token: UNAUTHENTICATED, nothing sent', async () => {
    const before = ext.seen.length;
    const e = await grpcError(() => daprGrpcClient(sc.grpcPort).invokeService({ id: base(), message: create(InvokeRequestSchema, { method: 'x' }) }));
    assert.equal(e.code, Code.Unauthenticated);
    assert.equal(ext.seen.length, before);
  });
});

for (const proto of [CommunicationProtocolEnum.HTTP, CommunicationProtocolEnum.GRPC]) {
  test(`the official SDK (${proto === CommunicationProtocolEnum.HTTP ? 'HTTP' : 'gRPC'}) invokes a URL target`, async () => {
    const client = new DaprClient({
      daprHost: '127.0.0.1', daprPort: String(proto === CommunicationProtocolEnum.HTTP ? sc.httpPort : sc.grpcPort),
      communicationProtocol: proto, daprApiToken: TOKEN, logger: { level: LogLevel.Error },
    });
    clients.push(client);
    const out = (await client.invoker.invoke(base(), 'sdk/call', HttpMethod.POST, { n: 1 })) as { url: string; method: string };
    assert.deepEqual(out, { url: '/sdk/call', method: 'POST' });
    assert.deepEqual(JSON.parse(last().body.toString()), { n: 1 });
    assertNothingOfOurs(last().rawHeaders);
  });
}

describe('HTTPS endpoints: the certificate is verified', () => {
  test('a certificate from an unknown CA fails the call (the app channel\'s "not verified" rule does not apply); with the CA in NODE_EXTRA_CA_CERTS it succeeds', async () => {
    const cert = selfSigned(); // for DNS name localhost
    const https = await startHttpsApp(cert);
    try {
      const url = `/v1.0/invoke/https://localhost:${https.port}/method/tls-check`;
      const refused = await request(sc.httpPort, 'GET', url, auth);
      assert.equal(refused.status, 500);
      const e = JSON.parse(refused.body.toString()) as { errorCode: string; message: string };
      assert.equal(e.errorCode, 'ERR_DIRECT_INVOKE');
      assert.match(e.message, /CERT|certificate/i);
      assert.equal(https.seen.length, 0);

      const caFile = join(tempDir(), 'ca.pem');
      writeFileSync(caFile, cert.ca);
      const trusting = await startSidecar({ appId: 'ext-trusting', token: TOKEN, env: { NODE_EXTRA_CA_CERTS: caFile } });
      const ok = await request(trusting.httpPort, 'POST', url, auth, 'over tls');
      assert.equal(ok.status, 200);
      assert.equal(https.seen.at(-1)!.url, '/tls-check');
      assert.equal(https.seen.at(-1)!.body.toString(), 'over tls');
      assert.equal(https.seen.at(-1)!.tls, true);
      assert.equal(https.seen.at(-1)!.headers['dapr-api-token'], undefined);
    } finally {
      await https.close();
    }
  });
});

describe('HTTPEndpoint resources: an endpoint outside Dapr by name', () => {
  let named: Sidecar;
  let dir: string;
  const endpointYaml = (baseUrl: string, extra = ''): string => `${localSecretStoreYaml('localsecrets', join(dir, 'secrets.json'))}---
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata:
  name: billing-api
spec:
  baseUrl: ${baseUrl}
  headers:
  - name: X-Tenant
    value: acme
  - name: Authorization
    secretKeyRef:
      name: billing-key
auth:
  secretStore: localsecrets
---
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata:
  name: someone-elses
spec:
  baseUrl: http://127.0.0.1:1
scopes: [another-app]
${extra}`;

  before(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ 'billing-key': 'Bearer from-the-secret-store' }));
    writeFileSync(join(dir, 'resources.yaml'), endpointYaml(`${base()}/billing/`));
    named = await startSidecar({ appId: 'ext-named', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, resourcesPaths: [dir] });
  });

  test("HTTP: <baseUrl>/<method>, the resource's headers (inline and from the secret store) set over the caller's", async () => {
    const r = await request(named.httpPort, 'PUT', '/v1.0/invoke/billing-api/method/invoices/7?draft=1', [
      ...auth, ['authorization', 'Bearer caller-tries'], ['x-trace', 't-9'],
    ], 'invoice');
    assert.equal(r.status, 201);
    assert.equal(last().url, '/billing/invoices/7?draft=1');
    assert.equal(last().body.toString(), 'invoice');
    assert.deepEqual(headerValues(last().rawHeaders, 'authorization'), ['Bearer from-the-secret-store']);
    assert.deepEqual(headerValues(last().rawHeaders, 'x-tenant'), ['acme']);
    assert.deepEqual(headerValues(last().rawHeaders, 'x-trace'), ['t-9']);
    assertNothingOfOurs(last().rawHeaders);
    assert.ok(!named.output.includes('from-the-secret-store'), 'the secret is never logged');
  });

  test('gRPC InvokeService by name; GET /v1.0/metadata lists the endpoints that apply to this app', async () => {
    const res = await daprGrpcClient(named.grpcPort, TOKEN).invokeService({
      id: 'billing-api',
      message: create(InvokeRequestSchema, { method: 'ping', httpExtension: create(HTTPExtensionSchema, { verb: HTTPExtension_Verb.GET }) }),
    });
    assert.deepEqual(JSON.parse(Buffer.from(res.data!.value).toString()), { url: '/billing/ping', method: 'GET' });
    const md = JSON.parse((await request(named.httpPort, 'GET', '/v1.0/metadata', auth)).body.toString()) as { httpEndpoints?: Array<{ name: string }> };
    assert.deepEqual(md.httpEndpoints, [{ name: 'billing-api' }]);
  });

  test('an endpoint scoped to another app is not one here: its name is just an app id nobody serves', async () => {
    const r = await request(named.httpPort, 'GET', '/v1.0/invoke/someone-elses/method/x', auth);
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.body.toString(), /127\.0\.0\.1:1/);
  });

  test('a broken HTTPEndpoint stops start-up naming the file, the line and the field', async () => {
    const bad = tempDir();
    writeFileSync(join(bad, 'secrets.json'), '{}');
    writeFileSync(join(bad, 'bad.yaml'), endpointYaml('ftp://files.example.com').replaceAll(join(dir, 'secrets.json'), join(bad, 'secrets.json')));
    const sc = await startSidecar({ appId: 'ext-bad', resourcesPaths: [bad], waitReady: false });
    const exit = await sc.exited;
    assert.notEqual(exit.code, 0);
    assert.match(sc.output, /bad\.yaml:\d+: spec\.baseUrl: expected an http:\/\/ or https:\/\/ URL, got ftp:/);

    // a good URL, but the secret its header names is not in the store
    writeFileSync(join(bad, 'bad.yaml'), endpointYaml(base()).replaceAll(join(dir, 'secrets.json'), join(bad, 'secrets.json')));
    const sc2 = await startSidecar({ appId: 'ext-bad2', resourcesPaths: [bad], waitReady: false });
    assert.notEqual((await sc2.exited).code, 0);
    assert.match(sc2.output, /bad\.yaml:\d+: spec\.headers\[1\]\.secretKeyRef: secret billing-key \(key billing-key\) not found in secret store localsecrets/);

    // headers the sidecar cannot add: a framing header, a value with a line break
    writeFileSync(join(bad, 'secrets.json'), JSON.stringify({ 'billing-key': 'Bearer ok' }));
    for (const [header, expected] of [
      ['  - name: Content-Length\n    value: "99"', /bad\.yaml:\d+: spec\.headers\[2\]\.name: "Content-Length" is not a header the sidecar can add/],
      ['  - name: X-Two\n    value: "a\\r\\nx-injected: 1"', /bad\.yaml:\d+: spec\.headers\[2\]\.value: holds a character a header cannot carry/],
    ] as const) {
      writeFileSync(join(bad, 'bad.yaml'), endpointYaml(base()).replaceAll(join(dir, 'secrets.json'), join(bad, 'secrets.json')).replace('auth:\n  secretStore: localsecrets', `${header}\nauth:\n  secretStore: localsecrets`));
      const sc3 = await startSidecar({ appId: 'ext-bad3', resourcesPaths: [bad], waitReady: false });
      assert.notEqual((await sc3.exited).code, 0);
      assert.match(sc3.output, expected);
      assert.doesNotMatch(sc3.output, /\n\s+at /, 'no stack trace');
    }
  });
});

describe('HTTPEndpoint clientTLS', () => {
  test('rootCA (inline) is the only trust for that endpoint; certificate + privateKey (from the secret store) are presented to it', async () => {
    const server = selfSigned(); // the endpoint's CA and certificate (localhost)
    const client = selfSigned(); // some other certificate the sidecar presents
    const seen: Array<{ url: string; peerSubject?: string }> = [];
    const https = createHttpsServer({ cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      seen.push({ url: req.url ?? '', peerSubject: peer && Object.keys(peer).length ? JSON.stringify(peer.subject) : undefined });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('tls ok');
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ 'client-cert': client.cert, 'client-key': client.key }));
      const port = (https.address() as AddressInfo).port;
      writeFileSync(join(dir, 'resources.yaml'), `${localSecretStoreYaml('localsecrets', join(dir, 'secrets.json'))}---
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata:
  name: private-api
spec:
  baseUrl: https://localhost:${port}
  clientTLS:
    rootCA:
      value: ${JSON.stringify(server.ca)}
    certificate:
      secretKeyRef: { name: client-cert }
    privateKey:
      secretKeyRef: { name: client-key }
auth:
  secretStore: localsecrets
`);
      const tls = await startSidecar({ appId: 'ext-tls', token: TOKEN, resourcesPaths: [dir] });
      const ok = await request(tls.httpPort, 'GET', '/v1.0/invoke/private-api/method/hello', auth);
      assert.equal(ok.status, 200, ok.body.toString());
      assert.equal(ok.body.toString(), 'tls ok');
      assert.equal(seen.at(-1)!.url, '/hello');
      assert.ok(seen.at(-1)!.peerSubject, 'the client certificate was presented');
      // the same server by URL: its CA is not a system root, so the call fails
      const byUrl = await request(tls.httpPort, 'GET', `/v1.0/invoke/https://localhost:${port}/method/hello`, auth);
      assert.equal(byUrl.status, 500);
      assert.ok(!tls.output.includes('PRIVATE KEY'), 'key material never logged');
    } finally {
      https.closeAllConnections();
      await new Promise<void>((r) => https.close(() => r()));
    }
  });
});
