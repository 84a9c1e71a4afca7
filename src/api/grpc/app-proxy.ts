// Transparent gRPC proxying: a call to a service this sidecar does not serve, carrying
// `dapr-app-id` (or `dapr-callee-app-id`) metadata naming the own app, is relayed to the gRPC
// app frame by frame — unary and streaming alike, messages never decoded. It runs after the
// API gate (the caller's token is already gone); the app receives the same identities and
// app token as with InvokeService.
import http2, { type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { CoreContext } from '../../core/context.js';
import { appHeaders } from '../../core/invoke.js';
import { DaprError } from '../../errors/table.js';
import type { Fallback } from './server.js';
import { toGrpcTrailers } from './status.js';

// HTTP/2 forbids connection-specific fields; the app's own pseudo-headers are rebuilt.
const NOT_RELAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function appProxy(ctx: CoreContext): Fallback {
  return (stream, headers, path) => {
    const target = first(headers['dapr-app-id']) ?? first(headers['dapr-callee-app-id']);
    if (target === undefined) return false;
    proxy(ctx, stream, headers, path, target).catch((err: unknown) => fail(stream, err));
    return true;
  };
}

async function proxy(ctx: CoreContext, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, path: string, target: string): Promise<void> {
  if (target !== ctx.appId) {
    throw new DaprError('ERR_DIRECT_INVOKE', `app ${target} not found: invoking other apps arrives with sidecar-to-sidecar invocation`);
  }
  const channel = ctx.invocation.channel();
  if (!channel?.openStream) {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: ${path} needs a gRPC app (--app-protocol grpc)`);
  }
  if (!ctx.invocation.appReachable()) throw new DaprError('ERR_DIRECT_INVOKE_NOT_READY', 'invoke API is not ready');

  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || k.startsWith(':')) continue;
    for (const one of Array.isArray(v) ? v : [v]) pairs.push([k, String(one)]);
  }
  const out: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': path, te: 'trailers' };
  for (const [k, v] of appHeaders(ctx, pairs, target)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }

  const cancel = new AbortController();
  stream.once('close', () => cancel.abort());
  const upstream = await channel.openStream(out, cancel.signal);
  if (stream.destroyed || stream.closed) return void upstream.close(http2.constants.NGHTTP2_CANCEL);

  let trailers: http2.OutgoingHttpHeaders | undefined;
  upstream.on('response', (h, flags: number) => {
    const relayed = relayable(h);
    const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    if (stream.destroyed) return;
    if (endStream) stream.respond(relayed, { endStream: true }); // trailers-only answer
    else stream.respond(relayed, { waitForTrailers: true });
  });
  upstream.on('trailers', (t) => (trailers = relayable(t)));
  stream.on('wantTrailers', () => stream.sendTrailers(trailers ?? { 'grpc-status': '0' }));
  upstream.pipe(stream, { end: false });
  upstream.once('end', () => {
    if (!stream.destroyed && stream.headersSent && !stream.writableEnded) stream.end();
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => fail(stream, new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${target}: ${connectionProblem(err)}`)));
  // the caller went away: cancel the app's side too
  stream.once('close', () => upstream.destroyed || upstream.close(http2.constants.NGHTTP2_CANCEL));
  stream.pipe(upstream);
}

function relayable(h: IncomingHttpHeaders): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !NOT_RELAYED.has(k) && (k === ':status' || !k.startsWith(':'))) out[k] = v;
  return out;
}

function connectionProblem(err: NodeJS.ErrnoException): string {
  const code = (err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? err.code;
  return code === 'ECONNREFUSED' ? 'the app is not reachable (ECONNREFUSED)' : `the call to the app failed (${code ?? err.message})`;
}

/** Ends the caller's call with an error status, however far it got. */
function fail(stream: ServerHttp2Stream, err: unknown): void {
  if (stream.destroyed || stream.closed) return;
  const t = toGrpcTrailers(err);
  if (!stream.headersSent) {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...t }, { endStream: true });
  } else if (!stream.writableEnded) {
    stream.removeAllListeners('wantTrailers');
    stream.once('wantTrailers', () => stream.sendTrailers(t));
    stream.end();
  } else {
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }
  stream.resume();
}
