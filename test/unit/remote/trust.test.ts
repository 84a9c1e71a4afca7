// The trust behind sidecar mTLS: SPIFFE IDs, the CA (created once, atomically, 0600 key),
// leaf certificates that chain to it and carry the sidecar's identity.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { identityOf, parseSpiffeId, sanUris, spiffeId, trustDomainOf } from '../../../src/remote/spiffe.js';
import { createCa, issueLeaf, loadCa, loadOrCreateLocalCa, parseCa, TrustError } from '../../../src/remote/trust.js';

const run = promisify(execFile);
const temp = (): string => mkdtempSync(join(tmpdir(), 'pillion-trust-unit-'));

describe('SPIFFE IDs', () => {
  test('round trip and rejection of malformed ids', () => {
    const id = { trustDomain: 'public', namespace: 'default', appId: 'orders' };
    assert.equal(spiffeId(id), 'spiffe://public/ns/default/orders');
    assert.deepEqual(parseSpiffeId('spiffe://public/ns/default/orders'), id);
    for (const bad of ['spiffe://public/ns/default', 'spiffe://public/ns/a/b/c', 'https://public/ns/a/b', 'spiffe://Public/ns/a/b', 'spiffe://public/ns/../b', 'spiffe://public/ns/a/b,c']) {
      assert.equal(parseSpiffeId(bad), undefined, bad);
    }
  });
  test('a certificate names one identity, or none', () => {
    assert.deepEqual(sanUris('DNS:a, URI:spiffe://td/ns/n/x'), ['spiffe://td/ns/n/x']);
    assert.deepEqual(identityOf('DNS:a, URI:spiffe://td/ns/n/x'), { trustDomain: 'td', namespace: 'n', appId: 'x' });
    assert.equal(identityOf('URI:spiffe://td/ns/n/x, URI:spiffe://td/ns/n/y'), undefined);
    assert.equal(identityOf(undefined), undefined);
    assert.equal(trustDomainOf('URI:spiffe://cluster.local'), 'cluster.local');
    assert.equal(trustDomainOf('URI:spiffe://td/ns/n/x'), undefined);
  });
});

describe('CA and leaf certificates', () => {
  test('a leaf chains to its CA, names the SPIFFE ID and serves as client and server certificate', () => {
    const ca = parseCa(...(Object.values(createCa('example.org')) as [string, string]), 'test');
    assert.equal(ca.trustDomain, 'example.org');
    const leaf = issueLeaf(ca, { namespace: 'shop', appId: 'cart' }, new Date(), 3_600_000);
    const cert = new X509Certificate(leaf.certPem);
    assert.ok(cert.verify(ca.caCert.publicKey));
    assert.ok(cert.checkIssued(ca.caCert));
    assert.equal(cert.ca, false);
    assert.deepEqual(identityOf(cert.subjectAltName), { trustDomain: 'example.org', namespace: 'shop', appId: 'cart' });
    assert.deepEqual(cert.keyUsage?.sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const ttl = new Date(cert.validTo).getTime() - Date.now();
    assert.ok(ttl <= 3_600_000 && ttl > 3_000_000, `ttl ${ttl}`);
  });
  test('a CA key that is not the certificate\'s key, or a non-CA certificate, is refused', () => {
    const a = createCa('public');
    const b = createCa('public');
    assert.throws(() => parseCa(a.certPem, b.keyPem, 'mixed'), (e: unknown) => e instanceof TrustError && /not the key/.test(e.message));
    const ca = parseCa(a.certPem, a.keyPem, 'ok');
    const leaf = issueLeaf(ca, { namespace: 'n', appId: 'x' });
    assert.throws(() => parseCa(leaf.certPem, leaf.keyPem, 'leaf'), /not a CA certificate/);
    assert.throws(() => createCa('Bad Domain'), TrustError);
  });
  test('loadCa: a folder without the files says what it needs', () => {
    const dir = temp();
    try {
      assert.throws(() => loadCa(dir), (e: unknown) => e instanceof TrustError && /needs ca\.crt and ca\.key/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('self-hosted CA under $PILLION_HOME/trust', () => {
  test('created on first use with a 0600 key, then reused', () => {
    const home = join(temp(), 'home-not-yet-there');
    try {
      const first = loadOrCreateLocalCa(home);
      assert.equal(statSync(join(home, 'trust', 'ca.key')).mode & 0o777, 0o600);
      assert.equal(statSync(join(home, 'trust')).mode & 0o777, 0o700);
      assert.equal(loadOrCreateLocalCa(home).caCertPem, first.caCertPem);
      assert.deepEqual(readdirSync(home).filter((f) => f.includes('tmp')), [], 'no temporary folder left behind');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  test('a key other users can read is refused', () => {
    const home = temp();
    try {
      loadOrCreateLocalCa(home);
      chmodSync(join(home, 'trust', 'ca.key'), 0o644);
      assert.throws(() => loadOrCreateLocalCa(home), /readable by other users/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  test('a broken trust folder is an error, never silently replaced', () => {
    const home = temp();
    try {
      mkdirSync(join(home, 'trust'), { mode: 0o700 });
      writeFileSync(join(home, 'trust', 'ca.crt'), 'not a certificate');
      writeFileSync(join(home, 'trust', 'ca.key'), 'x', { mode: 0o600 });
      assert.throws(() => loadOrCreateLocalCa(home), TrustError);
      assert.equal(readFileSync(join(home, 'trust', 'ca.crt'), 'utf8'), 'not a certificate');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
  test('eight processes starting at once end up with one and the same CA', async () => {
    const home = temp();
    const mod = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), '../../../src/remote/trust.js')).href;
    const script = `import { loadOrCreateLocalCa } from ${JSON.stringify(mod)}; process.stdout.write(loadOrCreateLocalCa(process.argv[1]).caCertPem);`;
    try {
      const outs = await Promise.all(Array.from({ length: 8 }, () => run(process.execPath, ['--input-type=module', '-e', script, home])));
      const certs = new Set(outs.map((o) => o.stdout));
      assert.equal(certs.size, 1);
      assert.equal([...certs][0], readFileSync(join(home, 'trust', 'ca.crt'), 'utf8'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
