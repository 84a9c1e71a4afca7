// Service invocation of an endpoint outside Dapr: a full URL as the target
// (`/v1.0/invoke/https://api.example.com/v2/method/users`, or InvokeService with that id), as
// daprd 1.11+ accepts it. The request goes to <URL>/<method>?<query> with the caller's
// forwardable headers only: never the caller's API token, never this sidecar's app token,
// and none of the dapr-caller-*/callee identities (they vouch for Dapr apps, and would tell a
// third party this deployment's app ids). The answer comes back unchanged.
import type { AppRequest, AppResponse, StreamedAppResponse } from '../appchannel/channel.js';
import { DaprError } from '../errors/table.js';
import type { CoreContext } from './context.js';
import type { HttpEndpoint } from '../components/http-endpoint.js';
import { channelFailure, forwardable, type BodyStream, type InvokeCall } from './invoke.js';

/** true when the target names an endpoint by URL rather than a Dapr app id */
export const isUrlTarget = (target: string): boolean => /^https?:\/\//i.test(target);

/** The target's URL, or ERR_DIRECT_INVOKE naming what is wrong with it. */
export function targetUrl(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${target}, err: the target is not a valid URL`);
  }
  if (url.username || url.password) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${url.origin}, err: credentials in the target URL are not sent`);
  if (url.search || url.hash) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${target}, err: the target URL must not carry a query or fragment (put the query on the invocation)`);
  return url;
}

/** The request as the endpoint receives it: <URL path>/<method>, the caller's query, the
 * caller's forwardable headers with the HTTPEndpoint's own set over them. */
function externalRequest(ctx: CoreContext, call: InvokeCall, url: URL, endpoint?: HttpEndpoint, body?: BodyStream): AppRequest {
  const base = url.pathname.replace(/^\/+|\/+$/g, '');
  let headers = forwardable(ctx, call.headers);
  if (endpoint?.headers.length) {
    const own = new Set(endpoint.headers.map(([k]) => k));
    headers = [...headers.filter(([k]) => !own.has(k)), ...endpoint.headers.map(([k, v]): [string, string] => [k, v])];
  }
  return {
    verb: call.verb,
    method: base ? `${base}/${call.method}` : call.method,
    query: call.query,
    headers,
    body: call.body,
    signal: call.signal,
    timeoutMs: call.timeoutMs,
    bodyStream: body?.stream,
    bodyLength: body?.length,
  };
}

/** The HTTPEndpoint resource a target names, if any (names win over app ids, as in daprd). */
export const namedEndpoint = (ctx: CoreContext, target: string): HttpEndpoint | undefined => ctx.httpEndpoints?.get(target);

/** Calls the endpoint — a URL target, or the HTTPEndpoint `endpoint` — relaying the body as it
 * flows when `body` is given (HTTP API). */
export async function invokeExternal(ctx: CoreContext, call: InvokeCall, body?: BodyStream, endpoint?: HttpEndpoint): Promise<AppResponse | StreamedAppResponse> {
  const url = endpoint?.url ?? targetUrl(call.appId);
  const id = endpoint?.name ?? url.origin;
  if (!ctx.external) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${id}, err: invocation of endpoints outside Dapr is off on this sidecar`);
  const channel = ctx.external.channel(url, endpoint);
  try {
    const req = externalRequest(ctx, call, url, endpoint, body);
    return body && channel.invokeStreaming ? await channel.invokeStreaming(req) : await channel.invoke(req);
  } catch (err) {
    throw channelFailure(err, id);
  }
}
