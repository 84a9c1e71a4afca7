// The caller side of ServiceInvocation/CallLocalStream on one HTTP/2 stream to another
// sidecar: the request head, then the body in sequenced chunks as it arrives from the caller
// (backpressure: the source pauses while the stream's buffer is full); the answer's head
// resolves the call and its body is relayed as the chunks come in (backpressure: the stream
// pauses while the reader is behind, so HTTP/2 flow control slows the remote sidecar, and its
// app, down). Neither body is ever held whole. Unlike daprd, which sends the whole request
// before it reads the answer, both directions flow at once.
import http2 from 'node:http2';
import { PassThrough, type Readable } from 'node:stream';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { encodeFrame, FrameDecoder } from '../api/grpc/framing.js';
import {
  InternalInvokeRequestStreamSchema, InternalInvokeResponseStreamSchema,
  type InternalInvokeRequest, type InternalInvokeResponse,
} from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { aborted, connectionError, RemoteConnectionError, statusError } from './errors.js';
import type { BodyRecord } from './replay-body.js';
import { checkLaterResponse, checkLeadingResponse, declaredLength, LengthCheck, piecesOf, SeqCheck, SeqCounter } from './stream-chunks.js';
import type { CallSignal } from '../util/call-signal.js';

export const CALL_LOCAL_STREAM_PATH = '/dapr.proto.internals.v1.ServiceInvocation/CallLocalStream';

export interface StreamedAnswer {
  /** the leading message's response: status, headers, trailers, content type */
  readonly head: InternalInvokeResponse;
  /** the answer's body as it arrives (errors if the call fails before its end) — or whole,
   * when StreamCallOptions.whole said so */
  readonly body: Readable | Uint8Array;
  /** the length the remote sidecar declared (its app's Content-Length), checked as it arrives */
  readonly length?: number;
}

export interface StreamCallOptions {
  readonly maxMessageBytes: number;
  readonly signal?: CallSignal;
  /** remembers the body as it is sent, until the answer begins (a replay after a refusal) */
  readonly record?: BodyRecord;
  /** false: the answer's declared length need not match its body (a HEAD request) */
  readonly exactLength?: boolean;
  /** resets the stream (RST_STREAM CANCEL) without ending the request body first — the
   * abort of the signal the stream was opened with; default: stream.close(CANCEL) */
  readonly cancel?: () => void;
  /** answers to read whole before the call resolves (small ones: cheaper than a stream, and
   * too small for backpressure to matter), by their head and declared length */
  readonly whole?: (head: InternalInvokeResponse, length: number | undefined) => boolean;
}

const EMPTY = new Uint8Array();

/**
 * Runs one CallLocalStream on `stream` (opened by the caller with the call's headers). `head`
 * carries no data; `body` is sent after it — a small buffered body rides in the first
 * message. Rejects before the answer's head with RemoteConnectionError / RemoteStatusError,
 * or with the error of `body` (e.g. ERR_BODY_TOO_LARGE); after the head, failures error the
 * answer's body. Destroying the answer's body cancels the call.
 */
