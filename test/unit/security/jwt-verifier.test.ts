// JWT verification: every refusal reason, algorithm confusion, key refresh on an unknown kid,
// scopes, and a cache that never outlives a token's exp. Keys are generated here with jose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTVerifyGetKey } from 'jose';
import { createJwtVerifier, scopesOf, type JwtPrincipal } from '../../../src/security/jwt-verifier.js';
import { fileKeySource, UNKNOWN_KID_COOLDOWN_MS, type KeySource } from '../../../src/security/jwks-source.js';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISS = 'https://issuer.test';
const AUD = 'orders';
const now = () => Math.floor(Date.now() / 1000);

async function keyPair(alg: string, kid: string): Promise<{ privateKey: Key; jwk: JWK; publicKey: Key }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(key: Key | Uint8Array, alg: string, kid: string | undefined, claims: Record<string, unknown> = {}, opts: { exp?: number; nbf?: number; iss?: string; aud?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader(kid ? { alg, kid } : { alg }).setIssuer(opts.iss ?? ISS).setAudience(opts.aud ?? AUD).setIssuedAt().setExpirationTime(opts.exp ?? now() + 600);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key);
}

function staticKeys(keys: JWK[]): KeySource & { set(keys: JWK[]): void; refreshes: number } {
  let getKey: JWTVerifyGetKey = createLocalJWKSet({ keys });
  let pending = keys;
  const src = {
    refreshes: 0,
    ready: Promise.resolve(),
    get getKey() {
      return getKey;
    },
    set(k: JWK[]) {
      pending = k;
    },
    async refreshForUnknownKey() {
      src.refreshes++;
      getKey = createLocalJWKSet({ keys: pending });
      return true;
    },
    close() {},
  };
  return src;
}

const isPrincipal = (r: JwtPrincipal | string): r is JwtPrincipal => typeof r !== 'string';

test('valid ES256, RS256, PS256 and EdDSA tokens are accepted; each refusal has its reason', async () => {
  const es = await keyPair('ES256', 'es');
  const rs = await keyPair('RS256', 'rs');
  const ps = await keyPair('PS256', 'ps');
  const ed = await keyPair('EdDSA', 'ed');
  const foreign = await keyPair('ES256', 'es'); // same kid, other key
  const v = createJwtVerifier({ issuer: ISS, audience: [AUD], keys: staticKeys([es.jwk, rs.jwk, ps.jwk, ed.jwk]) });
  for (const [k, alg, kid] of [[es, 'ES256', 'es'], [rs, 'RS256', 'rs'], [ps, 'PS256', 'ps'], [ed, 'EdDSA', 'ed']] as const) {
    assert.ok(isPrincipal(await v.verify(await sign(k.privateKey, alg, kid))), alg);
  }
  assert.equal(await v.verify(await sign(es.privateKey, 'ES256', 'es', {}, { exp: now() - 120 })), 'expired');
  assert.ok(isPrincipal(await v.verify(await sign(es.privateKey, 'ES256', 'es', {}, { exp: now() - 30 }))), 'within 60 s skew');
  assert.equal(await v.verify(await sign(es.privateKey, 'ES256', 'es', {}, { nbf: now() + 300 })), 'not_yet_valid');
  assert.ok(isPrincipal(await v.verify(await sign(es.privateKey, 'ES256', 'es', {}, { nbf: now() + 30 }))), 'nbf within skew');
  assert.equal(await v.verify(await sign(es.privateKey, 'ES256', 'es', {}, { iss: 'https://evil.test' })), 'wrong_issuer');
  assert.equal(await v.verify(await sign(es.privateKey, 'ES256', 'es', {}, { aud: 'payments' })), 'wrong_audience');
  assert.equal(await v.verify(await sign(foreign.privateKey, 'ES256', 'es')), 'bad_signature');
  assert.equal(await v.verify('not.a.jwt'), 'malformed');
  assert.equal(await v.verify('abc'), 'malformed');
});

test('a token without exp is refused', async () => {
  const es = await keyPair('ES256', 'es');
  const v = createJwtVerifier({ issuer: ISS, audience: [AUD], keys: staticKeys([es.jwk]) });
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'es' }).setIssuer(ISS).setAudience(AUD).sign(es.privateKey);
  assert.equal(await v.verify(token), 'malformed');
});

