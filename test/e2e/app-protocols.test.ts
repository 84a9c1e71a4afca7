// The app protocols beyond http and grpc, as daprd 1.17 speaks them: https (HTTP/1.1 over TLS),
// grpcs (AppCallback over TLS) and h2c (HTTP/2 cleartext, prior knowledge). For each, the real
// sidecar against a real app: readiness (TLS handshake for https/grpcs), invocation over the
// HTTP and gRPC APIs, pub/sub discovery and delivery, input bindings, health probes, the
// metadata API; the app token on every call and the API token never. Then certificate
// verification with the Pillion-only --app-ca-file, and APP_PROTOCOL for the app command.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { daprGrpcClient, grpcError, Code } from '../helpers/connect.js';
import { grpcRaw } from '../helpers/grpc.js';
import { eventually } from '../helpers/health-apps.js';
import { httpRaw, jsonOf, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import {
  BINDING, HEALTH_PATH, TOPIC,
  selfSigned, startGrpcsApp, startH2cApp, startHttpsApp,
  type GrpcsApp, type HttpSeen, type ProtocolHttpApp,
} from '../helpers/protocol-apps.js';

const TOKEN = 'protocols-api-token-8c1d';
const APP_TOKEN = 'protocols-app-token-4e7a';
const CERT = selfSigned();
const OTHER_CA = selfSigned().ca; // a CA that did not sign the app's certificate
const HEALTH_FLAGS = ['--enable-app-health-check', '--app-health-probe-interval', '1', '--app-health-probe-timeout', '500', '--app-health-threshold', '1'];
const unhealthy = (id: string) => `failed to invoke, id: ${id}, err: rpc error: code = Internal desc = app is not in a healthy state`;

/** A resources folder with a cron input binding (events every second); `pubsub` is the embedded default. */
function resources(): string {
  const dir = tempDir('pillion-protocols-res-');
  writeFileSync(join(dir, 'cron.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${BINDING}
spec:
  type: bindings.cron
  version: v1
  metadata:
    - { name: schedule, value: "@every 1s" }
`);
  return dir;
}

function start(appId: string, protocol: string, port: number, extra: string[] = []): Promise<Sidecar> {
  return startSidecar({
    appId, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, resourcesPaths: [resources()],
    args: ['--app-port', String(port), '--app-protocol', protocol, ...HEALTH_FLAGS, ...extra],
  });
}

const invokeHttp = (sc: Sidecar, appId: string, path = 'hello?x=1', body = 'hi there') =>
  httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/invoke/${appId}/method/${path}`, headers: { 'dapr-api-token': TOKEN, 'content-type': 'text/plain' }, body });

const invokeGrpc = (sc: Sidecar, appId: string) =>
  daprGrpcClient(sc.grpcPort, TOKEN).invokeService({
    id: appId,
    message: { method: 'hello', contentType: 'text/plain', data: { value: Buffer.from('hi over grpc') }, httpExtension: { verb: HTTPExtension_Verb.POST } },
  });

const publish = (sc: Sidecar, body: string) =>
  httpRaw({ port: sc.httpPort, method: 'POST', path: `/v1.0/publish/pubsub/${TOPIC}`, headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' }, body });

/** The app token is on the call under dapr-api-token, and the caller's API token nowhere. */
function assertTokens(headers: Record<string, unknown>, what: string): void {
  assert.equal(headers['dapr-api-token'], APP_TOKEN, `${what}: app token`);
  assert.ok(!JSON.stringify(headers).includes(TOKEN), `${what}: the API token reached the app`);
}

after(() => stopAll());

for (const protocol of ['https', 'h2c'] as const) {
  describe(`--app-protocol ${protocol}`, () => {
    const appId = `proto-${protocol}`;
    let app: ProtocolHttpApp;
    let sc: Sidecar;
    const calls = (url: string, method?: string): HttpSeen[] => app.seen.filter((s) => s.url === url && (!method || s.method === method));
    // what distinguishes the wire: TLS with HTTP/1.1, or HTTP/2 without TLS
    const wire = protocol === 'https' ? { httpVersion: '1.1', tls: true } : { httpVersion: '2.0', tls: false };

    before(async () => {
      app = protocol === 'https' ? await startHttpsApp(CERT) : await startH2cApp();
      sc = await start(appId, protocol, app.port);
      await eventually(() => assert.match(sc.output, /App entered healthy status/));
    });
    after(async () => {
      await sc?.stop();
      await app?.close();
    });

    test('invocation over the HTTP API reaches the app on this protocol, with the app token', async () => {
      const res = await invokeHttp(sc, appId);
      assert.equal(res.status, 200, res.body.toString());
      assert.deepEqual(jsonOf(res), { method: 'POST', url: '/hello?x=1', body: 'hi there', ...wire });
      const seen = calls('/hello?x=1').at(-1)!;
      assert.equal(seen.headers['content-type'], 'text/plain');
      assert.equal(seen.headers['dapr-caller-app-id'], appId);
      assertTokens(seen.headers, 'invocation');
    });

    test('invocation over the gRPC API (InvokeService)', async () => {
      const res = await invokeGrpc(sc, appId);
      assert.deepEqual(JSON.parse(Buffer.from(res.data!.value).toString()), { method: 'POST', url: '/hello', body: 'hi over grpc', ...wire });
      assertTokens(calls('/hello').at(-1)!.headers, 'InvokeService');
    });

    test('programmatic subscription and pub/sub delivery', async () => {
      const [sub] = calls('/dapr/subscribe', 'GET');
      assert.ok(sub, 'GET /dapr/subscribe was not called');
      assert.deepEqual([sub.httpVersion, sub.tls], [wire.httpVersion, wire.tls]);
      assertTokens(sub.headers, '/dapr/subscribe');
      assert.equal(calls('/dapr/config', 'GET')[0]?.httpVersion, wire.httpVersion);
      await eventually(() => assert.match(sc.output, new RegExp(`Subscribed to topic ${TOPIC}`)));
      assert.equal((await publish(sc, '{"order":1}')).status, 204);
      const ev = await eventually(() => calls(`/${TOPIC}`, 'POST')[0] ?? assert.fail('no delivery yet'));
      const ce = JSON.parse(ev.body.toString()) as Record<string, unknown>;
      assert.deepEqual([ce.topic, ce.pubsubname, ce.data], [TOPIC, 'pubsub', { order: 1 }]);
      assert.deepEqual([ev.httpVersion, ev.tls], [wire.httpVersion, wire.tls]);
      assertTokens(ev.headers, 'delivery');
    });

    test('input binding: OPTIONS check, then POST per event', async () => {
      const check = calls(`/${BINDING}`, 'OPTIONS')[0];
      assert.ok(check, 'no OPTIONS check');
      assertTokens(check.headers, 'OPTIONS');
      const ev = await eventually(() => calls(`/${BINDING}`, 'POST')[0] ?? assert.fail('no binding event yet'));
      assert.deepEqual([ev.httpVersion, ev.tls], [wire.httpVersion, wire.tls]);
      assertTokens(ev.headers, 'binding event');
    });

    test('health probes on this protocol gate invocation', async () => {
      const probe = calls(HEALTH_PATH, 'GET')[0]!;
      assert.deepEqual([probe.httpVersion, probe.tls], [wire.httpVersion, wire.tls]);
      assert.equal(probe.headers['dapr-api-token'], undefined, 'probes carry no token by default (as daprd)');
      app.healthStatus = 503;
      try {
        await eventually(() => assert.match(sc.output, /App entered un-healthy status: Health check failed with status code: 503/));
        const res = await invokeHttp(sc, appId);
        assert.equal(res.status, 500);
        assert.deepEqual(jsonOf(res), { errorCode: 'ERR_DIRECT_INVOKE', message: unhealthy(appId) });
      } finally {
        app.healthStatus = 200;
      }
      await eventually(async () => assert.equal((await invokeHttp(sc, appId)).status, 200));
    });

    test('the metadata API shows the protocol', async () => {
      const md = jsonOf<{ appConnectionProperties: { protocol: string; port: number; health: { healthCheckPath: string } } }>(
        await httpRaw({ port: sc.httpPort, method: 'GET', path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } }),
      );
      assert.equal(md.appConnectionProperties.protocol, protocol);
      assert.equal(md.appConnectionProperties.port, app.port);
      assert.equal(md.appConnectionProperties.health.healthCheckPath, HEALTH_PATH);
    });
  });
}

describe('--app-protocol grpcs', () => {
  const appId = 'proto-grpcs';
  let app: GrpcsApp;
  let sc: Sidecar;
  const calls = (method: string) => app.seen.filter((s) => s.method === method);

  before(async () => {
    app = await startGrpcsApp(CERT);
    sc = await start(appId, 'grpcs', app.port);
    await eventually(() => assert.match(sc.output, /App entered healthy status/));
  });
  after(async () => {
    await sc?.stop();
    await app?.close();
  });

  test('invocation over the HTTP API becomes OnInvoke over TLS, with the app token', async () => {
    const res = await invokeHttp(sc, appId, 'hello', 'hi there');
    assert.equal(res.status, 200, res.body.toString());
    assert.deepEqual(jsonOf(res), { method: 'hello', body: 'hi there' });
    const seen = calls('OnInvoke').at(-1)!;
    assert.equal(seen.invoke!.httpExtension?.verb, HTTPExtension_Verb.POST);
    assertTokens(seen.metadata, 'OnInvoke');
  });

  test('invocation over the gRPC API (InvokeService)', async () => {
    const res = await invokeGrpc(sc, appId);
    assert.deepEqual(JSON.parse(Buffer.from(res.data!.value).toString()), { method: 'hello', body: 'hi over grpc' });
    assertTokens(calls('OnInvoke').at(-1)!.metadata, 'InvokeService');
  });

  test('transparent gRPC proxying reaches the app over TLS', async () => {
    const res = await grpcRaw({
      port: sc.grpcPort, path: '/dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck',
      metadata: { 'dapr-api-token': TOKEN, 'dapr-app-id': appId, 'x-proxied': 'yes' }, messages: [new Uint8Array()],
    });
    assert.equal(res.code, 0, res.message);
    const seen = calls('HealthCheck').find((s) => s.metadata['x-proxied'] === 'yes');
    assert.ok(seen, 'the proxied call did not reach the app');
    assertTokens(seen.metadata, 'proxied call');
  });

  test('ListTopicSubscriptions and OnTopicEvent', async () => {
    assertTokens(calls('ListTopicSubscriptions')[0]!.metadata, 'ListTopicSubscriptions');
    await eventually(() => assert.match(sc.output, new RegExp(`Subscribed to topic ${TOPIC}`)));
    assert.equal((await publish(sc, '{"order":2}')).status, 204);
    const ev = await eventually(() => calls('OnTopicEvent')[0] ?? assert.fail('no delivery yet'));
    assert.deepEqual([ev.topicEvent!.topic, ev.topicEvent!.pubsubName, Buffer.from(ev.topicEvent!.data).toString()], [TOPIC, 'pubsub', '{"order":2}']);
    assertTokens(ev.metadata, 'OnTopicEvent');
  });

  test('ListInputBindings and OnBindingEvent', async () => {
    assertTokens(calls('ListInputBindings')[0]!.metadata, 'ListInputBindings');
    const ev = await eventually(() => calls('OnBindingEvent')[0] ?? assert.fail('no binding event yet'));
    assert.equal(ev.bindingEvent!.name, BINDING);
    assertTokens(ev.metadata, 'OnBindingEvent');
  });

  test('health probes over TLS gate invocation', async () => {
    const probe = calls('HealthCheck').find((s) => s.metadata['x-proxied'] === undefined)!;
    assert.equal(probe.metadata['dapr-api-token'], undefined, 'probes carry no token by default (as daprd)');
    app.healthy = false;
    try {
      await eventually(() => assert.match(sc.output, /App entered un-healthy status: Health check failed: rpc error: code = Unavailable desc = app says it is down/));
      const e = await grpcError(() => invokeGrpc(sc, appId));
      assert.equal(e.code, Code.Internal);
      assert.equal(e.rawMessage, unhealthy(appId));
    } finally {
      app.healthy = true;
    }
    await eventually(() => invokeGrpc(sc, appId));
  });

  test('the metadata API shows the protocol', async () => {
    const md = jsonOf<{ appConnectionProperties: { protocol: string; health: { healthCheckPath?: string } } }>(
      await httpRaw({ port: sc.httpPort, method: 'GET', path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } }),
    );
    assert.equal(md.appConnectionProperties.protocol, 'grpcs');
    assert.ok(!md.appConnectionProperties.health.healthCheckPath, 'gRPC apps have no health path (as daprd)');
  });
});

describe('certificate verification with --app-ca-file (Pillion)', () => {
  let httpsApp: ProtocolHttpApp;
  let grpcsApp: GrpcsApp;
  let caFile: string;
  let otherCaFile: string;

  before(async () => {
    httpsApp = await startHttpsApp(CERT);
    grpcsApp = await startGrpcsApp(CERT);
    const dir = tempDir('pillion-protocols-ca-');
    caFile = join(dir, 'ca.pem');
    otherCaFile = join(dir, 'other-ca.pem');
    writeFileSync(caFile, CERT.ca);
    writeFileSync(otherCaFile, OTHER_CA);
  });
  after(async () => {
    await httpsApp?.close();
    await grpcsApp?.close();
  });

  const verified = (appId: string, protocol: string, port: number, ca: string) =>
    startSidecar({ appId, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(port), '--app-protocol', protocol, '--app-channel-address', 'localhost', '--app-ca-file', ca] });

  test('https: a certificate from the CA that names the address is accepted', async () => {
    const sc = await verified('ca-https-ok', 'https', httpsApp.port, caFile);
    assert.match(sc.output, /its certificate must chain to --app-ca-file/);
    const res = await invokeHttp(sc, 'ca-https-ok');
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(jsonOf<{ tls: boolean }>(res).tls, true);
    await sc.stop();
  });

  test('https: a certificate from another CA is refused; nothing reaches the app', async () => {
    const sc = await verified('ca-https-bad', 'https', httpsApp.port, otherCaFile);
    const before = httpsApp.seen.length;
    const res = await invokeHttp(sc, 'ca-https-bad');
    assert.equal(res.status, 500);
    const body = jsonOf<{ errorCode: string; message: string }>(res);
    assert.equal(body.errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(body.message, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT/);
    assert.ok(!body.message.includes(TOKEN) && !body.message.includes(APP_TOKEN));
    assert.equal(httpsApp.seen.length, before);
    await sc.stop();
  });

  test('https: the certificate must name --app-channel-address', async () => {
    // right CA, but the app is addressed as 127.0.0.1 and its certificate names only localhost
    const sc = await startSidecar({ appId: 'ca-https-name', token: TOKEN, args: ['--app-port', String(httpsApp.port), '--app-protocol', 'https', '--app-ca-file', caFile] });
    const res = await invokeHttp(sc, 'ca-https-name');
    assert.equal(res.status, 500);
    assert.match(jsonOf<{ message: string }>(res).message, /ERR_TLS_CERT_ALTNAME_INVALID/);
    await sc.stop();
  });

  test('grpcs: accepted with the right CA, refused with another', async () => {
    const ok = await verified('ca-grpcs-ok', 'grpcs', grpcsApp.port, caFile);
    const res = await invokeGrpc(ok, 'ca-grpcs-ok');
    assert.deepEqual(JSON.parse(Buffer.from(res.data!.value).toString()), { method: 'hello', body: 'hi over grpc' });
    await ok.stop();
    const bad = await verified('ca-grpcs-bad', 'grpcs', grpcsApp.port, otherCaFile);
    const before = grpcsApp.seen.length;
    const e = await grpcError(() => invokeGrpc(bad, 'ca-grpcs-bad'));
    assert.equal(e.code, Code.Internal);
    assert.match(e.rawMessage, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT/);
    assert.equal(grpcsApp.seen.length, before);
    await bad.stop();
  });

  test('without --app-ca-file the certificate is not verified (as daprd) and the log says so', async () => {
    const sc = await startSidecar({ appId: 'ca-none', token: TOKEN, args: ['--app-port', String(httpsApp.port), '--app-protocol', 'https'] });
    assert.match(sc.output, /its certificate is not verified \(as daprd\)/);
    assert.equal((await invokeHttp(sc, 'ca-none')).status, 200);
    await sc.stop();
  });

  test('--app-ca-file with a cleartext protocol is refused at start-up (exit 2)', async () => {
    const sc = await startSidecar({ appId: 'ca-http', args: ['--app-port', '1', '--app-protocol', 'h2c', '--app-ca-file', caFile], waitReady: false });
    const exit = await sc.waitExit();
    assert.equal(exit.code, 2);
    assert.match(sc.stderr, /--app-ca-file needs --app-protocol https or grpcs \(got h2c\)/);
  });

  test('an unreadable or certificate-less CA file stops start-up (exit 1)', async () => {
    const missing = await startSidecar({ appId: 'ca-missing', args: ['--app-protocol', 'https', '--app-ca-file', '/nonexistent/ca.pem'], waitReady: false });
    assert.equal((await missing.waitExit()).code, 1);
    assert.match(missing.stderr, /--app-ca-file \/nonexistent\/ca\.pem: cannot be read \(ENOENT\)/);
    const junk = join(tempDir('pillion-protocols-junk-'), 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const empty = await startSidecar({ appId: 'ca-junk', args: ['--app-protocol', 'grpcs', '--app-ca-file', junk], waitReady: false });
    assert.equal((await empty.waitExit()).code, 1);
    assert.match(empty.stderr, /holds no PEM certificate/);
  });
});

describe('the app command', () => {
  test('gets APP_PROTOCOL', async () => {
    const out = join(tempDir('pillion-protocols-env-'), 'protocol.txt');
    const script = 'require("fs").writeFileSync(process.argv[1], String(process.env.APP_PROTOCOL)); setInterval(() => {}, 1000)';
    const sc = await startSidecar({ appId: 'proto-env', args: ['--app-protocol', 'h2c'], appCommand: [process.execPath, '-e', script, out] });
    await eventually(() => assert.equal(readFileSync(out, 'utf8'), 'h2c'));
    await sc.stop();
  });
});
