// A gRPC server on node:http2 with our own framing, so that every call — known method,
// unknown method, unknown service, unary or streaming — passes the same interceptor before
// anything else happens (grpc-js offers no hook for unknown services, which the transparent
// proxy of the app-channel feature needs). Messages are protobuf-es v2 (generated at build
// time from the .proto files shipped in @dapr/dapr).
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { fromBinary, toBinary, type DescMessage, type DescMethod, type DescService } from '@bufbuild/protobuf';
import { GrpcCode } from '../../errors/table.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import { ANSWER, ENDED } from './respond-options.js';
import { GrpcStatusError, toGrpcTrailers, type GrpcTrailers } from './status.js';
import { parseGrpcTimeout } from './timeout.js';
import { SERVER_MAX_CONCURRENT_STREAMS } from '../../appchannel/h2-connect.js';
import { Cancellation, type CallSignal } from '../../util/call-signal.js';
import type { HeaderPairs } from '../../appchannel/channel.js';
import { addMetadata } from './response-metadata.js';

export interface CallContext {
  /** incoming metadata (HTTP/2 headers), with the API token already removed */
  readonly metadata: IncomingHttpHeaders;
  readonly signal: CallSignal;
  readonly peer: string;
  /** full method path, e.g. /dapr.proto.runtime.v1.Dapr/GetState */
  readonly path: string;
  /** who the peer proved to be (mutual TLS servers with `identify` only) */
  readonly peerIdentity?: unknown;
  /** metadata for the answer's headers (grpc-go's SetHeader): sent with the first message, or
   * before the status of an answer without one; names the transport owns are left out */
  setHeader(pairs: HeaderPairs): void;
  /** metadata for the answer's trailers (grpc-go's SetTrailer), sent with the status */
  setTrailer(pairs: HeaderPairs): void;
}

// Handlers are typed loosely here; services bind them to their generated message types.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type UnaryHandler = (req: any, ctx: CallContext) => Promise<any>;
export type ServerStreamHandler = (req: any, ctx: CallContext, send: (msg: any) => Promise<void>) => Promise<void>;
export type BidiHandler = (reqs: AsyncIterable<any>, ctx: CallContext, send: (msg: any) => Promise<void>) => Promise<void>;
export type Handler = UnaryHandler | ServerStreamHandler | BidiHandler;
/** How a call's status goes out: a trailers-only answer (nothing sent yet), trailers after the
 * data (the answer has begun and its data is out), or a reset (the stream is gone, or its data
 * cannot be waited for). */
type Ending = 'trailers-only' | 'trailers' | 'reset';

interface Route {
  readonly method: DescMethod;
  readonly handler?: Handler;
}

/**
 * Runs before routing on every call. Returns undefined to continue, or an error to end the
 * call with — or a Promise of either when it must wait (a JWT verification). It may edit
 * `headers` (the auth interceptor deletes the token).
 */
export type Interceptor = (
  headers: IncomingHttpHeaders,
  path: string,
  peer: string,
  rawHeaders: readonly string[],
) => Error | undefined | Promise<Error | undefined>;

/** Called for any path that no registered service serves (after the interceptor). */
export type Fallback = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string) => boolean;

export interface CallObserver {
  /** startedAt: performance.now() when the call arrived */
  (path: string, code: number, startedAt: number): void;
}

export interface GrpcServerOptions {
  readonly maxMessageBytes: number;
  readonly interceptors: readonly Interceptor[];
  readonly observe?: CallObserver;
  readonly fallback?: Fallback;
  /** serve over TLS (the internal sidecar-to-sidecar server: mutual TLS) instead of h2c */
  readonly tls?: http2.SecureServerOptions;
  /** the identity of a TLS session's peer, given to handlers as CallContext.peerIdentity */
  readonly identify?: (session: http2.Http2Session) => unknown;
}

export const UNKNOWN_METHOD_LABEL = '_unknown';

export class GrpcServer {
  readonly server: http2.Http2Server | http2.Http2SecureServer;
  private readonly routes = new Map<string, Route>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /** services registered on first use (deferServices); undefined once they are in */
  private deferred: { load: () => Promise<void>; loading?: Promise<void> } | undefined;

