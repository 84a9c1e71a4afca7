// HTTP adapter of service invocation: /v1.0/invoke/{app-id}/method/{method…} on every verb,
// and the dapr-app-id header form (a path no route matches, sent to the app named by the
// header). Method, query and body are relayed byte for byte; the app's answer comes back as is.
import type { CoreContext } from '../../core/context.js';
import { invokeMethod } from '../../core/invoke.js';
import type { AppResponse } from '../../appchannel/channel.js';
import type { FallbackRoute, HttpMethod, HttpRequest, HttpResponse, RouteDef } from './types.js';

const VERBS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE'];
export const INVOKE_PATH = '/v1.0/invoke/:appId/method/*';
// The method is taken from the raw target, not the router's decoded copy, so that the app
// sees exactly what the caller wrote (%2F stays %2F).
const METHOD_IN_PATH = /^\/*v1\.0\/+invoke\/+[^/]*\/+method\/*(.*)$/;
const APP_ID_HEADER = 'dapr-app-id';

export function invokeRoutes(ctx: CoreContext): RouteDef[] {
  const handler = (req: HttpRequest) => {
    const { path, query } = splitUrl(req.url);
    return call(ctx, req, req.params.appId ?? '', METHOD_IN_PATH.exec(path)?.[1] ?? '', query);
  };
  return VERBS.map((method) => ({ method, path: INVOKE_PATH, group: 'invoke', handler }));
}

/** The dapr-app-id header form: the whole path is the method. */
export function invokeByHeader(ctx: CoreContext): FallbackRoute {
  return {
    matches: (raw) => headerValue(raw, APP_ID_HEADER) !== undefined,
    def: {
      method: 'GET', // not registered with the router: any verb arrives here
      path: `(${APP_ID_HEADER} header)`,
      group: 'invoke',
      handler: (req) => {
        const { path, query } = splitUrl(req.url);
        return call(ctx, req, headerValue(req.rawHeaders, APP_ID_HEADER) ?? '', path.replace(/^\/+/, ''), query);
      },
    },
  };
}

async function call(ctx: CoreContext, req: HttpRequest, appId: string, method: string, query: string): Promise<HttpResponse> {
  const headers: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  const res = await invokeMethod(ctx, { appId, method, verb: req.method, query, headers, body: req.body });
  return toHttpResponse(res);
}

function toHttpResponse(res: AppResponse): HttpResponse {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of res.headers) {
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { status: res.status, headers, body: res.body };
}

function splitUrl(url: string): { path: string; query: string } {
  const qi = url.indexOf('?');
  return qi < 0 ? { path: url, query: '' } : { path: url.slice(0, qi), query: url.slice(qi + 1) };
}

function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}
