// Node's encoder for protobuf-es string fields: the same bytes as the library's TextEncoder,
// and whole messages that read back as they were written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';
import { encodeUtf8, useNodeUtf8Encoder } from '../../../src/util/protobuf-utf8.js';
import { InternalInvokeRequestSchema } from '../../../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';

const SAMPLES = [
  '',
  'content-type',
  'héllo wörld',
  '日本語のヘッダー',
  'emoji 🚀 and more',
  'nul \u0000 inside',
  'lone high \uD800 surrogate',
  'lone low \uDC00 surrogate',
  'x'.repeat(10_000),
];

describe('protobuf-utf8', () => {
  test('encodes every string to the bytes TextEncoder gives (invalid surrogates as U+FFFD)', () => {
    const te = new TextEncoder();
    for (const s of SAMPLES) assert.deepEqual(Buffer.from(encodeUtf8(s)), Buffer.from(te.encode(s)), JSON.stringify(s.slice(0, 40)));
  });

  test('messages encoded with it are byte-identical and decode to the same strings', () => {
    const before = getTextEncoding();
    const message = (): ReturnType<typeof create<typeof InternalInvokeRequestSchema>> =>
      create(InternalInvokeRequestSchema, {
        metadata: Object.fromEntries(SAMPLES.map((s, i) => [`k${i}-${s.slice(0, 20)}`, { values: [s, s.toUpperCase()] }])),
        message: { method: 'orders/ünïcode', contentType: 'text/plain; charset=utf-8' },
      });
    const expected = toBinary(InternalInvokeRequestSchema, message());
    try {
      useNodeUtf8Encoder();
      assert.equal(getTextEncoding().encodeUtf8, encodeUtf8);
      assert.equal(getTextEncoding().decodeUtf8, before.decodeUtf8, 'decoding stays the library\'s');
      // Many small strings in a row: each comes from Node's shared pool, and none may
      // overwrite another before the message is assembled.
      const bytes = toBinary(InternalInvokeRequestSchema, message());
      assert.deepEqual(Buffer.from(bytes), Buffer.from(expected));
      const back = fromBinary(InternalInvokeRequestSchema, bytes);
      assert.equal(back.message?.method, 'orders/ünïcode');
      assert.deepEqual(back.metadata['k2-héllo wörld']?.values, ['héllo wörld', 'HÉLLO WÖRLD']);
    } finally {
      configureTextEncoding(before);
    }
  });
});
