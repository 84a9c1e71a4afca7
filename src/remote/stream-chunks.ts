// The framing rules of ServiceInvocation/CallLocalStream, as daprd 1.17 applies them on both
// ends: a body travels as a sequence of messages; the first carries the head (the request, or
// the response) and possibly the first bytes; every payload is a StreamPayload{data, seq} with
// seq counting from 0, one up per payload. A receiver refuses a gap or a repeat, a head in a
// later message, and a first message without one. Pure: no I/O.
import type { StreamPayload } from '../gen/dapr/proto/common/v1/common_pb.js';
import type { InternalInvokeRequest, InternalInvokeResponse } from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';

/**
 * Most body bytes one message carries. daprd sends what one read of its 2 KiB buffer returns;
 * the proto leaves the size to the sender ("receivers must not make assumptions"), and every
 * receiver accepts up to its message limit (4 MiB by default), so larger chunks just cost
 * fewer frames (a 20 MB body is ~300 messages instead of ~10,000).
 */
export const CHUNK_BYTES = 64 * 1024;

/** The stream broke a framing rule; the message says which (daprd's wording). */
export class StreamFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamFramingError';
  }
}

/** `data` in pieces of at most `max` bytes (views, no copies); nothing for an empty buffer. */
export function* piecesOf(data: Uint8Array, max = CHUNK_BYTES): Generator<Uint8Array> {
  for (let off = 0; off < data.length; off += max) yield data.subarray(off, Math.min(off + max, data.length));
}

/** The sender's counter: the seq of each next payload. */
export class SeqCounter {
  private n = 0n;
  next(): bigint {
    return this.n++;
  }
}

/** The receiver's check: each payload must carry the next seq. */
export class SeqCheck {
  private expected = 0n;

  /** The payload's bytes if it is the next one (an absent payload is no chunk: undefined). */
  accept(payload: Pick<StreamPayload, 'data' | 'seq'> | undefined): Uint8Array | undefined {
    if (!payload) return undefined;
    if (payload.seq !== this.expected) {
      throw new StreamFramingError(`invalid sequence number received: ${payload.seq} (expected: ${this.expected})`);
    }
    this.expected++;
    return payload.data;
  }
}

/** The leading request message must carry the request's message (method, verb…). */
export function checkLeadingRequest(request: InternalInvokeRequest | undefined): InternalInvokeRequest {
  if (!request?.message) throw new StreamFramingError('request does not contain the required fields in the leading chunk');
  return request;
}

export function checkLaterRequest(request: InternalInvokeRequest | undefined): void {
  if (request) throw new StreamFramingError('request metadata found in non-leading chunk');
}

/** The leading response message must carry the status. */
export function checkLeadingResponse(response: InternalInvokeResponse | undefined): InternalInvokeResponse {
  if (!response?.status) throw new StreamFramingError('response does not contain the required fields in the leading chunk');
  return response;
}

/** daprd refuses a later message that repeats any part of the head. */
export function checkLaterResponse(response: InternalInvokeResponse | undefined): void {
  if (response && (response.status || response.message || Object.keys(response.headers).length > 0)) {
    throw new StreamFramingError('response metadata found in non-leading chunk');
  }
}

/** A `content-length` value as a length: exactly one non-negative decimal integer, else undefined. */
export function declaredLength(values: readonly string[] | undefined): number | undefined {
  if (!values || values.length !== 1 || !/^\d{1,15}$/.test(values[0]!.trim())) return undefined;
  return Number(values[0]!.trim());
}

/** Counts a body's bytes against the length its head declared (if it declared one). */
export class LengthCheck {
  private seen = 0;
  constructor(readonly declared: number | undefined) {}

  add(n: number): void {
    this.seen += n;
    if (this.declared !== undefined && this.seen > this.declared) {
      throw new StreamFramingError(`the body is longer than its declared length ${this.declared}`);
    }
  }

  /** every declared byte has arrived */
  get complete(): boolean {
    return this.seen === this.declared;
  }

  /** at the end of the body */
  finish(): void {
    if (this.declared !== undefined && this.seen !== this.declared) {
      throw new StreamFramingError(`the body ended after ${this.seen} of its declared ${this.declared} bytes`);
    }
  }
}
