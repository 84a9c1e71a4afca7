// The certificate builder: checked with node's X509Certificate and, when present, openssl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oid, unsigned } from '../../../src/injector/x509.js';
import { createWebhookCerts, serviceDnsNames } from '../../../src/injector/webhook-certs.js';

test('DER pieces', () => {
  assert.equal(oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  assert.equal(unsigned(Buffer.from([0x00, 0x80])).toString('hex'), '02020080');
  assert.equal(unsigned(Buffer.from([0x00, 0x00, 0x7f])).toString('hex'), '02017f');
});

test('webhook certificates: CA-signed serving cert with the Service DNS names', () => {
  const now = new Date('2030-06-01T00:00:00Z');
  const c = createWebhookCerts({ dnsNames: serviceDnsNames('pillion-injector', 'pillion-system'), now, days: 30 });
  const ca = new X509Certificate(c.caCert);
  const leaf = new X509Certificate(c.cert);
  assert.equal(ca.ca, true);
  assert.equal(leaf.ca, false);
  assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey) && ca.verify(ca.publicKey));
  assert.equal(leaf.subjectAltName, 'DNS:pillion-injector, DNS:pillion-injector.pillion-system, DNS:pillion-injector.pillion-system.svc, DNS:pillion-injector.pillion-system.svc.cluster.local');
  assert.ok(leaf.checkHost('pillion-injector.pillion-system.svc'));
  assert.equal(new Date(leaf.validTo).getTime(), now.getTime() + 30 * 86_400_000);
  assert.ok(leaf.checkPrivateKey(createPrivateKey(c.key)));
});

test('openssl verifies the chain for TLS server use', (t) => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    t.skip('openssl CLI not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pillion-x509-'));
  try {
    const c = createWebhookCerts({ dnsNames: ['localhost'], now: new Date(), days: 1 });
    writeFileSync(join(dir, 'ca.pem'), c.caCert);
    writeFileSync(join(dir, 'leaf.pem'), c.cert);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), '-purpose', 'sslserver', join(dir, 'leaf.pem')], { encoding: 'utf8' });
    assert.match(out, /OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

