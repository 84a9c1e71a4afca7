// The HTTP API server: node:http + find-my-way. One request pipeline for every route:
//   CORS → match route → token check (unless the MATCHED route is exempt) → 404/405
//   → body (size-limited) → handler → response.
// The token check runs before the 404 decision, so an unauthenticated caller learns nothing
// about which routes exist, and exemption can't be reached by path tricks: it is a property
// of the route the router picked, not of the request's text.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { DaprError } from '../../errors/table.js';
import type { ApiTokenCheck, Verdict } from '../../security/api-token.js';
import { readBody } from './body.js';
import { ApiRequest, scanRawHeaders, stripToken } from './incoming.js';
import { createCors } from './cors.js';
import { toHttp, UNAUTHORIZED } from './errors.js';
import type { HttpResponse, RouteDef } from './types.js';

export interface HttpObserver {
  /** startedAt: performance.now() when the request arrived */
  (route: RouteDef | undefined, method: string, status: number, startedAt: number): void;
}

export interface HttpServerOptions {
  readonly routes: readonly RouteDef[];
  readonly auth: ApiTokenCheck;
  readonly maxBodyBytes: number;
  readonly maxHeaderBytes: number;
  readonly allowedOrigins: readonly string[];
  readonly observe?: HttpObserver;
  readonly onAuthDenied?: (verdict: Exclude<Verdict, 'allow'>, route: RouteDef | undefined, peer: string) => void;
}

const EMPTY_QUERY = new URLSearchParams();
const EMPTY_BODY = Buffer.alloc(0);
const NO_APP_ID = new DaprError('ERR_DIRECT_INVOKE_NO_APP_ID', 'failed getting app id either from the URL path or the header dapr-app-id');

export function createHttpServer(opts: HttpServerOptions): http.Server {
  const router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true });
  for (const r of opts.routes) router.on(r.method, r.path, () => {}, r);
  const cors = createCors(opts.allowedOrigins);

  const server = http.createServer(
    { maxHeaderSize: opts.maxHeaderBytes, keepAliveTimeout: 65_000, requestTimeout: 0 },
    handle,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooBig = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify({
      errorCode: 'ERR_MALFORMED_REQUEST',
      message: tooBig ? 'request headers too large (--read-buffer-size)' : `malformed HTTP request: ${err.code ?? err.message}`,
    });
    socket.end(
      `HTTP/1.1 ${tooBig ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (cors?.handle(req, res)) return opts.observe?.(undefined, method, 200, started);
    const qi = url.indexOf('?');
    const found = router.find(method as never, qi >= 0 ? url.slice(0, qi) : url);
    const route = found?.store as RouteDef | undefined;
    const scan = scanRawHeaders(req.rawHeaders);

    if (opts.auth.enabled && !route?.authExempt) {
      const verdict = opts.auth.check(scan.token);
      if (verdict !== 'allow') {
        opts.onAuthDenied?.(verdict, route, req.socket.remoteAddress ?? '');
        req.resume();
        return send(res, UNAUTHORIZED, route, method, started);
      }
    }
    // Whatever happens next, the caller's token goes no further than this point.
    if (scan.token !== undefined) stripToken(req);
    if (!route) {
      // daprd sends every unmatched path or method to service invocation, which without a
      // target app answers 404 ERR_DIRECT_INVOKE; we answer the same.
      req.resume();
      return send(res, toHttp(NO_APP_ID), route, method, started);
    }
    const query = qi >= 0 ? new URLSearchParams(url.slice(qi + 1)) : EMPTY_QUERY;
    const run = (body: Buffer) => route.handler(new ApiRequest(req, method, found!.params, query, body));
    const fail = (err: unknown): void => {
      if (err instanceof DaprError && err.code === 'ERR_BODY_TOO_LARGE') res.setHeader('connection', 'close');
      send(res, toHttp(err), route, method, started);
    };
    try {
      const result = scan.hasBody ? readBody(req, opts.maxBodyBytes).then(run) : run(EMPTY_BODY);
      if (result instanceof Promise) result.then((r) => send(res, r, route, method, started), fail);
      else send(res, result, route, method, started);
    } catch (err) {
      fail(err);
    }
  }

  function send(res: ServerResponse, r: HttpResponse, route: RouteDef | undefined, method: string, started: number): void {
    if (!res.destroyed) {
      const length = r.body === undefined ? 0 : typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length;
      res.writeHead(r.status, r.status === 204 ? r.headers : { ...r.headers, 'content-length': length });
      res.end(r.body);
    }
    opts.observe?.(route, method, r.status, started);
  }

  return server;
}
