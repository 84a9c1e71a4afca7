// Test payloads.

/** Deterministic, non-repeating-looking content of `size` bytes (xorshift32 from `seed`), so a
 * body that arrives shuffled, cut or doubled cannot compare equal by accident. */
export function pseudoRandomBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}
