// JWT API tokens end to end, over both protocols: a JWKS served by a local http server on
// 127.0.0.1, keys generated here with jose. Valid/expired/not-yet-valid/wrong issuer/wrong
// audience/foreign key/alg none/HS-RS confusion, an unknown kid accepted once the key is
// published, scopes (403 / PERMISSION_DENIED), Authorization: Bearer, the Configuration's API
// allow list, audit lines and metrics — and the token never in the log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import { GetMetadataRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/metadata_pb.js';
import { GetStateRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { SubscribeConfigurationRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/configuration_pb.js';
import { ServerReflectionRequestSchema } from '../../src/gen/grpc/reflection/v1/reflection_pb.js';
import { httpRaw, jsonOf, metricValue, scrapeMetrics, sleep, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { DAPR_SERVICE, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const ISS = 'https://id.example.test';
const APP = 'jwt-e2e';
const now = () => Math.floor(Date.now() / 1000);
const PERMISSION_DENIED = 7;

let jwks: JWK[] = [];
let jwksHits = 0;
const jwksServer = http.createServer((_req, res) => {
  jwksHits++;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks }));
});

const keys: Record<string, { priv: Key; jwk: JWK; pub: Key }> = {};
async function addKey(kid: string, alg = 'ES256'): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  keys[kid] = { priv: privateKey, pub: publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}
function sign(kid: string, claims: Record<string, unknown> = {}, o: { exp?: number; nbf?: number; iss?: string; aud?: string; alg?: string; key?: Key | Uint8Array } = {}): Promise<string> {
  const t = new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'ES256', kid }).setIssuer(o.iss ?? ISS).setAudience(o.aud ?? APP).setIssuedAt().setExpirationTime(o.exp ?? now() + 600);
  if (o.nbf !== undefined) t.setNotBefore(o.nbf);
  return t.sign(o.key ?? keys[kid]!.priv);
}
/** Log lines reach us through a pipe: wait (briefly) for one to arrive. */
async function waitForLog(sc: Sidecar, re: RegExp): Promise<void> {
  for (let i = 0; i < 40 && !re.test(sc.output); i++) await sleep(50);
  assert.match(sc.output, re);
}
const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');

const getMetadata = (port: number, metadata: Record<string, string>) =>
  grpcRaw({ port, path: `${DAPR_SERVICE}/GetMetadata`, metadata, messages: [toBinary(GetMetadataRequestSchema, create(GetMetadataRequestSchema))], timeoutMs: 5000 });
const getStateGrpc = (port: number, metadata: Record<string, string>) =>
  grpcRaw({ port, path: `${DAPR_SERVICE}/GetState`, metadata, messages: [toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'k' }))], timeoutMs: 5000 });

