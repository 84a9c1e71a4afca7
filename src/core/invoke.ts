// Service invocation, written once for both APIs: check the target, build exactly the headers
// the app receives, call it through the app channel — or, for another app, through that app's
// sidecar (src/remote) — and turn failures into Dapr errors. The app's status, headers and
// body come back unchanged (the adapters relay them).
import type { Readable } from 'node:stream';
import { readAll } from '../util/read-all.js';
import { DaprError } from '../errors/table.js';
import { AppChannelError, type AppChannel, type AppRequest, type AppResponse, type HeaderPairs, type StreamedAppResponse } from '../appchannel/channel.js';
import type { CoreContext } from './context.js';
import { invokeExternal, isUrlTarget, namedEndpoint } from './invoke-external.js';
import type { CallSignal } from '../util/call-signal.js';
import { normalizeMethod } from './invoke-method.js';

export interface InvokeCall {
  readonly appId: string;
  /** as the caller wrote it, without the leading '/' */
  readonly method: string;
  readonly verb: string;
  /** raw query string without '?' */
  readonly query: string;
  /** what the caller sent, the API token already removed; filtered here */
  readonly headers: HeaderPairs;
  readonly body: Uint8Array;
  readonly signal?: CallSignal;
  readonly timeoutMs?: number;
}

/** Who is calling the own app: this sidecar's app, or (internal server) a remote sidecar's
 * app as its mTLS certificate proves. */
export interface Caller {
  readonly appId: string;
  readonly namespace?: string;
}

export const CALLER_APP_ID = 'dapr-caller-app-id';
export const CALLEE_APP_ID = 'dapr-callee-app-id';
export const CALLER_NAMESPACE = 'dapr-caller-namespace';

// Connection-scoped headers (RFC 9110 §7.6.1) and those the channel sets itself.
const NEVER_FORWARDED = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length',
  // the caller's API token: already stripped by the API gate; dropped again so no path can leak it
  'dapr-api-token',
  // identities the sidecar vouches for: a caller must not be able to spoof them
  CALLER_APP_ID, CALLEE_APP_ID, CALLER_NAMESPACE,
]);

export async function invokeMethod(ctx: CoreContext, call: InvokeCall): Promise<AppResponse> {
  call = withCleanMethod(call);
  const endpoint = namedEndpoint(ctx, call.appId);
  if (endpoint || isUrlTarget(call.appId)) return (await invokeExternal(ctx, call, undefined, endpoint)) as AppResponse;
  if (call.appId === ctx.appId || ctx.remote?.isOwnApp(call.appId)) return invokeLocal(ctx, call, { appId: ctx.appId, namespace: ctx.invocation.namespace });
  if (!ctx.remote) {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${call.appId}, err: couldn't find service: ${call.appId} (invocation of other apps is off on this sidecar: it has no trust bundle)`);
  }
  // Never to another sidecar: the caller's API token, this sidecar's app token, identities.
  return ctx.remote.invoke(call.appId, {
    verb: call.verb,
    method: call.method,
    query: call.query,
    headers: forwardable(ctx, call.headers),
    body: call.body,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
  });
}

/** The body of an invocation as it arrives (the HTTP API's URL and header forms). */
export interface BodyStream {
  readonly stream: Readable;
  /** the length the caller declared, if any */
  readonly length?: number;
}

/**
 * invokeMethod with the body and the answer relayed as they flow, where the path allows it:
 * the own app over HTTP/1.1 or h2c (the channel's `invokeStreaming`), and another app through
 * its sidecar (CallLocalStream). A gRPC app reads the body whole (still limited by the stream)
 * and answers buffered, as before.
 */
export async function invokeMethodStreamed(ctx: CoreContext, call: InvokeCall, body: BodyStream | undefined): Promise<AppResponse | StreamedAppResponse> {
  call = withCleanMethod(call);
  const endpoint = namedEndpoint(ctx, call.appId);
  if (endpoint || isUrlTarget(call.appId)) return invokeExternal(ctx, call, body, endpoint);
  if (call.appId === ctx.appId || ctx.remote?.isOwnApp(call.appId)) {
    return invokeLocalStreamed(ctx, call, body, { appId: ctx.appId, namespace: ctx.invocation.namespace });
  }
  if (!ctx.remote?.invokeStreaming) return invokeMethod(ctx, body ? { ...call, body: await readAll(body.stream) } : call);
  // Never to another sidecar: the caller's API token, this sidecar's app token, identities.
  return ctx.remote.invokeStreaming(call.appId, {
    verb: call.verb,
    method: call.method,
    query: call.query,
    headers: forwardable(ctx, call.headers),
    body: call.body,
    bodyStream: body?.stream,
    bodyLength: body?.length,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
  });
}

