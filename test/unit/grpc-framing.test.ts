// gRPC length-prefixed framing: messages come out whole and in order however the bytes were
// split into chunks, and a large message is joined once (not re-copied on every chunk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder } from '../../src/api/grpc/framing.js';
import { GrpcStatusError } from '../../src/api/grpc/status.js';

const MESSAGES = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(70_000, 7), Buffer.from('xyz')];
const WIRE = Buffer.concat(MESSAGES.map((m) => encodeFrame(m)));

for (const step of [1, 2, 3, 5, 7, 4096, WIRE.length]) {
  test(`messages decoded whole from ${step}-byte chunks`, () => {
    const d = new FrameDecoder(1 << 20, undefined);
    const got: Uint8Array[] = [];
    for (let i = 0; i < WIRE.length; i += step) got.push(...d.push(WIRE.subarray(i, i + step)));
    assert.deepEqual(got.map((g) => Buffer.from(g)), MESSAGES);
    assert.equal(d.pending, 0);
  });
}

test('a 50 MB message in 16 KB chunks is one message, with nothing left over', () => {
  const big = encodeFrame(Buffer.alloc(50 << 20, 1));
  const d = new FrameDecoder(1 << 30, undefined);
  const got: Uint8Array[] = [];
  for (let i = 0; i < big.length; i += 16_384) got.push(...d.push(big.subarray(i, i + 16_384)));
  assert.equal(got.length, 1);
  assert.equal(got[0]!.length, 50 << 20);
  assert.equal(d.pending, 0);
});

test('a declared length above the limit is refused before the body arrives', () => {
  const d = new FrameDecoder(10, undefined);
  assert.throws(() => d.push(encodeFrame(Buffer.alloc(11)).subarray(0, 5)), (e: unknown) => e instanceof GrpcStatusError && /larger than max \(11 vs\. 10\)/.test(e.message));
});

test('an incomplete frame is reported as pending', () => {
  const d = new FrameDecoder(100, undefined);
  assert.deepEqual(d.push(encodeFrame(Buffer.from('hello')).subarray(0, 7)), []);
  assert.equal(d.pending, 7);
});