  constructor(private readonly opts: GrpcServerOptions) {
    // Nagle off (a small answer must not wait for the ACK of the previous one), and a stream
    // limit announced: unannounced, node clients assume 100 and queue every call past it.
    const base = { maxSessionMemory: 64, noDelay: true, settings: { maxConcurrentStreams: SERVER_MAX_CONCURRENT_STREAMS } };
    this.server = opts.tls ? http2.createSecureServer({ ...opts.tls, ...base }) : http2.createServer(base);
    (this.server as http2.Http2Server).on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      if (!this.deferred) return this.onStream(stream, headers, rawHeaders);
      void this.loadDeferred().then(() => this.onStream(stream, headers, rawHeaders));
    });
    this.server.on('session', (s) => {
      if (this.deferred) void this.loadDeferred(); // a client connected: its first call is coming
      this.sessions.add(s);
      s.once('close', () => this.sessions.delete(s));
    });
    // A broken client connection must never take the process down.
    this.server.on('sessionError', () => {});
  }

  /** Graceful stop: GOAWAY to every client, in-flight calls finish, the rest is cut at graceMs. */
  async close(graceMs: number): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sessions) s.close();
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, graceMs)).unref());
    if ((await Promise.race([closed, timer])) === 'timeout') {
      for (const s of this.sessions) s.destroy();
      await closed;
    }
  }

  /**
   * Registers services when the first client connects instead of now: `load` may import
   * what they need (the Dapr API's descriptors are ~3 MB of heap that a sidecar whose app
   * only speaks HTTP never needs). Calls arriving meanwhile wait for it. If it fails, the
   * failure is reported through `onError` and calls answer as for unknown methods.
   */
  deferServices(load: () => Promise<void>, onError: (err: unknown) => void): void {
    this.deferred = {
      load: () => load().catch(onError),
    };
  }

  private loadDeferred(): Promise<void> {
    const d = this.deferred!;
    d.loading ??= d.load().then(() => {
      this.deferred = undefined;
    });
    return d.loading;
  }

  /** Registers a service; methods without a handler answer UNIMPLEMENTED (after auth). */
  addService(service: DescService, handlers: Readonly<Record<string, Handler | undefined>>): void {
    for (const method of service.methods) {
      this.routes.set(`/${service.typeName}/${method.name}`, { method, handler: handlers[method.localName] });
    }
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, rawHeaders: string[]): void {
    const started = performance.now();
    const path = String(headers[':path'] ?? '');
    const peer = `${stream.session?.socket?.remoteAddress ?? ''}:${stream.session?.socket?.remotePort ?? ''}`;
    // Metric labels only name methods we serve: arbitrary paths from callers must not create
    // unbounded label sets.
    const label = this.routes.has(path) ? path : UNKNOWN_METHOD_LABEL;
    const finish = (trailers: GrpcTrailers, how: Ending): void => {
      this.opts.observe?.(label, Number(trailers['grpc-status']), started);
      if (stream.destroyed || stream.closed) return;
      if (how === 'reset') return void stream.close(http2.constants.NGHTTP2_CANCEL);
      if (how === 'trailers') stream.sendTrailers(trailers);
      else stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...trailers }, ENDED);
      // The client may still be sending (e.g. an oversized or unauthenticated upload): say we
      // are done with the stream, as grpc-go does, instead of buffering the rest.
      if (!stream.readableEnded) {
        stream.resume();
        setImmediate(() => stream.destroyed || stream.close(http2.constants.NGHTTP2_NO_ERROR));
      }
    };
    stream.on('error', () => {});

    const contentType = String(headers['content-type'] ?? '');
    if (headers[':method'] !== 'POST' || !contentType.startsWith('application/grpc')) {
      if (!stream.destroyed) {
        stream.respond({ ':status': 415, 'content-type': 'text/plain; charset=utf-8', 'grpc-status': String(GrpcCode.INTERNAL), 'grpc-message': 'invalid gRPC request content-type' }, ENDED);
      }
      this.opts.observe?.(label, GrpcCode.INTERNAL, started);
      return;
    }
    this.intercept(stream, headers, path, peer, rawHeaders, 0, finish, started, label);
  }

  /** Runs interceptors from index `i`; synchronously as long as none returns a Promise. */
  private intercept(
    stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string, peer: string, rawHeaders: string[], i: number,
    finish: (t: GrpcTrailers, how: Ending) => void, started: number, label: string,
  ): void {
    const list = this.opts.interceptors;
    for (; i < list.length; i++) {
      const r = list[i]!(headers, path, peer, rawHeaders);
      if (r instanceof Promise) {
        const next = i + 1;
        r.then(
          (err) => {
            // The caller may have gone away while we waited.
            if (stream.destroyed || stream.closed) return this.opts.observe?.(label, GrpcCode.CANCELLED, started);
            if (err) finish(toGrpcTrailers(err), 'trailers-only');
            else this.intercept(stream, headers, path, peer, rawHeaders, next, finish, started, label);
          },
          (err: unknown) => finish(toGrpcTrailers(err), 'trailers-only'),
        );
        return;
      }
      if (r) return finish(toGrpcTrailers(r), 'trailers-only');
    }
    const route = this.routes.get(path);
    if (!route) {
      if (this.opts.fallback?.(stream, headers, path)) return;
      return finish(toGrpcTrailers(unknownPath(path, headers)), 'trailers-only');
    }
    if (!route.handler) {
      // A Dapr method outside Pillion's scope (actors, workflows, …: docs/api.md): the answer
      // grpc-go's generated server gives daprd for a method it does not serve, word for word.
      return finish(toGrpcTrailers(new GrpcStatusError(GrpcCode.UNIMPLEMENTED, `method ${route.method.name} not implemented`)), 'trailers-only');
    }
    void this.serve(stream, headers, path, peer, route as Required<Route>, finish);
  }

  private async serve(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    path: string,
    peer: string,
    route: Required<Route>,
    finish: (t: GrpcTrailers, how: Ending) => void,
  ): Promise<void> {
    const timeoutMs = parseGrpcTimeout(headers['grpc-timeout']);
    // A deadline of zero has passed on arrival: the handler would only start work nobody
    // waits for, and could begin an answer that the deadline then cuts off mid-message.
    if (timeoutMs === 0) return finish(toGrpcTrailers(deadlineExceeded()), 'trailers-only');
    // The call's signal is made only if a handler asks for it (the invocation paths do, state
    // and most others never).
    let abort: Cancellation | undefined;
    let cancelled = false;
    const cancel = (): void => {
      cancelled = true;
      abort?.abort();
    };
    let done = false;
    let headersSent = false;
    // Metadata a handler set for the answer (rare: InvokeService relays the app's).
    let mdHeaders: http2.OutgoingHttpHeaders | undefined;
    let mdTrailers: http2.OutgoingHttpHeaders | undefined;
    const respond = (): void => {
      headersSent = true;
      const head = { ':status': 200, 'content-type': 'application/grpc' };
      if (!mdHeaders) return stream.respond(head, ANSWER);
      try {
        stream.respond({ ...mdHeaders, ...head }, ANSWER);
      } catch {
        // addMetadata keeps to what node sends; should node still refuse, the answer goes without
        stream.respond(head, ANSWER);
      }
    };
    // Called once trailers may go: before the answer began, or on 'wantTrailers'.
    const end = (t: GrpcTrailers, how: Ending = headersSent ? 'trailers' : 'trailers-only'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish(mdTrailers ? { ...mdTrailers, ...t } as GrpcTrailers : t, how);
    };
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
      // Once the answer has begun, its trailers can only follow the end of its data — which a
      // caller past its own deadline may never read (node would throw on trailers sent early,
      // outside any handler). So the stream is reset instead, as grpc-java's server does.
      end(toGrpcTrailers(deadlineExceeded()), headersSent ? 'reset' : 'trailers-only');
      cancel();
    }, timeoutMs);
    stream.on('close', () => {
      // A finished call needs no cancelling (and aborting costs a DOMException per call).
      if (done) return;
      done = true;
      clearTimeout(timer);
      finish({ 'grpc-status': String(GrpcCode.CANCELLED) }, 'reset'); // only records it: the stream is gone
      cancel();
    });

    const ctx: CallContext = {
      metadata: headers, peer, path, peerIdentity: stream.session && this.opts.identify?.(stream.session),
      setHeader: (pairs) => {
        if (!headersSent) addMetadata((mdHeaders ??= {}), pairs);
      },
      setTrailer: (pairs) => addMetadata((mdTrailers ??= {}), pairs),
      get signal(): CallSignal {
        if (!abort) {
          abort = new Cancellation();
          if (cancelled) abort.abort();
        }
        return abort;
      },
    };
    const { method } = route;
    const send = async (msg: unknown): Promise<void> => {
      if (done || stream.destroyed) throw new GrpcStatusError(GrpcCode.CANCELLED, 'call ended');
      if (!headersSent) respond();
      const ok = stream.write(encodeFrame(toBinary(method.output, msg as never)));
      // A stream closed while full never drains: wait for either, or the handler hangs.
      if (!ok) {
        await new Promise<void>((r) => {
          const go = (): void => {
            stream.off('drain', go).off('close', go);
            r();
          };
          stream.on('drain', go).on('close', go);
        });
      }
    };
    const decoder = new FrameDecoder(this.opts.maxMessageBytes, headers['grpc-encoding'] as string | undefined);
    try {
      if (method.methodKind === 'unary' || method.methodKind === 'server_streaming') {
        const req = decode(method.input, await readSingle(stream, decoder));
        if (method.methodKind === 'unary') {
          const res = await (route.handler as UnaryHandler)(req, ctx);
          if (done) return;
          respond();
          stream.once('wantTrailers', () => end({ 'grpc-status': '0' }));
          stream.end(encodeFrame(toBinary(method.output, res)));
          return;
        }
        await (route.handler as ServerStreamHandler)(req, ctx, send);
      } else {
        await (route.handler as BidiHandler)(readMany(stream, decoder, method.input), ctx, send);
      }
      if (!headersSent) respond();
      if (!done && !stream.destroyed) {
        stream.once('wantTrailers', () => end({ 'grpc-status': '0' }));
        stream.end();
      }
    } catch (err) {
      // Header metadata set before a failure goes ahead of the status, as grpc-go sends it.
      if (mdHeaders && !headersSent && !done && !stream.destroyed) respond();
      if (headersSent && !done && !stream.destroyed) {
        // Trailers can only follow the end of the data: end the stream, then send them.
        const trailers = toGrpcTrailers(err);
        stream.once('wantTrailers', () => end(trailers));
        stream.end();
      } else {
        end(toGrpcTrailers(err));
      }
    }
  }
}

