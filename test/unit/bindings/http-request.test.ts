// The HTTP output binding body, read as daprd reads it (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOutputBindingBody } from '../../../src/bindings/http-request.js';
import { DaprError } from '../../../src/errors/table.js';

const parse = (s: string) => parseOutputBindingBody(Buffer.from(s));

test('data is re-encoded as Go would: strings keep their quotes, keys sorted, HTML escaped, absent = null', () => {
  assert.equal(Buffer.from(parse('{"operation":"create","data":"hi"}').data).toString(), '"hi"');
  assert.equal(Buffer.from(parse('{"operation":"create","data":{"b":1,"a":"<&>"}}').data).toString(), '{"a":"\\u003c\\u0026\\u003e","b":1}');
  assert.equal(Buffer.from(parse('{"operation":"create"}').data).toString(), 'null');
});

test('field names match case-insensitively, the exact one first; unknown fields are ignored', () => {
  const b = parse('{"Operation":"get","METADATA":{"k":"v"},"extra":1}');
  assert.equal(b.operation, 'get');
  assert.deepEqual(b.metadata, { k: 'v' });
  assert.equal(parse('{"OPERATION":"a","operation":"b"}').operation, 'b');
  assert.equal(parse('null').operation, '');
});

test('bad shapes are ERR_MALFORMED_REQUEST', () => {
  for (const s of ['', '{', '[]', '"x"', '{"operation":1}', '{"metadata":[]}', '{"metadata":{"n":2}}']) {
    assert.throws(() => parse(s), (e: unknown) => e instanceof DaprError && e.code === 'ERR_MALFORMED_REQUEST', s);
  }
});
