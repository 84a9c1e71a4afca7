// readAll: a byte stream read to its end into one Buffer, whatever shape its chunks have.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readAll } from '../../../src/util/read-all.js';

async function* chunks(...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield p;
}

describe('readAll', () => {
  test('an empty stream gives an empty Buffer', async () => {
    const out = await readAll(chunks());
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.length, 0);
  });

  test('one Buffer chunk is returned as it is', async () => {
    const only = Buffer.from('hello');
    assert.equal(await readAll(chunks(only)), only);
  });

  test('one Uint8Array chunk (a view into a larger buffer) becomes a Buffer over the same bytes', async () => {
    const backing = new Uint8Array([0, 104, 105, 0]);
    const out = await readAll(chunks(backing.subarray(1, 3)));
    assert.ok(Buffer.isBuffer(out));
    assert.equal(out.toString(), 'hi');
  });

  test('several chunks, of both kinds, are joined in order', async () => {
    const out = await readAll(chunks(Buffer.from('ab'), new Uint8Array([99]), Buffer.alloc(0), Buffer.from('de')));
    assert.equal(out.toString(), 'abcde');
  });

  test('a Readable is read to its end', async () => {
    const out = await readAll(Readable.from([Buffer.from('x'.repeat(70_000)), Buffer.from('y')], { objectMode: false }));
    assert.equal(out.length, 70_001);
    assert.equal(out.at(-1), 'y'.charCodeAt(0));
  });

  test("a stream that fails rejects with the stream's error", async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('a');
      throw new Error('connection lost');
    }
    await assert.rejects(readAll(broken()), /connection lost/);
  });
});
