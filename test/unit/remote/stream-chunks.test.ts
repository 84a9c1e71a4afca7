// The pure parts of CallLocalStream: chunking and sequence checks (daprd's rules and wording),
// the declared length, the replay record of a streamed body, the memory of peers that refused
// streaming, and the request head that leads the stream.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { InternalInvokeRequestSchema, InternalInvokeResponseSchema, ListStringValueSchema } from '../../../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';
import {
  CHUNK_BYTES, checkLaterRequest, checkLaterResponse, checkLeadingRequest, checkLeadingResponse, declaredLength, LengthCheck, piecesOf, SeqCheck, SeqCounter, StreamFramingError,
} from '../../../src/remote/stream-chunks.js';
import { BodyRecord } from '../../../src/remote/replay-body.js';
import { streamHead, UNARY_PEER_MS, UnaryPeers } from '../../../src/remote/invoke-streamed.js';

const payload = (seq: bigint, text = 'x') => ({ data: Buffer.from(text), seq });

describe('chunks', () => {
  test('piecesOf: at most CHUNK_BYTES each, in order, nothing for an empty body', () => {
    const data = Buffer.alloc(2 * CHUNK_BYTES + 5, 7);
    const pieces = [...piecesOf(data)];
    assert.deepEqual(pieces.map((p) => p.length), [CHUNK_BYTES, CHUNK_BYTES, 5]);
    assert.ok(Buffer.concat(pieces).equals(data));
    assert.deepEqual([...piecesOf(new Uint8Array())], []);
    assert.deepEqual([...piecesOf(Buffer.from('abcde'), 2)].map((p) => Buffer.from(p).toString()), ['ab', 'cd', 'e']);
  });

  test('the sender counts from 0; the receiver accepts exactly that order', () => {
    const out = new SeqCounter();
    const inn = new SeqCheck();
    for (let i = 0; i < 5; i++) assert.equal(Buffer.from(inn.accept(payload(out.next(), `c${i}`))!).toString(), `c${i}`);
  });

  test('a message without a payload is no chunk and does not count', () => {
    const inn = new SeqCheck();
    assert.equal(inn.accept(undefined), undefined);
    assert.ok(inn.accept(payload(0n)));
  });

  test("a gap, a repeat or a start past 0: refused with daprd's message", () => {
    assert.throws(() => new SeqCheck().accept(payload(1n)), new StreamFramingError('invalid sequence number received: 1 (expected: 0)'));
    const gap = new SeqCheck();
    gap.accept(payload(0n));
    assert.throws(() => gap.accept(payload(2n)), /invalid sequence number received: 2 \(expected: 1\)/);
    const repeat = new SeqCheck();
    repeat.accept(payload(0n));
    assert.throws(() => repeat.accept(payload(0n)), /invalid sequence number received: 0 \(expected: 1\)/);
  });
});

describe('heads', () => {
  const request = create(InternalInvokeRequestSchema, { ver: 1, message: { method: 'm' } });

  test('the leading request must carry the message; later ones must carry none', () => {
    assert.equal(checkLeadingRequest(request), request);
    assert.throws(() => checkLeadingRequest(undefined), /request does not contain the required fields in the leading chunk/);
    assert.throws(() => checkLeadingRequest(create(InternalInvokeRequestSchema, { ver: 1 })), /leading chunk/);
    checkLaterRequest(undefined);
    assert.throws(() => checkLaterRequest(request), /request metadata found in non-leading chunk/);
  });

  test('the leading response must carry the status; later ones no part of the head', () => {
    const response = create(InternalInvokeResponseSchema, { status: { code: 200 } });
    assert.equal(checkLeadingResponse(response), response);
    assert.throws(() => checkLeadingResponse(create(InternalInvokeResponseSchema, {})), /response does not contain the required fields in the leading chunk/);
    checkLaterResponse(undefined);
    checkLaterResponse(create(InternalInvokeResponseSchema, {})); // empty, as daprd accepts
    assert.throws(() => checkLaterResponse(response), /response metadata found in non-leading chunk/);
    assert.throws(() => checkLaterResponse(create(InternalInvokeResponseSchema, { headers: { a: create(ListStringValueSchema, { values: ['1'] }) } })), /non-leading/);
  });
});

