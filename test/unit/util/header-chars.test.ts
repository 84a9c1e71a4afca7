// Header names and values from data (an app's answer, a resource file, message metadata).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goHeaderValue, isHeaderName, isHeaderValue } from '../../../src/util/header-chars.js';

test('names: a token, nothing else', () => {
  for (const ok of ['x-a', 'Content-Type', "a!#$%&'*+.^_`|~1"]) assert.equal(isHeaderName(ok), true, ok);
  for (const bad of ['', 'Bad Name', 'a:b', 'ä', 'a\r']) assert.equal(isHeaderName(bad), false, JSON.stringify(bad));
});

test('values: tab, visible ASCII and Latin-1 go as they are', () => {
  assert.equal(isHeaderValue('text/plain; q=0.5\tx'), true);
  assert.equal(goHeaderValue('caf\u00e9'), 'caf\u00e9');
});

test("as Go writes a value: CR/LF as spaces, wider characters as their UTF-8 bytes, other controls leave nothing", () => {
  assert.equal(goHeaderValue('text/plain\r\nx-injected: 1'), 'text/plain  x-injected: 1');
  assert.equal(Buffer.from(goHeaderValue('text/日本')!, 'latin1').toString('utf8'), 'text/日本');
  assert.equal(goHeaderValue('a\u0001b'), undefined);
  assert.equal(goHeaderValue('a\u0000b'), undefined);
});