const deadlineExceeded = (): GrpcStatusError => new GrpcStatusError(GrpcCode.DEADLINE_EXCEEDED, 'context deadline exceeded');

function decode(schema: DescMessage, bytes: Uint8Array): unknown {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new GrpcStatusError(GrpcCode.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
  }
}

// Reading with events rather than `for await`: leaving a for-await early destroys the stream
// (RST_STREAM), and the client would then never see the status we want to send.
function readSingle(stream: ServerHttp2Stream, decoder: FrameDecoder): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const messages: Uint8Array[] = [];
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        messages.push(...decoder.push(chunk));
      } catch (err) {
        failed = true;
        reject(err);
      }
    });
    stream.once('end', () => {
      if (failed) return;
      if (messages.length !== 1 || decoder.pending) {
        reject(new GrpcStatusError(GrpcCode.INTERNAL, `grpc: expected exactly one request message, got ${messages.length}`));
      } else resolve(messages[0]!);
    });
  });
}

/** Decoded messages a streaming call may have waiting before the client is told to hold off
 * (the stream is paused, so HTTP/2 flow control stops the client): a handler that consumes
 * slowly (e.g. a body relayed to a slow app) keeps the server's memory bounded. */
const READ_AHEAD_MESSAGES = 8;

async function* readMany(stream: ServerHttp2Stream, decoder: FrameDecoder, schema: DescMessage): AsyncGenerator<unknown> {
  const queue: unknown[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  stream.on('data', (chunk: Buffer) => {
    if (failure) return;
    try {
      for (const m of decoder.push(chunk)) queue.push(decode(schema, m));
    } catch (err) {
      failure = err;
    }
    if (queue.length >= READ_AHEAD_MESSAGES) stream.pause();
    notify();
  });
  stream.once('end', () => {
    ended = true;
    notify();
  });
  stream.once('close', () => {
    ended = true;
    notify();
  });
  for (;;) {
    if (queue.length) {
      const next = queue.shift();
      if (queue.length < READ_AHEAD_MESSAGES && stream.isPaused()) stream.resume();
      yield next;
      continue;
    }
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((r) => (wake = r));
  }
}

// daprd hands every call no registered service serves to its transparent proxy, which needs
// a target app; without one it fails with Unknown. We answer the same. A call that names an
// app gets here only when no proxy is installed (the Configuration hides invoke).
function unknownPath(path: string, headers: IncomingHttpHeaders): GrpcStatusError {
  const target = headers['dapr-app-id'] ?? headers['dapr-callee-app-id'];
  if (target === undefined) {
    return new GrpcStatusError(GrpcCode.UNKNOWN, 'failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found');
  }
  return new GrpcStatusError(GrpcCode.UNIMPLEMENTED, `failed to proxy request to app ${String(target)}: ${path} is not served by this sidecar and proxying to apps is not available on this sidecar`);
}
