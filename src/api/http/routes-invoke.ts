// HTTP adapter of service invocation: /v1.0/invoke/{app-id}/method/{method…} on every verb,
// and the forms daprd accepts on a path no route matches: the dapr-app-id header and the
// Basic-auth form (`http://dapr-app-id:<app-id>@host/<method>`). Method, query and body are
// relayed byte for byte — streamed where the path allows (core/invoke.ts
// invokeMethodStreamed); the app's answer comes back as is. The call is tied to the caller's
// connection: if it closes before the answer, the call to the app is aborted.
import { posix } from 'node:path';
import type { CoreContext } from '../../core/context.js';
import { invokeMethodStreamed } from '../../core/invoke.js';
import { isGrpcAnswer, isStreamed, type AppResponse, type StreamedAppResponse } from '../../appchannel/channel.js';
import { DaprError } from '../../errors/table.js';
import { AUTHORIZATION_HEADER } from '../../security/api-token.js';
import { appIdOfBasic } from './app-id-basic.js';
import type { FallbackRoute, HttpMethod, HttpRequest, HttpResponse, RouteDef } from './types.js';
import { goHeaderValue, isHeaderName } from '../../util/header-chars.js';

const VERBS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'];
export const INVOKE_PATH = '/v1.0/invoke/:appId/method/*';
// The method is taken from the raw target, not the router's decoded copy, so that the app
// sees exactly what the caller wrote (%2F stays %2F).
const METHOD_IN_PATH = /^\/*v1\.0\/+invoke\/+[^/]*\/+method\/*(.*)$/;
// Any other /v1.0/invoke/… path, as daprd's findTargetIDAndMethod reads it: everything before
// the first "/method/" is the target. That is how a full URL arrives (`http://host/…`, whose
// "//" the router would fold, or percent-encoded as `http%3A%2F%2Fhost`).
export const INVOKE_ANY_PATH = '/v1.0/invoke/*';
const TARGET_IN_PATH = /^\/*v1\.0\/+invoke\/+(.+?)\/method\/(.*)$/s;
const APP_ID_HEADER = 'dapr-app-id';

const NO_APP_ID = 'failed getting app id either from the URL path or the header dapr-app-id';

export function invokeRoutes(ctx: CoreContext): RouteDef[] {
  const handler = (req: HttpRequest) => {
    const { path, query } = splitUrl(req.url);
    const target = headerTarget(req.rawHeaders, path) ?? { appId: req.params.appId ?? '', method: METHOD_IN_PATH.exec(path)?.[1] ?? '' };
    return call(ctx, req, target, query);
  };
  const anyTarget = (req: HttpRequest) => {
    const { path, query } = splitUrl(req.url);
    const found = headerTarget(req.rawHeaders, path) ?? pathTarget(path);
    if (!found) throw new DaprError('ERR_DIRECT_INVOKE_NO_APP_ID', NO_APP_ID);
    return call(ctx, req, found, query);
  };
  return VERBS.flatMap((method): RouteDef[] => [
    { method, path: INVOKE_PATH, group: 'invoke', handler, streamBody: true },
    { method, path: INVOKE_ANY_PATH, group: 'invoke', handler: anyTarget, streamBody: true },
  ]);
}

/** The target and method of a raw /v1.0/invoke/<target>/method/<method> path; the target
 * is percent-decoded ('+' a space: Go's QueryUnescape in daprd), the method kept as written. */
export function pathTarget(rawPath: string): HttpInvokeTarget | undefined {
  const m = TARGET_IN_PATH.exec(rawPath);
  if (!m) return undefined;
  let appId = m[1]!;
  try {
    appId = decodeURIComponent(appId.replaceAll('+', ' '));
  } catch {
    // not valid percent-encoding: the target as written
  }
  return { appId, method: m[2]! };
}

/** The dapr-app-id header and Basic-auth forms on a path no route matches: the whole path is
 * the method. */