describe('JWT API tokens (JWKS URL on 127.0.0.1, both protocols)', () => {
  let sc: Sidecar;
  const tokensSeen: string[] = [];
  const tok = async (p: Promise<string>) => {
    const t = await p;
    tokensSeen.push(t);
    return t;
  };

  before(async () => {
    await addKey('k1');
    await addKey('k2');
    await addKey('rsa', 'RS256');
    await addKey('stranger');
    jwks = [keys.k1!.jwk, keys.rsa!.jwk];
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    sc = await startSidecar({ appId: APP, args: ['--api-token-jwks', url, '--api-token-issuer', ISS, '--api-token-allow-bearer'] });
  });
  after(async () => {
    await stopAll();
    jwksServer.close();
  });

  test('a valid token is accepted on both protocols, by header or Bearer; repeats come from the cache', async () => {
    const t = await tok(sign('k1'));
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 200);
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { authorization: `Bearer ${t}` } })).status, 200);
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.OK);
    assert.equal((await getMetadata(sc.grpcPort, { authorization: `Bearer ${t}` })).code, GrpcStatus.OK);
    assert.equal((await getMetadata(sc.grpcPort, { authorization: `bearer ${await tok(sign('rsa', {}, { alg: 'RS256' }))}` })).code, GrpcStatus.OK);
    const m = await scrapeMetrics(sc);
    assert.ok(metricValue(m, 'pillion_jwt_cache_hits_total') >= 3);
    assert.ok(metricValue(m, 'pillion_jwt_cache_misses_total') >= 2);
    assert.ok(metricValue(m, 'pillion_api_auth_total', { result: 'allowed', reason: 'jwt' }) >= 5);
    assert.equal(metricValue(m, 'pillion_jwks_fetches_total', { result: 'success' }), 1);
  });

  test('dapr-api-token takes precedence over Authorization', async () => {
    const good = await tok(sign('k1'));
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': 'not-valid', authorization: `Bearer ${good}` } });
    assert.equal(r.status, 401);
  });

  const bad: Array<[string, () => Promise<string>, string]> = [
    ['expired', () => sign('k1', {}, { exp: now() - 300 }), 'expired'],
    ['not yet valid', () => sign('k1', {}, { nbf: now() + 300 }), 'not_yet_valid'],
    ['wrong issuer', () => sign('k1', {}, { iss: 'https://evil.test' }), 'wrong_issuer'],
    ['wrong audience', () => sign('k1', {}, { aud: 'someone-else' }), 'wrong_audience'],
    ['foreign key under a known kid', () => sign('k1', {}, { key: keys.stranger!.priv }), 'bad_signature'],
    ['alg none', async () => `${b64({ alg: 'none', kid: 'k1' })}.${b64({ iss: ISS, aud: APP, exp: now() + 600 })}.`, 'bad_signature'],
    ['HS256 signed with the RSA public key', async () => sign('rsa', {}, { alg: 'HS256', key: new TextEncoder().encode(await exportSPKI(keys.rsa!.pub)) }), 'bad_signature'],
    ['garbage', async () => 'a.b', 'malformed'],
  ];
  for (const [name, make, reason] of bad) {
    test(`${name}: 401 / UNAUTHENTICATED, reason ${reason}`, async () => {
      const t = await tok(make());
      const before = metricValue(await scrapeMetrics(sc), 'pillion_api_auth_total', { result: 'denied', reason });
      const h = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { authorization: `Bearer ${t}` } });
      assert.equal(h.status, 401);
      assert.equal(h.text, 'invalid api token\n');
      assert.equal(h.headers['www-authenticate'], 'Bearer realm="dapr", error="invalid_token"');
      const g = await getMetadata(sc.grpcPort, { 'dapr-api-token': t });
      assert.equal(g.code, GrpcStatus.UNAUTHENTICATED);
      assert.equal(g.errorInfo?.reason, 'Unauthorized');
      const after = metricValue(await scrapeMetrics(sc), 'pillion_api_auth_total', { result: 'denied', reason });
      assert.equal(after - before, 2);
    });
  }

  test('no token: 401 with a Bearer challenge', async () => {
    const h = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata' });
    assert.equal(h.status, 401);
    assert.equal(h.headers['www-authenticate'], 'Bearer realm="dapr"');
  });

  test('unknown kid: refused, then accepted once the key is published (refresh on unknown kid)', async () => {
    const t = await tok(sign('k2'));
    const fetches = jwksHits;
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.UNAUTHENTICATED);
    jwks = [keys.k1!.jwk, keys.rsa!.jwk, keys.k2!.jwk];
    await sleep(3100); // the refresh-on-unknown-kid cooldown (3 s)
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.OK);
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 200);
    assert.ok(jwksHits - fetches <= 2, `${jwksHits - fetches} JWKS fetches`);
  });

  test('the issuer going down does not stop cached keys from working', async () => {
    jwksServer.closeAllConnections();
    const t = await tok(sign('k1', { fresh: 1 }));
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } });
    assert.equal(r.status, 200);
  });

  test('scopes: a call outside the token scope is 403 / PERMISSION_DENIED on both protocols', async () => {
    const t = await tok(sign('k1', { scope: 'metadata' }));
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 200);
    const h = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/k', headers: { authorization: `Bearer ${t}` } });
    assert.equal(h.status, 403);
    assert.deepEqual(jsonOf(h), { errorCode: 'ERR_PERMISSION_DENIED', message: 'the API token does not grant access to the state API' });
    assert.equal(h.headers['www-authenticate'], 'Bearer realm="dapr", error="insufficient_scope"');
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.OK);
    const g = await getStateGrpc(sc.grpcPort, { 'dapr-api-token': t });
    assert.equal(g.code, PERMISSION_DENIED);
    assert.equal(g.errorInfo?.reason, 'ERR_PERMISSION_DENIED');
    const all = await tok(sign('k1', { scope: 'state *' }));
    assert.equal((await getStateGrpc(sc.grpcPort, { 'dapr-api-token': all })).code, GrpcStatus.OK);
    const m = await scrapeMetrics(sc);
    assert.equal(metricValue(m, 'pillion_api_auth_total', { result: 'denied', reason: 'out_of_scope' }), 2);
  });

  test('healthz stays exempt', async () => {
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' })).status, 204);
  });

  test('audit lines: reason, protocol, method, peer, fingerprint — never a token', async () => {
    await waitForLog(sc, /reason=out_of_scope protocol=grpc/);
    const lines = sc.output.split('\n').filter((l) => l.includes('API request refused'));
    assert.ok(lines.length >= 10, `${lines.length} audit lines`);
    assert.ok(lines.some((l) => /reason=expired protocol=grpc method=\/dapr\.proto\.runtime\.v1\.Dapr\/GetMetadata group=metadata peer=127\.0\.0\.1:\d+ token_fingerprint=[0-9a-f]{8}/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /reason=out_of_scope protocol=http method="GET \/v1\.0\/state\/:storeName\/:key" group=state/.test(l)));
    for (const t of tokensSeen) {
      assert.ok(!sc.output.includes(t), 'a token is in the log');
      for (const part of t.split('.')) if (part.length >= 16) assert.ok(!sc.output.includes(part), 'a part of a token is in the log');
    }
  });
});

