// The request target an HTTP app receives for a method and query string (requestTarget).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AppChannelError, requestTarget } from '../../../src/appchannel/channel.js';

describe('requestTarget', () => {
  test('a method and query a target can carry go as they are, escapes included', () => {
    assert.equal(requestTarget({ method: 'orders/a%2Fb/c', query: 'x=1&y=%20z' }), '/orders/a%2Fb/c?x=1&y=%20z');
    assert.equal(requestTarget({ method: '', query: '' }), '/');
  });

  test('U+0080–U+00FF stay as they are (from the HTTP API: the caller\'s own bytes)', () => {
    assert.equal(requestTarget({ method: 'caf\u00e9', query: '' }), '/caf\u00e9');
  });

  test('spaces and characters past U+00FF are percent-encoded as UTF-8, as Go writes them', () => {
    assert.equal(requestTarget({ method: 'a b/日本', query: 'q=a b' }), '/a%20b/%E6%97%A5%E6%9C%AC?q=a%20b');
    assert.equal(requestTarget({ method: 'emoji/\u{1F600}', query: '' }), '/emoji/%F0%9F%98%80');
  });

  test('control characters are refused, as Go\'s url.Parse refuses them', () => {
    for (const method of ['a\u0000b', 'a\r\nHost: evil', 'tab\there', 'del\u007f']) {
      assert.throws(() => requestTarget({ method, query: '' }), (e: unknown) => e instanceof AppChannelError && e.message === 'net/url: invalid control character in URL', JSON.stringify(method));
    }
  });

  test('a lone surrogate is refused, not thrown as a URIError', () => {
    assert.throws(() => requestTarget({ method: 'x\ud800 ', query: '' }), AppChannelError);
  });
});