export function invokeByHeader(ctx: CoreContext): FallbackRoute {
  return {
    matches: (raw) => headerTarget(raw, '/') !== undefined,
    def: {
      method: 'GET', // not registered with the router: any verb arrives here
      path: `(${APP_ID_HEADER} header)`,
      group: 'invoke',
      streamBody: true,
      handler: (req) => {
        const { path, query } = splitUrl(req.url);
        const target = headerTarget(req.rawHeaders, path);
        if (!target) throw new DaprError('ERR_DIRECT_INVOKE_NO_APP_ID', NO_APP_ID);
        return call(ctx, req, target, query);
      },
    },
  };
}

export interface HttpInvokeTarget {
  readonly appId: string;
  readonly method: string;
}

/**
 * The target named by headers, in daprd's order (findTargetIDAndMethod): a non-empty
 * `dapr-app-id` header, else the Basic-auth form. Either beats the app id in a
 * /v1.0/invoke/… URL, and then the whole path, cleaned as Go's path.Clean does, is the method.
 * undefined: no header names a target (the URL's app id decides, or there is none).
 */
export function headerTarget(raw: readonly string[], rawPath: string): HttpInvokeTarget | undefined {
  const header = headerValue(raw, APP_ID_HEADER);
  const appId = header ? header : appIdOfBasic(headerValue(raw, AUTHORIZATION_HEADER));
  return appId === undefined ? undefined : { appId, method: cleanPath(rawPath).replace(/^\//, '') };
}

/** Go's path.Clean for an absolute path: no repeated slashes, no `.`/`..` segments, no
 * trailing slash. */
export function cleanPath(p: string): string {
  const n = posix.normalize(p.startsWith('/') ? p : '/' + p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

async function call(ctx: CoreContext, req: HttpRequest, target: HttpInvokeTarget, query: string): Promise<HttpResponse> {
  if (!target.appId) throw new DaprError('ERR_DIRECT_INVOKE_NO_APP_ID', NO_APP_ID);
  const headers: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  let length: number | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === 'content-length' && length === undefined) length = Number(raw[i + 1]);
    // Addressed to the sidecar, not the app (daprd drops dapr-app-id too).
    if (name === APP_ID_HEADER || (name === AUTHORIZATION_HEADER && appIdOfBasic(raw[i + 1]) !== undefined)) continue;
    headers.push([name, raw[i + 1]!]);
  }
  const body = req.bodyStream && { stream: req.bodyStream, length: Number.isInteger(length) ? length : undefined };
  const res = await invokeMethodStreamed(ctx, { appId: target.appId, method: target.method, verb: req.method, query, headers, body: req.body, signal: req.signal }, body);
  // Node's parser takes any three digits, and an h2c app's :status is free text.
  if (!(res.status >= 100 && res.status <= 999)) {
    if (isStreamed(res)) res.body.destroy();
    throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${target.appId}, err: the app answered with HTTP status ${res.status}`);
  }
  const answer = toHttpResponse(res);
  // e.g. a chunked answer whose framing breaks at once
  return answer.stream ? { ...answer, streamFailure: (err) => new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${target.appId}, err: the app's answer broke off (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`) } : answer;
}

/**
 * A header of the app's answer as Go's server writes it to daprd's caller, or undefined when
 * it is dropped: an invalid name is dropped, CR and LF in a value become spaces, a value past
 * Latin-1 (from a gRPC app's content_type, or an h2c app) goes as its UTF-8 bytes, and one
 * with other control characters is dropped (node cannot send it).
 */
export function relayableHeader(name: string, value: string): string | undefined {
  return isHeaderName(name) ? goHeaderValue(value) : undefined;
}

function toHttpResponse(res: AppResponse | StreamedAppResponse): HttpResponse {
  const headers: Record<string, string | string[]> = {};
  // a gRPC app's binary metadata has no header form (daprd leaves it out too)
  const grpc = !isStreamed(res) && isGrpcAnswer(res);
  for (const [k, raw] of res.headers) {
    if (grpc && k.endsWith('-bin')) continue;
    const v = relayableHeader(k, raw);
    if (v === undefined) continue;
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return isStreamed(res) ? { status: res.status, headers, stream: res.body, length: res.length } : { status: res.status, headers, body: res.body };
}

function splitUrl(url: string): { path: string; query: string } {
  const qi = url.indexOf('?');
  return qi < 0 ? { path: url, query: '' } : { path: url.slice(0, qi), query: url.slice(qi + 1) };
}

function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}