describe('Configuration API allow list, HS secret, audit-only', () => {
  let sc: Sidecar;
  const SECRET = 'e2e-hs-secret-0123456789-abcdefghij';
  before(async () => {
    const d = tempDir('pillion-apilist-');
    writeFileSync(join(d, 'config.yaml'), [
      'apiVersion: dapr.io/v1alpha1', 'kind: Configuration', 'metadata: {name: c}', 'spec:', '  api:', '    allowed:',
      '      - {name: metadata, version: v1.0, protocol: http}', '      - {name: metadata, version: v1, protocol: grpc}', '',
    ].join('\n'));
    writeFileSync(join(d, 'hs'), SECRET + '\n');
    sc = await startSidecar({ appId: 'apilist', args: ['--config', join(d, 'config.yaml'), '--api-token-hs-secret-file', join(d, 'hs'), '--api-token-issuer', ISS, '--api-token-audit-only'] });
  });
  after(stopAll);

  const hs = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setAudience('apilist').setExpirationTime(now() + 600).sign(new TextEncoder().encode(SECRET));

  test('an API outside the allow list answers as daprd: 404 ERR_DIRECT_INVOKE / UNIMPLEMENTED', async () => {
    const t = await hs();
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 200);
    const h = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/k', headers: { 'dapr-api-token': t } });
    assert.equal(h.status, 404);
    assert.equal(jsonOf<{ errorCode: string }>(h).errorCode, 'ERR_DIRECT_INVOKE');
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.OK);
    const g = await getStateGrpc(sc.grpcPort, { 'dapr-api-token': t });
    assert.equal(g.code, GrpcStatus.UNIMPLEMENTED);
    assert.equal(g.message, 'requested endpoint is not available');
    assert.equal(metricValue(await scrapeMetrics(sc), 'pillion_api_auth_total', { result: 'denied', reason: 'api_denied' }), 2);
  });

  test('audit-only: a bad token is logged and counted but let through (token still stripped)', async () => {
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': 'wrong' } });
    assert.equal(r.status, 200);
    assert.equal((await getMetadata(sc.grpcPort, {})).code, GrpcStatus.OK);
    await waitForLog(sc, /API request would be refused \(audit only: let through\).*reason=malformed/);
    await waitForLog(sc, /reason=missing protocol=grpc .*audit_only=true/);
    const m = await scrapeMetrics(sc);
    assert.equal(metricValue(m, 'pillion_api_auth_total', { result: 'denied', reason: 'missing' }), 1);
  });
});

