// Transparent gRPC proxying: a call to a service this sidecar does not serve, carrying
// `dapr-app-id` (or `dapr-callee-app-id`) metadata, is relayed frame by frame — unary and
// streaming alike, messages never decoded — to the own gRPC app, or, for another app, over the
// mutual-TLS internal connection to that app's sidecar, which relays it to its own app
// (`internalAppProxy`). It runs after the API gate (the caller's token is already gone); the
// app receives the same identities and app token as with InvokeService.
import http2, { type ClientHttp2Stream, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { CoreContext } from '../../core/context.js';
import { appHeaders, forwardable, type Caller } from '../../core/invoke.js';
import { DaprError, GrpcCode } from '../../errors/table.js';
import type { Fallback } from './server.js';
import { relayRequest } from './request-relay.js';
import { parseGrpcTimeout } from './timeout.js';
import { GrpcStatusError, toGrpcTrailers } from './status.js';
import { Cancellation, type CallSignal } from '../../util/call-signal.js';
import { nonGrpcAnswer } from '../../appchannel/grpc-status-code.js';
import { ANSWER, ENDED } from './respond-options.js';

// HTTP/2 forbids connection-specific fields; the app's own pseudo-headers are rebuilt.
const NOT_RELAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const targetOf = (headers: IncomingHttpHeaders): string | undefined => first(headers['dapr-app-id']) ?? first(headers['dapr-callee-app-id']);

/** The public gRPC API's fallback: to the own app, or through another app's sidecar. */
export function appProxy(ctx: CoreContext): Fallback {
  return (stream, headers, path) => {
    const target = targetOf(headers);
    if (target === undefined) return false;
    const own = target === ctx.appId || ctx.remote?.isOwnApp(target) === true;
    const upstream = own ? toOwnApp(ctx, headers, path, target, { appId: ctx.appId, namespace: ctx.invocation.namespace }) : toRemote(ctx, headers, path, target);
    relay(stream, upstream, target, parseGrpcTimeout(headers['grpc-timeout'])).catch((err: unknown) => fail(stream, err));
    return true;
  };
}

/** The internal server's fallback: a remote sidecar relays a call to this sidecar's own app,
 * on behalf of the app its certificate names. Proxying never goes a second hop. */
export function internalAppProxy(ctx: CoreContext, callerOf: (stream: ServerHttp2Stream) => Caller | undefined): Fallback {
  return (stream, headers, path) => {
    const target = targetOf(headers) ?? '';
    const caller = callerOf(stream);
    const upstream = !caller
      ? Promise.reject(new DaprError('ERR_DIRECT_INVOKE', 'failed to proxy request: the calling sidecar has no identity'))
      : target !== ctx.appId
        ? Promise.reject(new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: this sidecar serves app ${ctx.appId} only`))
        : toOwnApp(ctx, headers, path, target, caller);
    relay(stream, upstream, target, parseGrpcTimeout(headers['grpc-timeout'])).catch((err: unknown) => fail(stream, err));
    return true;
  };
}

function pairsOf(headers: IncomingHttpHeaders): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k.startsWith(':')) continue;
    for (const one of Array.isArray(v) ? v : [v]) pairs.push([k, String(one)]);
  }
  return pairs;
}

function outgoing(path: string, pairs: ReadonlyArray<readonly [string, string]>): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': path, te: 'trailers' };
  for (const [k, v] of pairs) {
    if (k === 'te') continue;
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }
  return out;
}

type Upstream = Promise<{ open: (signal: CallSignal) => Promise<ClientHttp2Stream> }>;

async function toOwnApp(ctx: CoreContext, headers: IncomingHttpHeaders, path: string, target: string, caller: Caller): Upstream {
  const channel = ctx.invocation.channel();
  if (!channel?.openStream) {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: ${path} needs a gRPC app (--app-protocol grpc or grpcs)`);
  }
  if (!ctx.invocation.appReachable()) throw new DaprError('ERR_DIRECT_INVOKE_NOT_READY', 'invoke API is not ready');
  const out = outgoing(path, appHeaders(ctx, pairsOf(headers), ctx.appId, caller));
  return { open: (signal) => channel.openStream!(out, signal) };
}

async function toRemote(ctx: CoreContext, headers: IncomingHttpHeaders, path: string, target: string): Upstream {
  const remote = ctx.remote;
  if (!remote) {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: couldn't find service: ${target} (invocation of other apps is off on this sidecar: it has no trust bundle)`);
  }
  // Tokens and identities stay here; the remote sidecar sets its own.
  const out = outgoing(path, forwardable(ctx, pairsOf(headers)));
  return { open: (signal) => remote.openStream(target, out, signal) };
}

async function relay(stream: ServerHttp2Stream, pending: Upstream, target: string, deadlineMs: number | undefined): Promise<void> {
  // The caller's deadline travels to the app, but an app that never answers must not hold the
  // call open past it: the sidecar ends it too, as daprd's proxy does with the call's context.
  let upstreamOf: ClientHttp2Stream | undefined;
  const timer = deadlineMs === undefined ? undefined : setTimeout(() => {
    upstreamOf?.close(http2.constants.NGHTTP2_CANCEL);
    // Once the answer began, its status could only follow data the caller may not be reading.
    if (stream.headersSent) stream.close(http2.constants.NGHTTP2_CANCEL);
    else fail(stream, new GrpcStatusError(GrpcCode.DEADLINE_EXCEEDED, 'context deadline exceeded'));
  }, deadlineMs);
  if (timer) stream.once('close', () => clearTimeout(timer));
  const { open } = await pending;
  // Cancels a pending open only: once open, the caller's close cancels the upstream stream
  // itself (aborting a signal on every finished call would cost a DOMException each).
  const cancel = new Cancellation();
  const onEarlyClose = (): void => cancel.abort();
  stream.once('close', onEarlyClose);
  const upstream = (upstreamOf = await open(cancel));
  stream.removeListener('close', onEarlyClose);
  if (stream.destroyed || stream.closed) return void upstream.close(http2.constants.NGHTTP2_CANCEL);

  let trailers: http2.OutgoingHttpHeaders | undefined;
  // The upstream body is piped only once the caller has its response headers. A write before
  // respond() makes node answer on its own (default headers, no content-type, no trailers, so
  // the caller's call ends without a grpc-status), and under load HEADERS and DATA arriving in
  // one read reach us as 'data' before 'response'. Until piped, the body waits in the stream.
  upstream.once('response', (h, flags: number) => {
    // Already answered (an upstream error failed the call first): respond() again would throw
    // outside any handler and take the whole sidecar down.
    if (stream.destroyed || stream.headersSent) return void upstream.resume();
    // Not a gRPC answer (an HTTP error page, a status HTTP/2 cannot relay): the status
    // grpc-go's client gives daprd for it, never the app's headers as they are.
    if (h[':status'] !== 200) {
      const { code, message } = nonGrpcAnswer(String(h[':status']));
      upstream.close(http2.constants.NGHTTP2_CANCEL);
      return fail(stream, new GrpcStatusError(code as GrpcCode, message));
    }
    try {
      if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
        stream.respond(relayable(h), ENDED); // trailers-only answer
        return void upstream.resume();
      }
      stream.respond(relayable(h), ANSWER);
    } catch {
      // a header node will not send on (the app's own data): the call fails, the sidecar stays
      upstream.close(http2.constants.NGHTTP2_CANCEL);
      return fail(stream, new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: the app's answer has headers that cannot be relayed`));
    }
    upstream.pipe(stream, { end: false });
  });
  upstream.on('trailers', (t) => (trailers = relayable(t)));
  // An upstream that ends without trailers gave no status: that is a failed call, not an OK one.
  stream.on('wantTrailers', () => stream.sendTrailers(trailers ?? toGrpcTrailers(new GrpcStatusError(GrpcCode.INTERNAL, `failed to proxy request to app ${target}: the call ended without a gRPC status`))));
  upstream.once('end', () => {
    if (!stream.destroyed && stream.headersSent && !stream.writableEnded) stream.end();
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => fail(stream, new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: ${connectionProblem(err)}`)));
  // The app's side closed before its answer ended (its connection went away, or it reset the
  // call without an error we see): the caller must still get a status, not wait forever.
  upstream.once('close', () => {
    if (!stream.destroyed && !stream.closed && !stream.writableEnded) {
      fail(stream, new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: the app closed the call without a status`));
    }
  });
  // the caller went away: cancel the app's side too
  stream.once('close', () => upstream.destroyed || upstream.close(http2.constants.NGHTTP2_CANCEL));
  relayRequest(stream, upstream);
}

function relayable(h: IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !NOT_RELAYED.has(k) && (k === ':status' || !k.startsWith(':'))) out[k] = v;
  return out;
}

function connectionProblem(err: NodeJS.ErrnoException): string {
  const cause = err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  const code = cause?.code ?? err.code;
  if (code === 'ECONNREFUSED') return 'the app is not reachable (ECONNREFUSED)';
  // a TLS failure on the internal connection (the remote sidecar did not prove its identity)
  if (cause && !cause.code) return `the call failed (${cause.message})`;
  return `the call to the app failed (${code ?? err.message})`;
}

/** Ends the caller's call with an error status, however far it got. */
function fail(stream: ServerHttp2Stream, err: unknown): void {
  if (stream.destroyed || stream.closed) return;
  const t = toGrpcTrailers(err);
  if (!stream.headersSent) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...t }, ENDED);
  } else if (!stream.writableEnded) {
    stream.removeAllListeners('wantTrailers');
    stream.once('wantTrailers', () => stream.sendTrailers(t));
    stream.end();
  } else {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
  stream.resume();
}
