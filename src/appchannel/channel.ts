// The app channel: how the sidecar calls its own app. One protocol-neutral request/response
// shape (HTTP-like: the gRPC channel maps it onto AppCallback/OnInvoke), so the invocation
// core does not care which protocol the app speaks. Limits (--app-max-concurrency, the
// per-call timeout) wrap any channel the same way.
import type { ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { Transform, type Readable } from 'node:stream';
import type { UnaryCall, UnaryResult } from './grpc-unary.js';
import { toAbortSignal, type CallSignal } from '../util/call-signal.js';
import { HTTPExtension_Verb } from '../gen/dapr/proto/common/v1/common_pb.js';

/** Header pairs as they go on the wire (lower-case names; repeated names allowed). */
export type HeaderPairs = ReadonlyArray<readonly [string, string]>;

export interface AppRequest {
  /** HTTP verb (GET, POST, …) */
  readonly verb: string;
  /** the method as the caller wrote it, without a leading '/', still percent-encoded */
  readonly method: string;
  /** raw query string without '?', '' when none */
  readonly query: string;
  /** already filtered by the caller of the channel; sent as is */
  readonly headers: HeaderPairs;
  readonly body: Uint8Array;
  /** ends the call early (the caller went away, or its deadline passed) */
  readonly signal?: CallSignal;
  /** a deadline from the caller (gRPC grpc-timeout), in ms; the shorter of this and the channel's wins */
  readonly timeoutMs?: number;
  /** invokeStreaming only: the body as it arrives from the caller (then `body` is unused);
   * an error on it (e.g. the size limit) ends the call with that error */
  readonly bodyStream?: Readable;
  /** invokeStreaming only: the length of `bodyStream` when the caller declared it */
  readonly bodyLength?: number;
}

// What node refuses in a request target (a space, a control character, anything past
// U+00FF), and DEL, which Go refuses.
const ODD_IN_TARGET = /[^\x21-\x7e\x80-\xff]/;
const ODD_CHARS = /[^\x21-\x7e\x80-\xff]/gu;
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * The request target (`/method?query`) for an HTTP app. A method from gRPC InvokeService is
 * free text: control characters in it are refused, as Go's url.Parse refuses them when daprd
 * builds the app's URL, and other characters a target cannot carry are percent-encoded as
 * UTF-8, as Go's EscapedPath writes them. U+0080–U+00FF stay as they are: from the HTTP API
 * they are the caller's own bytes, relayed byte for byte.
 */
export function requestTarget(req: Pick<AppRequest, 'method' | 'query'>): string {
  const target = '/' + req.method + (req.query ? '?' + req.query : '');
  if (!ODD_IN_TARGET.test(target)) return target;
  if (CONTROL.test(target)) throw new AppChannelError('failed', 'net/url: invalid control character in URL');
  try {
    return target.replace(ODD_CHARS, (c) => encodeURIComponent(c));
  } catch {
    throw new AppChannelError('failed', 'the method is not valid Unicode'); // a lone surrogate
  }
}

/** The verb of a call that came without an HTTP extension (gRPC InvokeService, or another
 * sidecar relaying one): a gRPC app gets the message without one, an HTTP app is not called. */
export const NO_VERB = '';

/** The verb of an InvokeRequest's HTTP extension: its name (NONE included), an unnamed value
 * as its number (as daprd writes it), NO_VERB when there is none. */
export function verbOfExtension(ext: { readonly verb: HTTPExtension_Verb } | undefined): string {
  return ext === undefined ? NO_VERB : HTTPExtension_Verb[ext.verb] ?? String(ext.verb);
}

/**
 * The verb an HTTP app is called with. As daprd's HTTP channel: a call without an HTTP
 * extension, with verb NONE, or with CONNECT (a tunnel, which Go's client cannot send either)
 * is refused, in daprd's words.
 */
export function requestVerb(verb: string): string {
  if (verb === NO_VERB) throw new AppChannelError('failed', 'rpc error: code = InvalidArgument desc = missing HTTP extension field');
  if (verb === 'NONE' || verb === 'CONNECT') throw new AppChannelError('failed', 'rpc error: code = InvalidArgument desc = invalid HTTP verb');
  return verb;
}

export interface AppResponse {
  readonly status: number;
  readonly headers: HeaderPairs;
  readonly body: Uint8Array;
  /** set when a gRPC app answered with a non-OK status (code, message as the app sent them) */
  readonly grpcStatus?: { readonly code: number; readonly message: string };
  /** a gRPC app's trailer metadata: set (maybe empty) on every answer of a gRPC app, so it
   * also tells a gRPC app's answer (headers = its header metadata) from an HTTP app's */
  readonly trailers?: HeaderPairs;
}

export const isGrpcAnswer = (r: AppResponse): boolean => r.trailers !== undefined;

/** An answer whose body is relayed as it arrives (invokeStreaming). */
export interface StreamedAppResponse {
  readonly status: number;
  readonly headers: HeaderPairs;
  /** the app's body; it ends the call when it closes — destroying it aborts the call */
  readonly body: Readable;
  /** the body's length when the app declared it */
  readonly length?: number;
}

export const isStreamed = (r: AppResponse | StreamedAppResponse): r is StreamedAppResponse => !(r.body instanceof Uint8Array);

/** Answers up to this size with a declared length are read whole even on streaming paths. */
export const STREAM_ABOVE_BYTES = 64 * 1024;

export type AppChannelFailure = 'unreachable' | 'timeout' | 'failed' | 'cancelled';

/** The app could not be called, or did not answer in time; never carries a token. */
export class AppChannelError extends Error {
  constructor(readonly kind: AppChannelFailure, message: string) {
    super(message);
    this.name = 'AppChannelError';
  }
}

export interface AppChannel {
  readonly protocol: 'http' | 'grpc';
  invoke(req: AppRequest): Promise<AppResponse>;
  /** gRPC apps only: a raw HTTP/2 stream to the app, for transparent proxying (frames are
   * relayed as they are; the caller owns the stream) */
  openStream?(headers: OutgoingHttpHeaders, signal?: CallSignal): Promise<ClientHttp2Stream>;
  /** gRPC apps only: one unary call of any AppCallback method (e.g. OnTopicEvent) */
  unary?(call: UnaryCall): Promise<UnaryResult>;
  /** HTTP/1.1 apps (http, https): the request body and the answer's body flow through as
   * they arrive instead of being buffered whole (a small answer of declared length comes
   * back whole: too small for backpressure to matter, and cheaper) */
  invokeStreaming?(req: AppRequest): Promise<AppResponse | StreamedAppResponse>;
  close(): void;
}

export interface ChannelLimits {
  /** at most this many calls in flight to the app; <= 0 = no limit */
  readonly maxConcurrency: number;
  /** per call, queueing included; <= 0 = no limit (as daprd without a resiliency policy) */
  readonly timeoutMs: number;
}

/** Applies --app-max-concurrency (a FIFO semaphore) and the per-call timeout to a channel. */
export function withLimits(inner: AppChannel, limits: ChannelLimits): AppChannel {
  const gate = limits.maxConcurrency > 0 ? new Semaphore(limits.maxConcurrency) : undefined;
  const open = inner.openStream?.bind(inner);
  const unary = inner.unary?.bind(inner);
  const streaming = inner.invokeStreaming?.bind(inner);
  // Runs on every call: no timer, no combined signal and no copy of the request unless a
  // timeout applies.
  const withTimeout = (req: AppRequest): AppRequest => {
    const ms = shortest(limits.timeoutMs, req.timeoutMs);
    if (ms === undefined) return req;
    return { ...req, signal: req.signal ? AbortSignal.any([toAbortSignal(req.signal), AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms) };
  };
  return {
    protocol: inner.protocol,
    close: () => inner.close(),
    // A proxied stream holds a concurrency slot until it closes; no call timeout (streams may
    // be long-lived; the caller's grpc-timeout travels to the app with the headers).
    openStream: open && (async (headers, signal) => {
      await gate?.acquire(signal);
      try {
        const stream = await open(headers, signal);
        stream.once('close', () => gate?.release());
        return stream;
      } catch (err) {
        gate?.release();
        throw err;
      }
    }),
    // Callback calls share the concurrency limit and the call timeout with invocations.
    unary: unary && (async (call) => {
      const ms = shortest(limits.timeoutMs, call.timeoutMs);
      await gate?.acquire(call.signal);
      try {
        return await unary({ ...call, timeoutMs: ms });
      } finally {
        gate?.release();
      }
    }),
    // A streamed answer holds its slot (and stays under the call timeout) until its body
    // closes: finished, failed, or destroyed because the caller went away.
    invokeStreaming: streaming && ((req) => {
      const call = withTimeout(req);
      if (!gate) return streaming(call);
      return (async () => {
        await gate.acquire(call.signal);
        try {
          const res = await streaming(call);
          if (isStreamed(res)) res.body.once('close', () => gate.release());
          else gate.release();
          return res;
        } catch (err) {
          gate.release();
          throw err;
        }
      })();
    }),
    invoke(req) {
      const call = withTimeout(req);
      if (!gate) return inner.invoke(call);
      return (async () => {
        await gate.acquire(call.signal);
        try {
          return await inner.invoke(call);
        } finally {
          gate.release();
        }
      })();
    },
  };
}

/** The shorter of two timeouts, ignoring those that are not positive (no limit). */
const shortest = (a: number, b: number | undefined): number | undefined => {
  const x = a > 0 ? a : undefined;
  const y = b !== undefined && b > 0 ? b : undefined;
  return x === undefined ? y : y === undefined ? x : Math.min(x, y);
};

/** A socket or HTTP/2 stream error of a call to the app, as the channel reports it: refused or
 * unresolvable = 'unreachable', anything else 'failed'. A failed HTTP/2 connect reaches the
 * stream as a cancel whose cause is the socket error. */
export function connectFailure(err: NodeJS.ErrnoException): AppChannelError {
  const code = (err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? err.code;
  const refused = code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND';
  return new AppChannelError(refused ? 'unreachable' : 'failed', `${refused ? 'the app is not reachable' : 'the call to the app failed'} (${code ?? err.message})`);
}

/** Why a signal fired, as the channel reports it. */
export function abortFailure(signal: CallSignal): AppChannelError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return timedOut
    ? new AppChannelError('timeout', 'the app did not answer in time')
    : new AppChannelError('cancelled', 'the call was cancelled by the caller');
}

class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }

  acquire(signal?: CallSignal): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(abortFailure(signal));
    return new Promise((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortFailure(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.free++;
  }
}

/** The app's streamed answer passed through as it comes, failing once it grows past `max`
 * bytes (--max-body-size), so a runaway app cannot be relayed without end. `onTooLarge` tells
 * the channel it was cut for its size (h2c then retires the connection: see cutAndRetire). */
export function limitedAnswer(max: number, onTooLarge?: () => void): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > max) {
        onTooLarge?.();
        return done(new AppChannelError('failed', `the app's answer is larger than ${max} bytes`));
      }
      done(null, chunk);
    },
  });
}
