// relayRequest: a proxied call's body goes upstream whole and in order, with Readable#pipe's
// backpressure — and a body whose end arrives in the same event-loop turn as its data is
// handed over in one end(chunk), which is what lets node:http2 put END_STREAM on the last
// DATA frame (one write to the app instead of two).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { relayRequest } from '../../../src/api/grpc/request-relay.js';

/** An upstream that records how it was written to; `full` makes write() report backpressure. */
function upstream(full = false): { to: Writable; calls: string[]; bytes: () => Buffer; drain: () => void } {
  const calls: string[] = [];
  const got: Buffer[] = [];
  let pending: (() => void) | undefined;
  const to = new Writable({
    highWaterMark: full ? 1 : 1 << 20,
    write(chunk: Buffer, _enc, done) {
      got.push(chunk);
      if (full) pending = done;
      else done();
    },
  });
  const write = to.write.bind(to);
  const end = to.end.bind(to);
  to.write = ((chunk: Buffer) => {
    calls.push(`write ${chunk.toString()}`);
    return write(chunk);
  }) as Writable['write'];
  to.end = ((chunk?: Buffer) => {
    calls.push(chunk === undefined ? 'end' : `end ${chunk.toString()}`);
    return end(chunk);
  }) as Writable['end'];
  return { to, calls, bytes: () => Buffer.concat(got), drain: () => pending?.() };
}

describe('relayRequest', () => {
  test('data and its end in one turn (a unary call) go upstream together: end(chunk), no write', async () => {
    const from = new PassThrough();
    const { to, calls } = upstream();
    relayRequest(from, to);
    from.write('a');
    from.write('b');
    from.end();
    await turn();
    await turn();
    assert.deepEqual(calls, ['end ab']);
  });

  test('streamed messages go on at the end of the turn they arrived in, in order; the end follows', async () => {
    const from = new PassThrough();
    const { to, calls, bytes } = upstream();
    relayRequest(from, to);
    from.write('one');
    await turn();
    await turn();
    assert.deepEqual(calls, ['write one'], 'a message waits for no end');
    from.write('two');
    from.write('three');
    await turn();
    await turn();
    from.end();
    await turn();
    assert.deepEqual(calls, ['write one', 'write twothree', 'end']);
    assert.equal(bytes().toString(), 'onetwothree');
  });

  test('an empty body: end() only', async () => {
    const from = new PassThrough();
    const { to, calls } = upstream();
    relayRequest(from, to);
    from.end();
    await turn();
    assert.deepEqual(calls, ['end']);
  });

  test('backpressure: the caller is paused while the upstream is full, resumed when it drains', async () => {
    const from = new PassThrough();
    const { to, bytes, drain } = upstream(true);
    relayRequest(from, to);
    from.write('x');
    await turn();
    await turn();
    assert.equal(from.isPaused(), true);
    drain();
    await turn();
    assert.equal(from.isPaused(), false);
    from.end('y');
    await turn();
    drain();
    await turn();
    assert.equal(bytes().toString(), 'xy');
  });

  test('an upstream that went away is written to no more; the caller is left alone', async () => {
    const from = new PassThrough();
    const { to, calls } = upstream();
    relayRequest(from, to);
    from.write('a');
    to.destroy();
    await turn();
    await turn();
    from.end('b');
    await turn();
    assert.deepEqual(calls, []);
    assert.equal(from.listenerCount('data'), 0);
  });
});
