// Several static tokens: any of them is accepted, compared in constant time; the file format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStaticTokenSet, LINEAR_UP_TO, parseTokenLines, TOKEN_PAD_BYTES } from '../../../src/security/token-set.js';
import { createApiGate } from '../../../src/security/api-gate.js';
import type { CallTarget } from '../../../src/security/api-access.js';

const STATE: CallTarget = { group: 'state', apiDenied: false };

// Small sets are compared linearly, larger ones (a token per client) by keyed digest: the same
// answers either way.
const FILLER = Array.from({ length: LINEAR_UP_TO }, (_, i) => `filler-token-${i}`);
for (const [mode, extra] of [['linear', []], ['digest lookup', FILLER]] as const) {
  test(`every token of the set is accepted; anything else is not (${mode})`, () => {
    const set = createStaticTokenSet(['old-token-1', 'new-token-22', 'x'.repeat(3000), ...extra]);
    assert.equal(set.size, 3 + extra.length);
    for (const t of ['old-token-1', 'new-token-22', 'x'.repeat(3000), ...extra]) assert.ok(set.matches(t));
    for (const t of ['old-token-', 'old-token-11', 'new-token-2', 'x'.repeat(2999), 'x'.repeat(3001), 'x'.repeat(3072), 'OLD-TOKEN-1', 'old-token-1\u0000', '']) {
      assert.ok(!set.matches(t), t.slice(0, 20));
    }
  });

  test(`a token that is not ASCII matches its UTF-8 bytes as a header carries them (${mode})`, () => {
    const set = createStaticTokenSet(['tök-日本', ...extra]);
    assert.equal(set.matches(Buffer.from('tök-日本', 'utf8').toString('latin1')), true);
    assert.equal(set.matches(Buffer.from('tök-日本', 'latin1').toString('latin1')), false);
    assert.equal(set.matches('tök-日本'), true, 'a string with wider characters is compared as its UTF-8 bytes');
  });
}

test('a set of 20,000 tokens (one per client): each is accepted, near misses are not', () => {
  const tokens = Array.from({ length: 20_000 }, (_, i) => `client-${i}-${(i * 7919).toString(36)}`);
  const set = createStaticTokenSet(tokens);
  assert.equal(set.size, 20_000);
  for (let i = 0; i < 20_000; i += 997) {
    assert.ok(set.matches(tokens[i]!));
    assert.ok(!set.matches(tokens[i]!.slice(0, -1)));
    assert.ok(!set.matches(`${tokens[i]!}x`));
  }
  assert.ok(!JSON.stringify(set).includes('client-'));
});

test('a multi-byte character cut at the buffer end cannot fake a shorter token', () => {
  const token = 'a'.repeat(TOKEN_PAD_BYTES - 1);
  const set = createStaticTokenSet([token]);
  assert.ok(!set.matches(token + 'é'));
  assert.ok(set.matches(token));
});

test('the set keeps fingerprints, never the tokens', () => {
  const set = createStaticTokenSet(['keep-me-out-of-json-0001', 'keep-me-out-of-json-0002']);
  assert.ok(!JSON.stringify(set).includes('keep-me-out'));
  assert.equal(set.fingerprints.length, 2);
  assert.ok(set.fingerprints.every((f) => /^[0-9a-f]{8}$/.test(f)));
});

test('token file lines: blank lines and # comments ignored, whitespace trimmed, CRLF accepted', () => {
  assert.deepEqual(parseTokenLines('# rotation 2026-11\r\ntok-a\r\n\r\n   \n  tok-b  \n#tok-c\n'), ['tok-a', 'tok-b']);
  assert.deepEqual(parseTokenLines('\n# only comments\n'), []);
  assert.deepEqual(parseTokenLines('# CR line ends\rtok-a\rtok-b\r'), ['tok-a', 'tok-b']);
});

test('gate: static tokens only answer synchronously; missing / mismatch / api_denied', () => {
  const gate = createApiGate({ statics: { current: createStaticTokenSet(['t1', 't2']) }, apiRules: true, allowBearer: false, auditOnly: false }, 'http');
  assert.equal(gate.check('t2', STATE), 'allow');
  assert.equal(gate.check(undefined, STATE), 'missing');
  assert.equal(gate.check('', STATE), 'missing');
  assert.equal(gate.check('t3', STATE), 'mismatch');
  assert.equal(gate.check('t1', { group: 'state', apiDenied: true }), 'api_denied');
  assert.equal(gate.check('t3', { group: 'state', apiDenied: true }), 'mismatch', 'an invalid token learns nothing about the allow list');
});

test('gate: a token source swap applies to the next check', () => {
  let current = createStaticTokenSet(['a-token']);
  const gate = createApiGate({ statics: { get current() { return current; } }, apiRules: false, allowBearer: false, auditOnly: false }, 'grpc');
  assert.equal(gate.check('a-token', STATE), 'allow');
  current = createStaticTokenSet(['b-token']);
  assert.equal(gate.check('a-token', STATE), 'mismatch');
  assert.equal(gate.check('b-token', STATE), 'allow');
});

test('gate: audit-only lets token refusals through but never an API outside the allow list', () => {
  const seen: string[] = [];
  const gate = createApiGate({ statics: { current: createStaticTokenSet(['t']) }, apiRules: true, allowBearer: false, auditOnly: true,
    audit: { record: (e) => seen.push(`${e.reason}:${e.auditOnly}`), close() {} } }, 'http');
  assert.equal(gate.refused('mismatch', 'GET /x', STATE, '127.0.0.1', 'bad'), true);
  assert.equal(gate.refused('api_denied', 'GET /x', STATE, '127.0.0.1', 't'), false);
  assert.deepEqual(seen, ['mismatch:true', 'api_denied:false']);
});