test('alg none and HS/RS confusion are refused', async () => {
  const rs = await keyPair('RS256', 'rs');
  const v = createJwtVerifier({ issuer: ISS, audience: [AUD], keys: staticKeys([rs.jwk]) });
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: ISS, aud: AUD, exp: now() + 600 })}.`;
  assert.equal(await v.verify(unsigned), 'bad_signature');
  assert.equal(await v.verify(`${b64({ alg: 'NONE' })}.${b64({ iss: ISS, aud: AUD, exp: now() + 600 })}.`), 'bad_signature');
  // The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret.
  const pem = new TextEncoder().encode(await exportSPKI(rs.publicKey));
  assert.equal(await v.verify(await sign(pem, 'HS256', 'rs')), 'bad_signature');
  // With an HS secret configured, HS tokens are checked against THAT secret only.
  const secret = new TextEncoder().encode('an-hs-secret-of-at-least-32-bytes!!');
  const withHs = createJwtVerifier({ issuer: ISS, audience: [AUD], keys: staticKeys([rs.jwk]), hsSecret: () => secret });
  assert.equal(await withHs.verify(await sign(pem, 'HS256', 'rs')), 'bad_signature');
  assert.ok(isPrincipal(await withHs.verify(await sign(secret, 'HS256', undefined))));
});

test('an unknown kid triggers a key refresh; once the key is published the token is accepted', async () => {
  const a = await keyPair('ES256', 'a');
  const b = await keyPair('ES256', 'b');
  const keys = staticKeys([a.jwk]);
  const v = createJwtVerifier({ issuer: ISS, audience: [AUD], keys });
  const token = await sign(b.privateKey, 'ES256', 'b');
  assert.equal(await v.verify(token), 'unknown_key');
  assert.equal(keys.refreshes, 1);
  keys.set([a.jwk, b.jwk]);
  assert.ok(isPrincipal(await v.verify(token)));
});

test('a JWKS file source refreshes on an unknown kid at most once per cooldown', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pillion-jwks-'));
  try {
    const a = await keyPair('ES256', 'a');
    const b = await keyPair('ES256', 'b');
    const path = join(dir, 'jwks.json');
    writeFileSync(path, JSON.stringify({ keys: [a.jwk] }));
    const events: string[] = [];
    const src = fileKeySource(path, { fetched: (r) => events.push(r) });
    const v = createJwtVerifier({ issuer: ISS, audience: [AUD], keys: src });
    const token = await sign(b.privateKey, 'ES256', 'b');
    writeFileSync(path, JSON.stringify({ keys: [a.jwk, b.jwk] }));
    assert.ok(isPrincipal(await v.verify(token)), 'refresh on unknown kid picked up the new key');
    assert.equal(await src.refreshForUnknownKey(), false, `cooldown of ${UNKNOWN_KID_COOLDOWN_MS} ms`);
    writeFileSync(path, JSON.stringify({ keys: [{ ...a.jwk, d: 'private!' }] }));
    await new Promise((r) => setTimeout(r, 1300));
    assert.ok(events.includes('error'), 'a private key in the JWKS is refused');
    assert.ok(isPrincipal(await v.verify(await sign(a.privateKey, 'ES256', 'a'))), 'the last good key set is kept');
    src.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scopes: space-separated claim; "*" or no claim = all', () => {
  assert.deepEqual([...scopesOf({ scope: 'state  metadata' })!], ['state', 'metadata']);
  assert.equal(scopesOf({}), null);
  assert.equal(scopesOf({ scope: 'state *' }), null);
  assert.deepEqual([...scopesOf({ scope: '' })!], []);
});

test('the cache answers a verified token, and never past its exp', async () => {
  const es = await keyPair('ES256', 'es');
  const hits = { n: 0 };
  const misses = { n: 0 };
  const v = createJwtVerifier({ issuer: ISS, audience: [AUD], keys: staticKeys([es.jwk]), cacheHits: hits, cacheMisses: misses });
  const long = await sign(es.privateKey, 'ES256', 'es', { scope: 'state' });
  assert.equal(v.cached(long), undefined);
  assert.ok(isPrincipal(await v.verify(long)));
  assert.deepEqual([...v.cached(long)!.scopes!], ['state']);
  assert.equal(hits.n, 1);
  assert.equal(misses.n, 1);
  // exp 1 s from now: cached only until then, even though the 60 s skew would still accept it.
  const short = await sign(es.privateKey, 'ES256', 'es', {}, { exp: now() + 1 });
  assert.ok(isPrincipal(await v.verify(short)));
  assert.ok(v.cached(short));
  await new Promise((r) => setTimeout(r, 2100));
  assert.equal(v.cached(short), undefined);
});
