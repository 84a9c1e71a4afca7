// The callee side of ServiceInvocation/CallLocalStream, as daprd 1.17 serves it: the leading
// message carries the request head (refused without one: INVALID_ARGUMENT), the body follows
// in sequenced chunks and flows to the own app as it arrives; the answer's head goes back in
// one message as soon as the app answered, its body in sequenced chunks as the app sends it.
// Backpressure both ways: the server stops reading the caller's messages while the app is
// behind (GrpcServer's readMany), and send() waits while the caller is behind. The call runs
// this sidecar's local invocation path — its app channel, its app token — on behalf of the app
// the caller's certificate names; the caller going away (RST_STREAM) aborts the call to the app.
import { Readable } from 'node:stream';
import { readAll } from '../util/read-all.js';
import { create } from '@bufbuild/protobuf';
import type { CallContext } from '../api/grpc/server.js';
import { GrpcStatusError } from '../api/grpc/status.js';
import { isStreamed, STREAM_ABOVE_BYTES } from '../appchannel/channel.js';
import type { CoreContext } from '../core/context.js';
import { invokeLocalStreamed } from '../core/invoke.js';
import { DaprError, GrpcCode } from '../errors/table.js';
import {
  InternalInvokeResponseStreamSchema,
  type InternalInvokeRequestStream, type InternalInvokeResponse, type InternalInvokeResponseStream,
} from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { callerOf, incomingCall, responseOf } from './internal-call.js';
import { checkLaterRequest, checkLeadingRequest, declaredLength, LengthCheck, piecesOf, SeqCheck, SeqCounter, StreamFramingError } from './stream-chunks.js';
import type { CallSignal } from '../util/call-signal.js';

type Send = (msg: InternalInvokeResponseStream) => Promise<void>;

const EMPTY = new Uint8Array();

export async function serveCallLocalStream(ctx: CoreContext, reqs: AsyncIterable<InternalInvokeRequestStream>, call: CallContext, send: Send): Promise<void> {
  const caller = callerOf(call);
  const messages = reqs[Symbol.asyncIterator]();
  const first = await messages.next();
  let head;
  try {
    head = checkLeadingRequest(first.done ? undefined : first.value.request);
  } catch (err) {
    throw new GrpcStatusError(GrpcCode.INVALID_ARGUMENT, `parsing InternalInvokeRequest error: ${(err as Error).message}`);
  }
  const declared = declaredLength(head.metadata['content-length']?.values);
  const leading = first.value as InternalInvokeRequestStream;
  // Without a declared length, one more message tells whether the body is already complete
  // (daprd sends a bodiless GET as the head alone): a complete body goes to the app whole,
  // so the app gets a Content-Length (or, for a bodiless GET, no body) instead of a chunked one.
  const peeked = declared === undefined ? await messages.next() : undefined;
  const complete = declared !== undefined ? declared <= STREAM_ABOVE_BYTES : peeked!.done === true;
  const taken = peeked && !peeked.done ? [leading, peeked.value] : [leading];
  const chunks = payloads(taken, peeked?.done ? undefined : messages, call.signal, declared);
  const invocation = incomingCall(ctx, head, call, EMPTY);
  let res;
  try {
    // A small body of declared length is read whole, as the HTTP API does.
    res = complete
      ? await invokeLocalStreamed(ctx, { ...invocation, body: await readAll(chunks) }, undefined, caller)
      : await invokeLocalStreamed(ctx, invocation, { stream: Readable.from(chunks, { objectMode: false }), length: declared }, caller);
  } catch (err) {
    if (err instanceof StreamFramingError) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${ctx.appId}, err: ${err.message}`);
    throw err;
  }
  const seq = new SeqCounter();
  const reply = (data: Uint8Array, response?: InternalInvokeResponse): Promise<void> =>
    send(create(InternalInvokeResponseStreamSchema, { response, payload: data.length ? { data, seq: seq.next() } : undefined }));
  if (!isStreamed(res)) {
    let response: InternalInvokeResponse | undefined = responseOf(res, EMPTY, res.body.length);
    for (const piece of piecesOf(res.body)) {
      await reply(piece, response);
      response = undefined;
    }
    if (response) await reply(EMPTY, response);
    return;
  }
  await reply(EMPTY, responseOf(res, EMPTY, res.length));
  // Leaving this loop early (the caller went away: send throws) destroys the app's body,
  // which ends the call to the app.
  for await (const chunk of res.body) {
    for (const piece of piecesOf(chunk as Buffer)) await reply(piece);
  }
}

/** The body's bytes, message by message, checked: sequence, no second head, the declared
 * length; a call cancelled mid-body is an error, not a short body. `taken`: the messages
 * already read (the leading one first), `rest`: the ones to come (none when the stream ended). */
async function* payloads(taken: InternalInvokeRequestStream[], rest: AsyncIterator<InternalInvokeRequestStream> | undefined, signal: CallSignal, declared: number | undefined): AsyncGenerator<Uint8Array> {
  const seq = new SeqCheck();
  const length = new LengthCheck(declared);
  const accept = (msg: InternalInvokeRequestStream, leading: boolean): Uint8Array | undefined => {
    if (!leading) checkLaterRequest(msg.request);
    const data = seq.accept(msg.payload);
    if (data?.length) length.add(data.length);
    return data?.length ? data : undefined;
  };
  for (const [i, msg] of taken.entries()) {
    const data = accept(msg, i === 0);
    if (data) yield data;
  }
  for (;;) {
    const next = rest && (await rest.next());
    if (!next || next.done) break;
    const data = accept(next.value, false);
    if (data) yield data;
  }
  if (signal.aborted) throw new StreamFramingError('the calling sidecar cancelled the call');
  length.finish();
}