describe('declared length', () => {
  test('one non-negative decimal value, else none', () => {
    assert.equal(declaredLength(['12']), 12);
    assert.equal(declaredLength(['0']), 0);
    assert.equal(declaredLength([' 7 ']), 7);
    for (const bad of [undefined, [], ['1', '1'], ['-1'], ['1e3'], ['abc'], ['']]) assert.equal(declaredLength(bad), undefined, JSON.stringify(bad));
  });

  test('LengthCheck: more bytes than declared fail at once, fewer at the end; no declared length checks nothing', () => {
    const exact = new LengthCheck(10);
    exact.add(4);
    exact.add(6);
    exact.finish();
    const over = new LengthCheck(10);
    over.add(8);
    assert.throws(() => over.add(3), /longer than its declared length 10/);
    const short = new LengthCheck(10);
    short.add(9);
    assert.throws(() => short.finish(), /ended after 9 of its declared 10 bytes/);
    const free = new LengthCheck(undefined);
    free.add(1e9);
    free.finish();
  });
});

async function text(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString();
}

describe('BodyRecord (replay after a refusal)', () => {
  test('what was sent, then what the source still holds', async () => {
    const source = Readable.from([Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')], { objectMode: false });
    const rec = new BodyRecord(100);
    // take two chunks the way the sender does, then stop reading
    const taken: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const onData = (c: Buffer): void => {
        rec.add(c);
        taken.push(c);
        if (taken.length === 2) {
          source.off('data', onData);
          source.pause();
          resolve();
        }
      };
      source.on('data', onData);
    });
    assert.equal(await text(rec.replay(source)!), 'abcdef');
  });

  test('nothing sent yet: the source itself; all sent and ended: just what was kept', async () => {
    const untouched = Readable.from([Buffer.from('xyz')], { objectMode: false });
    assert.equal(new BodyRecord().replay(untouched), untouched);
    const ended = Readable.from([], { objectMode: false });
    const rec = new BodyRecord();
    rec.add(Buffer.from('all'));
    rec.end();
    assert.equal(await text(rec.replay(ended)!), 'all');
  });

  test('past the limit, or once the answer began: no replay', () => {
    const over = new BodyRecord(4);
    over.add(Buffer.from('abc'));
    assert.equal(over.replayable, true);
    over.add(Buffer.from('de'));
    assert.equal(over.replayable, false);
    assert.equal(over.replay(Readable.from([])), undefined);
    const stopped = new BodyRecord();
    stopped.add(Buffer.from('a'));
    stopped.stop();
    assert.equal(stopped.replay(Readable.from([])), undefined);
  });
});

describe('peers that refused streaming', () => {
  test('remembered per address and identity, for UNARY_PEER_MS', () => {
    let now = 1000;
    const peers = new UnaryPeers(() => now);
    const addr = { host: '10.0.0.1', port: 50002 };
    const t = { appId: 'b', namespace: 'default' };
    assert.equal(peers.has(addr, t), false);
    peers.add(addr, t);
    assert.equal(peers.has(addr, t), true);
    assert.equal(peers.has({ ...addr, port: 50003 }, t), false);
    assert.equal(peers.has(addr, { ...t, namespace: 'other' }), false);
    now += UNARY_PEER_MS + 1;
    assert.equal(peers.has(addr, t), false, 'tried with streaming again after a while (the peer may have been upgraded)');
  });
});

describe('the request head', () => {
  const base = { verb: 'POST', method: 'orders', query: 'a=1', headers: [['content-type', 'text/plain'], ['x-a', '1']] as Array<[string, string]> };

  test('no data in the head; a buffered body declares its length (0 too), as daprd forwards Content-Length', () => {
    const h = streamHead({ ...base, body: Buffer.from('hello') });
    assert.equal(h.message?.data?.value.length ?? 0, 0);
    assert.equal(h.message?.contentType, 'text/plain');
    assert.equal(h.message?.httpExtension?.querystring, 'a=1');
    assert.deepEqual(h.metadata['content-length']?.values, ['5']);
    assert.deepEqual(h.metadata['x-a']?.values, ['1']);
    assert.deepEqual(streamHead({ ...base, verb: 'GET', body: new Uint8Array() }).metadata['content-length']?.values, ['0']);
  });

  test('a streamed body declares the caller\'s length, or none', () => {
    const stream = Readable.from([]);
    assert.deepEqual(streamHead({ ...base, body: new Uint8Array(), bodyStream: stream, bodyLength: 1234 }).metadata['content-length']?.values, ['1234']);
    assert.equal(streamHead({ ...base, body: new Uint8Array(), bodyStream: stream }).metadata['content-length'], undefined);
  });
});