/** invokeLocal with the body and the answer relayed as they flow where the channel can (HTTP
 * and h2c apps); otherwise (gRPC apps) the body is read whole first. */
export async function invokeLocalStreamed(ctx: CoreContext, call: InvokeCall, body: BodyStream | undefined, caller: Caller): Promise<AppResponse | StreamedAppResponse> {
  const channel = readyChannel(ctx, call);
  if (!channel.invokeStreaming) return invokeLocal(ctx, body ? { ...call, body: await readAll(body.stream) } : call, caller);
  try {
    return await channel.invokeStreaming(appRequest(ctx, call, caller, body));
  } catch (err) {
    throw channelFailure(err, call.appId);
  }
}

/** The call with its method checked and cleaned (invoke-method.ts), before it goes anywhere. */
function withCleanMethod(call: InvokeCall): InvokeCall {
  const method = normalizeMethod(call.appId, call.method);
  return method === call.method ? call : { ...call, method };
}

/** The call as the own app receives it: this sidecar's identity headers and app token set;
 * `body` for invokeStreaming. */
function appRequest(ctx: CoreContext, call: InvokeCall, caller: Caller, body?: BodyStream): AppRequest {
  return {
    verb: call.verb,
    // again here: a call from another sidecar arrives by this path only
    method: normalizeMethod(call.appId, call.method),
    query: call.query,
    headers: appHeaders(ctx, call.headers, ctx.appId, caller),
    body: call.body,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
    bodyStream: body?.stream,
    bodyLength: body?.length,
  };
}

/** The own app's channel, if a call may go to it now. */
function readyChannel(ctx: CoreContext, call: InvokeCall): AppChannel {
  const inv = ctx.invocation;
  const channel = inv.channel();
  if (!channel) {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${ctx.appId}, err: app channel is not initialized (the sidecar runs without --app-port)`);
  }
  if (!inv.appReachable()) throw new DaprError('ERR_DIRECT_INVOKE_NOT_READY', 'invoke API is not ready');
  // App health (--enable-app-health-check): daprd's app channel refuses while the probes fail.
  if (!inv.appHealthy()) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${call.appId}, err: rpc error: code = Internal desc = app is not in a healthy state`);
  return channel;
}

/** A channel failure as the caller's Dapr error; anything else (e.g. the caller's body
 * over the size limit) passes unchanged. */
export function channelFailure(err: unknown, appId: string): unknown {
  if (!(err instanceof AppChannelError)) return err;
  if (err.kind === 'timeout') return new DaprError('ERR_DIRECT_INVOKE_TIMEOUT', `failed to invoke, id: ${appId}, err: ${err.message}`);
  return new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${appId}, err: ${err.message}`);
}

/** Calls the own app through the app channel, on behalf of `caller`. */
export async function invokeLocal(ctx: CoreContext, call: InvokeCall, caller: Caller): Promise<AppResponse> {
  const channel = readyChannel(ctx, call);
  try {
    return await channel.invoke(appRequest(ctx, call, caller));
  } catch (err) {
    throw channelFailure(err, call.appId);
  }
}

/** The caller's headers minus connection-scoped ones, tokens and the identities the sidecar
 * owns — what may travel on (to the own app, or to another sidecar). */
export function forwardable(ctx: CoreContext, incoming: HeaderPairs): Array<[string, string]> {
  const tokenHeader = ctx.invocation.tokenHeader;
  // Headers the caller listed in Connection are connection-scoped too (rare: no set is built
  // per call without them).
  let listed: Set<string> | undefined;
  for (const [k, v] of incoming) if (k === 'connection') for (const t of v.split(',')) (listed ??= new Set()).add(t.trim().toLowerCase());
  const out: Array<[string, string]> = [];
  for (const [k, v] of incoming) {
    if (NEVER_FORWARDED.has(k) || k === tokenHeader || listed?.has(k) || k.startsWith('proxy-')) continue;
    out.push([k, v]);
  }
  return out;
}

/** Exactly what the own app receives: the forwardable headers plus the identities and the
 * app token, which the sidecar SETS. */
export function appHeaders(ctx: CoreContext, incoming: HeaderPairs, callee: string, caller: Caller = { appId: ctx.appId, namespace: ctx.invocation.namespace }): Array<[string, string]> {
  const inv = ctx.invocation;
  const out = forwardable(ctx, incoming);
  out.push([CALLER_APP_ID, caller.appId], [CALLEE_APP_ID, callee]);
  // dapr-caller-namespace only where namespaces mean something (Kubernetes mode), as before
  if (inv.namespace) out.push([CALLER_NAMESPACE, caller.namespace ?? inv.namespace]);
  const token = inv.appToken();
  if (token) out.push([inv.tokenHeader, token]);
  return out;
}