export function callLocalStream(stream: http2.ClientHttp2Stream, head: InternalInvokeRequest, body: Uint8Array | Readable, o: StreamCallOptions): Promise<StreamedAnswer> {
  return new Promise((resolve, reject) => {
    const signal = o.signal;
    let answer: PassThrough | undefined;
    /** the answer's head and bytes, while it is read whole */
    let gathering: { head: InternalInvokeResponse; length?: number; chunks: Uint8Array[] } | undefined;
    let check: LengthCheck | undefined;
    let settled = false;
    let finished = false;
    /** a whole answer handed over once its declared bytes were in, before the stream's end */
    let early = false;
    const trailers: http2.IncomingHttpHeaders = {};
    let detachSource = (): void => {};

    // ---- failure, from any side: before the head the call rejects, after it the body errors
    const fail = (err: Error): void => {
      detachSource();
      signal?.removeEventListener('abort', onAbort);
      if (!settled) {
        settled = true;
        reject(err);
      } else if (answer && !answer.destroyed && !finished) {
        answer.destroy(err);
      }
      if (!stream.closed && !stream.destroyed) cancel();
    };
    const cancel = o.cancel ?? ((): void => void stream.close(http2.constants.NGHTTP2_CANCEL));
    const onAbort = (): void => fail(aborted(signal!));
    if (signal?.aborted) return fail(aborted(signal));
    signal?.addEventListener('abort', onAbort, { once: true });

    // ---- the request: head, then the body as it comes
    const seqOut = new SeqCounter();
    const writable = (): boolean => !stream.closed && !stream.destroyed && !stream.writableEnded;
    const send = (data: Uint8Array, request?: InternalInvokeRequest): boolean => {
      const msg = create(InternalInvokeRequestStreamSchema, { request, payload: data.length ? { data, seq: seqOut.next() } : undefined });
      return stream.write(encodeFrame(toBinary(InternalInvokeRequestStreamSchema, msg)));
    };
    if (body instanceof Uint8Array) {
      let first: InternalInvokeRequest | undefined = head;
      for (const piece of piecesOf(body)) {
        send(piece, first);
        first = undefined;
      }
      if (first) send(EMPTY, first);
      stream.end();
    } else {
      send(EMPTY, head);
      const onData = (chunk: Buffer): void => {
        if (!writable()) return;
        o.record?.add(chunk);
        let ok = true;
        for (const piece of piecesOf(chunk)) ok = send(piece) && ok;
        if (!ok) body.pause();
      };
      const onDrain = (): void => void body.resume();
      const onEnd = (): void => {
        o.record?.end();
        detachSource();
        if (writable()) stream.end();
      };
      // The caller's body failing (too large, its connection lost) ends the call with that error.
      const onError = (err: Error): void => fail(err);
      detachSource = () => {
        body.off('data', onData).off('end', onEnd).off('error', onError);
        // A later failure of the body (its caller going away) has nobody left to tell, and an
        // unheard 'error' would take the process down.
        body.on('error', () => {});
        stream.off('drain', onDrain);
        // Not read any further by this call (a replay, or nobody, takes it from here).
        body.pause();
        detachSource = () => {};
      };
      body.on('data', onData).once('end', onEnd).once('error', onError);
      stream.on('drain', onDrain);
      if (body.readableEnded) onEnd();
    }

    // ---- the answer: head, then sequenced chunks
    const decoder = new FrameDecoder(o.maxMessageBytes, undefined);
    const seqIn = new SeqCheck();
    const unreadable = (err: unknown): RemoteConnectionError =>
      new RemoteConnectionError('failed', `the remote sidecar's answer is unreadable (${(err as Error).message})`);
    stream.on('response', (h) => Object.assign(trailers, h)); // a trailers-only answer has its status here
    stream.on('trailers', (t) => Object.assign(trailers, t));
    stream.on('data', (chunk: Buffer) => {
      if (finished || (settled && !answer)) return;
      try {
        for (const bytes of decoder.push(chunk)) {
          const msg = fromBinary(InternalInvokeResponseStreamSchema, bytes);
          if (!answer && !gathering) opened(checkLeadingResponse(msg.response));
          else checkLaterResponse(msg.response);
          const data = seqIn.accept(msg.payload);
          if (data?.length) {
            check!.add(data.length);
            if (gathering) gathering.chunks.push(data);
            else if (!answer!.write(data)) stream.pause();
          }
          if (gathering && check!.complete) return handOver();
        }
      } catch (err) {
        fail(unreadable(err));
      }
    });
    stream.on('error', (err: NodeJS.ErrnoException) => fail(connectionError(err)));
    // The answer ends with the server's END_STREAM (its status is in by then), even while
    // this side is still sending: the server is done with the call, so is this side. 'close'
    // covers a stream reset without one.
    const complete = (): void => {
      if (finished) return;
      if (early) return done();
      const status = trailers['grpc-status'];
      if (status === undefined) return fail(new RemoteConnectionError('failed', 'the remote sidecar ended the call without a gRPC status'));
      if (Number(status) !== 0) return fail(statusError(trailers));
      if (!answer && !gathering) return fail(unreadable(new Error('no response message')));
      try {
        if (decoder.pending) throw new Error(`${decoder.pending} bytes of an incomplete message`);
        check!.finish();
      } catch (err) {
        return fail(unreadable(err));
      }
      done();
      if (gathering) resolveWhole();
      else answer!.end();
    };
    const done = (): void => {
      finished = true;
      detachSource();
      signal?.removeEventListener('abort', onAbort);
      // still sending (the app answered without reading it all): stop, as grpc-go does
      if (!stream.writableFinished && !stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
    };
    const resolveWhole = (): void => {
      const { head, length, chunks } = gathering!;
      gathering = undefined;
      settled = true;
      resolve({ head, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), length });
    };
    // A whole answer whose declared bytes are all in is complete: the remote sidecar has sent
    // its app's answer in full, and only its OK status is still to come — in a write of its
    // own, a turn of its event loop later (node sends HTTP/2 trailers from a setImmediate), and
    // often a wake-up of this process later. Handing it over now takes that off every call;
    // the stream still ends (and a body still being sent is stopped) as before.
    const handOver = (): void => {
      early = true;
      resolveWhole();
    };
    stream.on('end', complete);
    stream.on('close', complete);

    /** The answer's head arrived: resolve with its body as a stream, or gather it whole. */
    function opened(response: InternalInvokeResponse): void {
      o.record?.stop();
      const length = declaredLength(response.headers['content-length']?.values);
      delete response.headers['content-length']; // set again, from `length`, by whoever relays it
      // HEAD answers and 204/304 declare the length of a body they do not carry.
      const status = response.status?.code ?? 200;
      check = new LengthCheck(o.exactLength === false || status === 204 || status === 304 ? undefined : length);
      if (o.whole?.(response, length)) {
        gathering = { head: response, length, chunks: [] };
        return;
      }
      const out = new PassThrough();
      out.on('drain', () => stream.resume());
      // The reader went away (the HTTP caller disconnected): the call is cancelled, which the
      // remote sidecar passes on to its app.
      out.once('close', () => {
        if (!finished) fail(new RemoteConnectionError('cancelled', 'the call was cancelled by the caller'));
      });
      settled = true;
      answer = out;
      resolve({ head: response, body: out, length });
    }
  });
}
