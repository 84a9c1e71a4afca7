// grpc-message as the gRPC spec encodes it, and valid as an HTTP/2 field value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGrpcMessage, toGrpcTrailers } from '../../../src/api/grpc/status.js';
import { DaprError } from '../../../src/errors/table.js';

test("printable ASCII except '%' goes as is; '%', controls and non-ASCII as %XX of their UTF-8", () => {
  assert.equal(encodeGrpcMessage('state store abc: key "k" not found!~'), 'state store abc: key "k" not found!~');
  assert.equal(encodeGrpcMessage('100% done\r\n\té\u0000\u007f'), '100%25 done%0D%0A%09%C3%A9%00%7F');
  assert.equal(encodeGrpcMessage('😀'), '%F0%9F%98%80');
});

test('a space at either end is percent-encoded: HTTP/2 forbids surrounding whitespace in a value', () => {
  assert.equal(encodeGrpcMessage('failed finding secret store with key '), 'failed finding secret store with key%20');
  assert.equal(encodeGrpcMessage(' leading'), '%20leading');
  assert.equal(encodeGrpcMessage(' '), '%20');
  assert.equal(encodeGrpcMessage('a  '), 'a %20');
  assert.equal(encodeGrpcMessage('inner space stays'), 'inner space stays');
  for (const m of ['x ', ' x', '  ', 'id: , err: ']) {
    const enc = encodeGrpcMessage(m);
    assert.doesNotMatch(enc, /^[ \t]|[ \t]$/, JSON.stringify(enc));
    assert.equal(decodeURIComponent(enc), m);
  }
});

test('error trailers carry the encoded message', () => {
  const t = toGrpcTrailers(new DaprError('ERR_SECRET_STORE_NOT_FOUND', 'failed finding secret store with key '));
  assert.equal(t['grpc-message'], 'failed finding secret store with key%20');
});