describe('JWT keys by OIDC discovery (--api-token-oidc-issuer)', () => {
  let sc: Sidecar;
  let issuer = '';
  let discoveryHits = 0;
  // An identity provider on 127.0.0.1: its discovery document names the JWKS URL.
  const idp = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      discoveryHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
    } else if (req.url === '/keys') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [keys.oidc!.jwk] }));
    } else res.writeHead(404).end();
  });

  before(async () => {
    await addKey('oidc');
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    sc = await startSidecar({ appId: APP, args: ['--api-token-oidc-issuer', issuer] });
  });
  after(async () => {
    await stopAll();
    idp.close();
  });

  test('a token signed by the discovered key, from that issuer, is accepted on both protocols', async () => {
    const t = await sign('oidc', {}, { iss: issuer });
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 200);
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.OK);
    assert.ok(discoveryHits >= 1, 'the discovery document was read');
  });

  test('streaming calls pass the same gate: server-streaming and bidi, token, expiry and scope', async () => {
    const subscribe = (metadata: Record<string, string>) =>
      grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/SubscribeConfiguration`, metadata, timeoutMs: 5000,
        messages: [toBinary(SubscribeConfigurationRequestSchema, create(SubscribeConfigurationRequestSchema, { storeName: 'cfg' }))] });
    const reflect = (metadata: Record<string, string>) =>
      grpcRaw({ port: sc.grpcPort, path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', metadata, timeoutMs: 5000,
        messages: [toBinary(ServerReflectionRequestSchema, create(ServerReflectionRequestSchema, { messageRequest: { case: 'listServices', value: '' } }))] });
    const good = await sign('oidc', {}, { iss: issuer });
    // past the gate, the Dapr method Pillion does not serve answers UNIMPLEMENTED; reflection works
    assert.equal((await subscribe({ 'dapr-api-token': good })).code, GrpcStatus.UNIMPLEMENTED);
    assert.equal((await reflect({ 'dapr-api-token': good })).code, GrpcStatus.OK);
    const expired = await sign('oidc', {}, { iss: issuer, exp: now() - 3600 });
    assert.equal((await subscribe({ 'dapr-api-token': expired })).code, GrpcStatus.UNAUTHENTICATED);
    assert.equal((await reflect({ 'dapr-api-token': expired })).code, GrpcStatus.UNAUTHENTICATED);
    const stateOnly = await sign('oidc', { scope: 'state' }, { iss: issuer });
    assert.equal((await subscribe({ 'dapr-api-token': stateOnly })).code, PERMISSION_DENIED);
  });

  test('a static token and JWTs can be enabled together: either is accepted, anything else is refused', async () => {
    const both = await startSidecar({ appId: APP, token: 'static-token-0123456789abcdef', args: ['--api-token-oidc-issuer', issuer] });
    const jwt = await sign('oidc', {}, { iss: issuer });
    for (const t of ['static-token-0123456789abcdef', jwt]) {
      assert.equal((await httpRaw({ port: both.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 200);
      assert.equal((await getMetadata(both.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.OK);
    }
    assert.equal((await httpRaw({ port: both.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': 'static-token-0123456789abcdeX' } })).status, 401);
    assert.equal((await getMetadata(both.grpcPort, { 'dapr-api-token': await sign('oidc', {}, { iss: ISS }) })).code, GrpcStatus.UNAUTHENTICATED);
    await both.stop();
  });

  test('the issuer is the discovered one: a token naming another issuer is refused', async () => {
    const t = await sign('oidc', {}, { iss: ISS });
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } })).status, 401);
    assert.equal((await getMetadata(sc.grpcPort, { 'dapr-api-token': t })).code, GrpcStatus.UNAUTHENTICATED);
  });
});
