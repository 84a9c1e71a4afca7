// Long quoted input in error messages is cut in the middle, keeping both ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elideMiddle } from '../../../src/util/elide.js';

test('a text within the limit is unchanged', () => {
  assert.equal(elideMiddle('', 5), '');
  assert.equal(elideMiddle('abcde', 5), 'abcde');
});

test('a longer text keeps its head and tail around one ellipsis, exactly max characters long', () => {
  assert.equal(elideMiddle('abcdefghij', 5), 'ab…ij');
  assert.equal(elideMiddle('abcdefghij', 6), 'abc…ij');
  const long = 'filter' + '.AND[0]'.repeat(10_000) + ': filters nested deeper than 16';
  const short = elideMiddle(long, 300);
  assert.equal(short.length, 300);
  assert.ok(short.startsWith('filter.AND[0]'));
  assert.ok(short.endsWith(': filters nested deeper than 16'));
});
