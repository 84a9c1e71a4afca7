// The one token check: verdicts, and that the token is only ever kept as a digest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiTokenCheck, tokenFingerprint } from '../../src/security/api-token.js';

test('off when no token is configured: everything is allowed', () => {
  const c = createApiTokenCheck(undefined);
  assert.equal(c.enabled, false);
  assert.equal(c.check(undefined), 'allow');
  assert.equal(createApiTokenCheck('').enabled, false);
});

test('verdicts: allow, missing, mismatch (any length, any prefix)', () => {
  const c = createApiTokenCheck('s3cret-token');
  assert.equal(c.check('s3cret-token'), 'allow');
  assert.equal(c.check(undefined), 'missing');
  assert.equal(c.check(''), 'missing');
  for (const wrong of ['s3cret', 's3cret-token ', 'S3CRET-TOKEN', 's3cret-tokem', 'x'.repeat(10_000)]) {
    assert.equal(c.check(wrong), 'mismatch', wrong.slice(0, 20));
  }
});

test('the check object holds no copy of the token', () => {
  const token = 'do-not-keep-me-0123456789';
  const c = createApiTokenCheck(token);
  assert.ok(!JSON.stringify(c).includes(token));
  assert.ok(!String(c.check).includes(token));
});

test('fingerprint: first 8 hex of SHA-256, never the token', () => {
  assert.equal(tokenFingerprint('abc'), 'ba7816bf');
  assert.equal(createApiTokenCheck('abc').fingerprint, 'ba7816bf');
});
