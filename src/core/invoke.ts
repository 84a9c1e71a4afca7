// Service invocation, written once for both APIs: check the target, build exactly the headers
// the app receives, call it through the app channel, and turn channel failures into Dapr
// errors. The app's status, headers and body come back unchanged (the adapters relay them).
// Local only for now: the target must be this sidecar's own app.
import { DaprError } from '../errors/table.js';
import { AppChannelError, type AppResponse, type HeaderPairs } from '../appchannel/channel.js';
import type { CoreContext } from './context.js';

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
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
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
  const inv = ctx.invocation;
  if (call.appId !== ctx.appId) {
    throw new DaprError('ERR_DIRECT_INVOKE', `app ${call.appId} not found: invoking other apps arrives with sidecar-to-sidecar invocation`);
  }
  const channel = inv.channel();
  if (!channel) {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${call.appId}, err: app channel is not initialized (the sidecar runs without --app-port)`);
  }
  if (!inv.appReachable()) throw new DaprError('ERR_DIRECT_INVOKE_NOT_READY', 'invoke API is not ready');
  try {
    return await channel.invoke({
      verb: call.verb,
      method: call.method,
      query: call.query,
      headers: appHeaders(ctx, call.headers, call.appId),
      body: call.body,
      signal: call.signal,
      timeoutMs: call.timeoutMs,
    });
  } catch (err) {
    if (!(err instanceof AppChannelError)) throw err;
    if (err.kind === 'timeout') throw new DaprError('ERR_DIRECT_INVOKE_TIMEOUT', `failed to invoke, id: ${call.appId}, err: ${err.message}`);
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${call.appId}, err: ${err.message}`);
  }
}

/** Exactly what the own app receives: the caller's headers minus connection-scoped and
 * sidecar-owned ones, plus the identities and the app token, which the sidecar SETS. */
export function appHeaders(ctx: CoreContext, incoming: HeaderPairs, callee: string): Array<[string, string]> {
  const inv = ctx.invocation;
  const dropped = new Set(NEVER_FORWARDED);
  dropped.add(inv.tokenHeader);
  // Headers the caller listed in Connection are connection-scoped too.
  for (const [k, v] of incoming) if (k === 'connection') for (const t of v.split(',')) dropped.add(t.trim().toLowerCase());
  const out: Array<[string, string]> = [];
  for (const [k, v] of incoming) if (!dropped.has(k) && !k.startsWith('proxy-')) out.push([k, v]);
  out.push([CALLER_APP_ID, ctx.appId], [CALLEE_APP_ID, callee]);
  if (inv.namespace) out.push([CALLER_NAMESPACE, inv.namespace]);
  const token = inv.appToken();
  if (token) out.push([inv.tokenHeader, token]);
  return out;
}
