// Audit lines: rate-limited with a "suppressed N" summary; a fingerprint, never the token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuditLog } from '../../../src/security/audit.js';
import { tokenFingerprint } from '../../../src/security/fingerprint.js';

const event = (presented: string | undefined) => ({ reason: 'mismatch', protocol: 'http' as const, method: 'GET /v1.0/metadata', group: 'metadata', peer: '127.0.0.1', presented, auditOnly: false });

test('at most the burst is logged at once; the rest is summarised', async () => {
  const lines: Array<[Record<string, unknown>, string]> = [];
  const log = createAuditLog((f, m) => lines.push([f, m]), 10, 5);
  for (let i = 0; i < 50; i++) log.record(event('wrong-token-value'));
  assert.equal(lines.length, 5);
  await new Promise((r) => setTimeout(r, 250)); // 2.5 tokens refilled
  log.record(event('wrong-token-value'));
  assert.equal(lines.length, 7, 'the summary comes before the next line');
  assert.match(lines[5]![1], /Suppressed 45 refused-request audit line/);
  assert.equal(lines[5]![0].suppressed, 45);
  log.close();
});

test('lines carry reason, protocol, method, group, peer and a fingerprint, never the token', () => {
  const lines: Array<[Record<string, unknown>, string]> = [];
  const log = createAuditLog((f, m) => lines.push([f, m]));
  log.record(event('super-secret-presented-token'));
  log.record(event(undefined));
  log.close();
  assert.deepEqual(lines[0]![0], { reason: 'mismatch', protocol: 'http', method: 'GET /v1.0/metadata', group: 'metadata', peer: '127.0.0.1', token_fingerprint: tokenFingerprint('super-secret-presented-token') });
  assert.equal(lines[1]![0].token_fingerprint, 'none');
  assert.ok(!JSON.stringify(lines).includes('super-secret'));
});
