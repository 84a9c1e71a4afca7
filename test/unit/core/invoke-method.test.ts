// The invocation method as the app receives it (normalizeMethod): daprd 1.18's NormalizeMethod
// rules, on the caller's (possibly percent-encoded) form.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { goQuote, normalizeMethod } from '../../../src/core/invoke-method.js';
import { DaprError } from '../../../src/errors/table.js';

describe('normalizeMethod', () => {
  test('a plain method is unchanged, encoded characters and %2F included', () => {
    for (const m of ['echo', 'orders/42', 'a%2Fb/c', 'caf%C3%A9', 'v1.2/file.txt', '...', 'a..b', '']) assert.equal(normalizeMethod('app', m), m);
  });

  test('dot segments, empty segments and a trailing slash are resolved as path.Clean does; `..` above the start is dropped', () => {
    const cases: Array<[string, string]> = [
      ['a/../b', 'b'], ['../../etc/passwd', 'etc/passwd'], ['..', ''], ['.', ''], ['./x', 'x'], ['x/', 'x'],
      ['a//b', 'a/b'], ['a/./b/', 'a/b'], ['%2e%2e/x', 'x'], ['a/%2E/b', 'a/b'], ['a/b/%2e%2E', 'a'], ['/a', 'a'],
    ];
    for (const [m, want] of cases) assert.equal(normalizeMethod('app', m), want, m);
  });

  test('?, # and NUL, written or percent-encoded, are refused with daprd\'s words', () => {
    for (const [m, shown] of [['a?b', '"a?b"'], ['a%3Fb', '"a?b"'], ['a#b', '"a#b"'], ['a%23b', '"a#b"'], ['a%00b', '"a\\x00b"']]) {
      assert.throws(() => normalizeMethod('app', m!), (e: unknown) => e instanceof DaprError && e.code === 'ERR_DIRECT_INVOKE' &&
        e.message === `failed to invoke, id: app, err: rpc error: code = InvalidArgument desc = invalid method: method contains forbidden character: ${shown}`);
    }
  });

  test('control characters are refused, naming the position', () => {
    assert.throws(() => normalizeMethod('app', 'ab%0Ac'), { message: 'failed to invoke, id: app, err: rpc error: code = InvalidArgument desc = invalid method: method contains control character at position 2: "ab\\nc"' });
    assert.throws(() => normalizeMethod('app', 'a\tb'), /control character at position 1: "a\\tb"/);
    assert.throws(() => normalizeMethod('app', 'x%7F'), /control character at position 1: "x\\x7f"/);
  });
});

describe('goQuote', () => {
  test('quotes as Go\'s %q', () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('\x07\x08\x0b\x1b'), '"\\a\\b\\v\\x1b"');
    assert.equal(goQuote('café'), '"café"');
  });
});
