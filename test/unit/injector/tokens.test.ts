// Pure parts of `pillion token`: random tokens, JWT signing, Secret bodies, restart planning.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { algorithmFor, randomToken, signJwt } from '../../../src/cli/commands/token-tools.js';
import { restartPatch, secretWithToken, workloadsUsingSecret } from '../../../src/injector/rotation.js';

describe('token create', () => {
  test('random tokens: hex and base64url of the requested size', () => {
    assert.match(randomToken(32, 'hex'), /^[0-9a-f]{64}$/);
    assert.match(randomToken(32, 'base64url'), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(randomToken(32, 'hex'), randomToken(32, 'hex'));
  });
  const keys: Array<[string, () => import('node:crypto').KeyPairKeyObjectResult, string]> = [
    ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'],
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'ES384'],
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256'],
    ['Ed25519', () => generateKeyPairSync('ed25519'), 'EdDSA'],
  ];
  for (const [name, make, alg] of keys) {
    test(`JWT with a ${name} key: ${alg}, verifiable with the public key`, async () => {
      const { privateKey, publicKey } = make();
      assert.equal(algorithmFor(privateKey), alg);
      const now = new Date();
      const jwt = await signJwt({ keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, sub: 'orders', aud: ['pillion'], iss: 'ops', kid: 'k1', ttlSeconds: 3600, now });
      const { jwtVerify, decodeProtectedHeader } = await import('jose');
      const { payload } = await jwtVerify(jwt, publicKey, { audience: 'pillion', issuer: 'ops', subject: 'orders' });
      assert.equal(payload.exp, Math.floor(now.getTime() / 1000) + 3600);
      assert.ok(payload.jti);
      assert.deepEqual(decodeProtectedHeader(jwt), { alg, typ: 'JWT', kid: 'k1' });
    });
  }
  test('SEC1 EC keys work too; ttl 0 means no exp', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwt = await signJwt({ keyPem: privateKey.export({ type: 'sec1', format: 'pem' }) as string, ttlSeconds: 0, now: new Date() });
    const { decodeJwt } = await import('jose');
    assert.equal(decodeJwt(jwt).exp, undefined);
  });
  test('a key that is not a private key is a usage error', async () => {
    await assert.rejects(signJwt({ keyPem: 'nope', ttlSeconds: 0, now: new Date() }), /not a private key/);
  });
  test('--alg that does not fit the key is a usage error', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await assert.rejects(signJwt({ keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, alg: 'RS256', ttlSeconds: 0, now: new Date() }), /cannot sign with --alg RS256/);
  });
});

describe('token rotate', () => {
  test('secretWithToken: replaces token, keeps other keys and the resourceVersion', () => {
    const s = secretWithToken({ metadata: { name: 's', namespace: 'n', resourceVersion: '7' }, data: { other: 'eA==', token: 'b2xk' } }, 's', 'n', 'new');
    assert.deepEqual(s.data, { other: 'eA==', token: Buffer.from('new').toString('base64') });
    assert.equal(s.metadata?.resourceVersion, '7');
  });
  test('secretWithToken: a new Opaque Secret when absent', () => {
    assert.deepEqual(secretWithToken(undefined, 's', 'n', 't'), {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n', labels: { 'app.kubernetes.io/managed-by': 'pillion' } }, type: 'Opaque', data: { token: 'dA==' },
    });
  });
  test('workloadsUsingSecret: by api-token-secret or app-token-secret, sorted', () => {
    const d = (name: string, annotations?: Record<string, string>) => ({ metadata: { name }, spec: { template: { metadata: annotations ? { annotations } : {} } } });
    const items = [
      d('b', { 'dapr.io/api-token-secret': 'tok' }),
      d('a', { 'dapr.io/app-token-secret': 'tok' }),
      d('c', { 'dapr.io/api-token-secret': 'other' }),
      d('d'),
      d('e', { 'dapr.io/env': 'tok' }),
    ];
    assert.deepEqual(workloadsUsingSecret(items, 'tok'), ['a', 'b']);
  });
  test('restartPatch: the restartedAt annotation, creating the map when needed', () => {
    const now = new Date('2025-01-02T03:04:05.678Z');
    assert.deepEqual(restartPatch({ spec: { template: { metadata: { annotations: { x: '1' } } } } }, now), [{ op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: '2025-01-02T03:04:05Z' }]);
    assert.deepEqual(restartPatch({ spec: { template: { metadata: {} } } }, now), [{ op: 'add', path: '/spec/template/metadata/annotations', value: { 'kubectl.kubernetes.io/restartedAt': '2025-01-02T03:04:05Z' } }]);
    assert.deepEqual(restartPatch({ spec: { template: {} } }, now), [{ op: 'add', path: '/spec/template/metadata', value: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-02T03:04:05Z' } } }]);
  });
});
