// A gRPC call's AbortSignal (CallContext.signal) is made only when a handler asks for it; it
// must still say the truth whenever it is asked: aborted once the caller cancelled or the
// deadline passed — asked before or after — and never for a call that completed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { GrpcServer, type CallContext } from '../../../src/api/grpc/server.js';
import { encodeFrame } from '../../../src/api/grpc/framing.js';
import type { CallSignal } from '../../../src/util/call-signal.js';
import { InvokeRequestSchema, InvokeResponseSchema, type InvokeRequest } from '../../../src/gen/dapr/proto/common/v1/common_pb.js';
import { AppCallback } from '../../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';

type Seen = { early?: boolean; late?: boolean; event: boolean };

async function serve(handler: (req: InvokeRequest, call: CallContext) => Promise<unknown>): Promise<{ port: number; close: () => Promise<void> }> {
  const g = new GrpcServer({ maxMessageBytes: 1 << 20, interceptors: [] });
  g.addService(AppCallback, { onInvoke: handler });
  await new Promise<void>((ok) => g.server.listen(0, '127.0.0.1', ok));
  return { port: (g.server.address() as AddressInfo).port, close: () => g.close(0) };
}

/** Calls OnInvoke; `cancelAfterMs` resets the stream that long after sending. Resolves with the grpc-status (or 'reset'). */
function call(port: number, method: string, o: { cancelAfterMs?: number; timeout?: string } = {}): Promise<string> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  return new Promise<string>((ok) => {
    const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': '/dapr.proto.runtime.v1.AppCallback/OnInvoke', 'content-type': 'application/grpc', te: 'trailers' };
    if (o.timeout) headers['grpc-timeout'] = o.timeout;
    const s = session.request(headers);
    let status = 'reset';
    s.on('response', (h) => h['grpc-status'] !== undefined && (status = String(h['grpc-status'])));
    s.on('trailers', (t) => (status = String(t['grpc-status'])));
    s.on('error', () => {});
    s.resume();
    s.on('close', () => ok(status));
    s.end(encodeFrame(toBinary(InvokeRequestSchema, create(InvokeRequestSchema, { method }))));
    if (o.cancelAfterMs !== undefined) setTimeout(() => s.close(http2.constants.NGHTTP2_CANCEL), o.cancelAfterMs);
  }).finally(() => session.destroy());
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('gRPC call signal', () => {
  test('asked for only after the caller cancelled: already aborted', async () => {
    const seen: Seen = { event: false };
    let handled!: () => void;
    const done = new Promise<void>((r) => (handled = r));
    const app = await serve(async (_req, c) => {
      await sleep(150);
      seen.late = c.signal.aborted;
      handled();
      return create(InvokeResponseSchema, {});
    });
    try {
      assert.equal(await call(app.port, 'slow', { cancelAfterMs: 30 }), 'reset');
      await done;
      assert.equal(seen.late, true);
    } finally {
      await app.close();
    }
  });

  test('asked for first, then the caller cancels: the abort event fires', async () => {
    const seen: Seen = { event: false };
    let handled!: () => void;
    const done = new Promise<void>((r) => (handled = r));
    const app = await serve(async (_req, c) => {
      seen.early = c.signal.aborted;
      c.signal.addEventListener('abort', () => {
        seen.event = true;
        handled();
      });
      await sleep(300);
      return create(InvokeResponseSchema, {});
    });
    try {
      await call(app.port, 'slow', { cancelAfterMs: 30 });
      await done;
      assert.deepEqual(seen, { early: false, event: true });
    } finally {
      await app.close();
    }
  });

  test('the deadline passing aborts it; a completed call never is', async () => {
    const signals: CallSignal[] = [];
    const app = await serve(async (req, c) => {
      if (req.method === 'slow') await sleep(200);
      signals.push(c.signal);
      return create(InvokeResponseSchema, {});
    });
    try {
      assert.equal(await call(app.port, 'slow', { timeout: '50m' }), '4'); // DEADLINE_EXCEEDED
      assert.equal(await call(app.port, 'fast'), '0');
      await sleep(200); // the slow handler has read its signal by now
      assert.equal(signals.length, 2);
      const [fast, slow] = signals[0]!.aborted ? [signals[1]!, signals[0]!] : [signals[0]!, signals[1]!];
      assert.equal(slow.aborted, true);
      assert.equal(fast.aborted, false);
    } finally {
      await app.close();
    }
  });
});
