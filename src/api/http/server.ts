// The HTTP API server: node:http + find-my-way. One request pipeline for every route:
//   CORS → match route → API gate (unless the MATCHED route is exempt) → route, or daprd's
//   invocation fallback (404 ERR_DIRECT_INVOKE without dapr-app-id) → body (size-limited;
//   read whole, or for `streamBody` routes handed over as a limited stream) → handler →
//   response (a buffer, or a stream relayed with backpressure).
// The gate (token, API allow list, JWT scopes) runs before the 404 decision, so an
// unauthenticated caller learns nothing about which routes exist, and exemption can't be
// reached by path tricks: it is a property of the route the router picked, not of the
// request's text. With static tokens only the gate answers synchronously; a JWT not yet in
// its cache makes it answer with a Promise, and the pipeline resumes when it settles.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import { DaprError } from '../../errors/table.js';
import { bearerToken, outOfScope, refusalKind, type DenyReason, type Verdict } from '../../security/api-token.js';
import type { ApiGate } from '../../security/api-gate.js';
import { HTTP_UNMATCHED, httpTarget, type CallTarget, type Protocol } from '../../security/api-access.js';
import { pipeline } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { readBody, tooLarge } from './body.js';
import { lingerAfter, tooMuchToDrain } from './linger.js';
import { badEscape, literalPercents, routingPath } from './path-escapes.js';
import { limitedBody, STREAM_ABOVE_BYTES } from './body-stream.js';
import { ApiRequest, scanRawHeaders, stripToken, type RawScan } from './incoming.js';
import { createCors } from './cors.js';
import { toHttp, UNAUTHORIZED } from './errors.js';
import type { FallbackRoute, HttpResponse, RouteDef } from './types.js';

export interface HttpObserver {
  /** startedAt: performance.now() when the request arrived */
  (route: RouteDef | undefined, method: string, status: number, startedAt: number): void;
}

export interface HttpServerOptions {
  readonly routes: readonly RouteDef[];
  readonly auth: ApiGate;
  /** the Configuration's API allow/deny lists (absent: every API allowed) */
  readonly apiAllowed?: (protocol: Protocol, name: string, version: string) => boolean;
  readonly maxBodyBytes: number;
  readonly maxHeaderBytes: number;
  readonly allowedOrigins: readonly string[];
  readonly observe?: HttpObserver;
  /** for requests no route matches (the dapr-app-id header form of service invocation) */
  readonly fallback?: FallbackRoute;
}

interface RouteEntry {
  readonly def: RouteDef;
  readonly target: CallTarget;
}

const EMPTY_QUERY = new URLSearchParams();
const EMPTY_BODY = Buffer.alloc(0);
const NO_APP_ID = new DaprError('ERR_DIRECT_INVOKE_NO_APP_ID', 'failed getting app id either from the URL path or the header dapr-app-id');
// RFC 6750 challenges, sent with 401/403 when Authorization: Bearer is accepted.
const withHeader = (r: HttpResponse, value: string): HttpResponse => Object.freeze({ ...r, headers: { ...r.headers, 'www-authenticate': value } });
const BEARER_MISSING = withHeader(UNAUTHORIZED, 'Bearer realm="dapr"');
const BEARER_INVALID = withHeader(UNAUTHORIZED, 'Bearer realm="dapr", error="invalid_token"');

export function createHttpServer(opts: HttpServerOptions): http.Server {
  const router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true });
  const allowed = opts.apiAllowed ?? (() => true);
  for (const r of opts.routes) router.on(r.method, r.path, () => {}, { def: r, target: httpTarget(allowed, r.group, r.path) } satisfies RouteEntry);
  const cors = createCors(opts.allowedOrigins);
  const gate = opts.auth;
  const bearer = gate.allowBearer;

  const server = http.createServer(
    { maxHeaderSize: opts.maxHeaderBytes, keepAliveTimeout: 65_000, requestTimeout: 0 },
    handle,
  );
  // Expect: 100-continue is answered only once the request passed the gate and its body is
  // about to be read (as Go's net/http does), not by node before any check: a caller that
  // will be refused is not invited to upload.
  const wantsContinue = new WeakSet<IncomingMessage>();
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    wantsContinue.add(req);
    handle(req, res);
  });
  // CONNECT (a tunnel request) is no API call, but gets an answer like any path no route
  // matches — 401 without the token — rather than node's silent close; never a tunnel.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const res = new http.ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    handle(req, res);
  });
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
    // A pipelined request waits until the answers before it on its connection are written
    // (node hands its response the socket then): one request at a time per connection, as
    // Go's server serves them. Otherwise a client that pipelines requests and never reads
    // makes the sidecar hold every answer in memory at once.
    if (!res.socket) return void res.once('socket', () => handle(req, res));
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (cors?.handle(req, res)) return opts.observe?.(undefined, method, 200, started);
    const qi = url.indexOf('?');
    const found = router.find(method as never, routingPath(qi >= 0 ? url.slice(0, qi) : url));
    const entry = found?.store as RouteEntry | undefined;
    const route = entry?.def;
    const scan = scanRawHeaders(req.rawHeaders, bearer);

    if (gate.enabled && !route?.authExempt) {
      const presented = scan.token ?? (bearer ? bearerToken(scan.authorization) : undefined);
      const target = entry?.target ?? HTTP_UNMATCHED;
      const verdict = gate.check(presented, target);
      if (verdict !== 'allow') {
        // One continuation for both other answers: a refusal now, or a Promise (unseen JWT).
        const settle = (v: Verdict): void => {
          if (v !== 'allow' && !gate.refused(v, `${method} ${route?.path ?? '(no route)'}`, target, req.socket.remoteAddress ?? '', presented)) {
            return refuse(req, res, v, target, presented, route, method, started);
          }
          proceed(req, res, method, url, qi, found, route, scan, started);
        };
        if (typeof verdict === 'string') return settle(verdict);
        verdict.then(settle, (err: unknown) => send(res, toHttp(err), route, method, started));
        return;
      }
    }
    proceed(req, res, method, url, qi, found, route, scan, started);
  }

  /** Why a path the router could not match is malformed: a bad escape, or a route parameter
   * that is not UTF-8 once decoded (Go would take its bytes; a JS string cannot hold them). */
  function pathProblem(method: string, rawPath: string): string | undefined {
    if (!rawPath.includes('%')) return undefined;
    const bad = badEscape(rawPath);
    if (bad) return bad;
    const meant = router.find(method as never, routingPath(literalPercents(rawPath)));
    return meant ? 'a parameter is not valid UTF-8 once percent-decoded' : undefined;
  }

  function refuse(req: IncomingMessage, res: ServerResponse, reason: DenyReason, target: CallTarget, presented: string | undefined, route: RouteDef | undefined, method: string, started: number): void {
    req.resume();
    const kind = refusalKind(reason);
    if (kind === 'unavailable') return send(res, toHttp(NO_APP_ID), route, method, started);
    if (kind === 'forbidden') {
      const r = toHttp(outOfScope(target.group));
      return send(res, bearer ? withHeader(r, 'Bearer realm="dapr", error="insufficient_scope"') : r, route, method, started);
    }
    send(res, !bearer ? UNAUTHORIZED : presented === undefined ? BEARER_MISSING : BEARER_INVALID, route, method, started);
  }

  function proceed(
    req: IncomingMessage, res: ServerResponse, method: string, url: string, qi: number,
    found: ReturnType<typeof router.find>, route: RouteDef | undefined, scan: RawScan, started: number,
  ): void {
    // Whatever happens next, the caller's token goes no further than this point.
    if (scan.token !== undefined || scan.authorization !== undefined) stripToken(req, bearer);
    if (!route) {
      // A path whose escapes do not decode matched nothing: refused as malformed (Go's server
      // refuses a malformed escape before daprd sees the request), not sent on as a method.
      const malformed = pathProblem(method, qi >= 0 ? url.slice(0, qi) : url);
      if (malformed) {
        req.resume();
        return send(res, toHttp(new DaprError('ERR_MALFORMED_REQUEST', `malformed request path: ${malformed}`)), route, method, started);
      }
      // daprd sends every unmatched path or method to service invocation: with a dapr-app-id
      // header that invokes the app; without one it answers 404 ERR_DIRECT_INVOKE.
      if (method !== 'CONNECT' && opts.fallback?.matches(req.rawHeaders)) return proceed(req, res, method, url, qi, null, opts.fallback.def, scan, started);
      req.resume();
      return send(res, toHttp(NO_APP_ID), route, method, started);
    }
    const query = qi >= 0 ? new URLSearchParams(url.slice(qi + 1)) : EMPTY_QUERY;
    const params = found?.params ?? {};
    const run = (body: Buffer, stream?: Readable) => route.handler(new ApiRequest(req, method, params, query, body, bearer, res, stream));
    // A relayed body is limited as it passes; a declared length above the limit is refused
    // before anything is relayed, as readBody does.
    // A small body of declared length is read whole: cheaper than a stream, and too small
    // for backpressure to matter.
    const streamed = () => {
      const declared = req.headers['content-length'];
      if (declared !== undefined && Number(declared) <= STREAM_ABOVE_BYTES) return readBody(req, opts.maxBodyBytes).then(run);
      if (Number(declared ?? 0) > opts.maxBodyBytes) throw tooLarge(opts.maxBodyBytes);
      return run(EMPTY_BODY, limitedBody(req, opts.maxBodyBytes));
    };
    const fail = (err: unknown): void => {
      if (err instanceof DaprError && err.code === 'ERR_BODY_TOO_LARGE') res.setHeader('connection', 'close');
      send(res, toHttp(err), route, method, started);
    };
    if (scan.hasBody && wantsContinue.has(req)) res.writeContinue();
    try {
      const result = !scan.hasBody ? run(EMPTY_BODY) : route.streamBody ? streamed() : readBody(req, opts.maxBodyBytes).then(run);
      if (result instanceof Promise) result.then((r) => send(res, r, route, method, started), fail);
      else send(res, result, route, method, started);
    } catch (err) {
      fail(err);
    }
  }

  function send(res: ServerResponse, r: HttpResponse, route: RouteDef | undefined, method: string, started: number): void {
    // An answer before a relayed body was read to its end: the rest of it cannot be told
    // apart from a next request, so this connection is not reused. Nor is one whose unread
    // body (a refused upload) is too large to read through, as Go's server decides.
    if (!res.req.complete && !res.headersSent && (route?.streamBody || tooMuchToDrain(res.req))) res.setHeader('connection', 'close');
    if (!res.req.complete && res.getHeader('connection') === 'close') lingerAfter(res);
    if (r.stream) return sendStream(res, r, r.stream, route, method, started);
    if (!res.destroyed) {
      const length = r.body === undefined ? 0 : typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.length;
      try {
        res.writeHead(r.status, r.status === 204 ? r.headers : { ...r.headers, 'content-length': length });
      } catch (err) {
        return unsendable(res, err, route, method, started);
      }
      res.end(r.body);
    }
    opts.observe?.(route, method, r.status, started);
  }

  /** A status or header node will not send: a bug to fix, but never one that stops the
   * process (send runs in a promise's continuation) — the caller gets a 500. */
  function unsendable(res: ServerResponse, err: unknown, route: RouteDef | undefined, method: string, started: number): void {
    if (res.headersSent) {
      res.destroy();
      return opts.observe?.(route, method, 500, started);
    }
    send(res, toHttp(new DaprError('ERR_INTERNAL', `the answer could not be sent (${(err as NodeJS.ErrnoException).code ?? 'invalid head'})`)), route, method, started);
  }

  /** Relays a streamed answer with backpressure; if the caller goes away, destroying the
   * stream ends the work behind it (the call to the app). */
  function sendStream(res: ServerResponse, r: HttpResponse, body: Readable, route: RouteDef | undefined, method: string, started: number): void {
    if (res.destroyed) {
      body.destroy();
      return opts.observe?.(route, method, r.status, started);
    }
    // The head goes with the answer's first bytes (node would hold it until then anyway): an
    // answer that fails before any (a broken chunked framing, the app gone) is still an error
    // the caller can read, not a connection closed on an empty reply.
    const head = (): boolean => {
      body.off('data', first).off('end', empty).off('error', early).off('close', closed);
      res.off('close', gone);
      try {
        res.writeHead(r.status, r.length === undefined ? r.headers : { ...r.headers, 'content-length': r.length });
        return true;
      } catch (err) {
        body.destroy();
        unsendable(res, err, route, method, started);
        return false;
      }
    };
    const first = (chunk: Buffer): void => {
      body.pause();
      if (!head()) return;
      res.write(chunk);
      pipeline(body, res, () => opts.observe?.(route, method, r.status, started));
    };
    const empty = (): void => {
      if (!head()) return;
      res.end();
      opts.observe?.(route, method, r.status, started);
    };
    const early = (err: unknown): void => {
      body.off('data', first).off('end', empty).off('error', early).off('close', closed);
      res.off('close', gone);
      send(res, toHttp(r.streamFailure ? r.streamFailure(err) : err), route, method, started);
    };
    // the caller leaving before the first byte ends the work behind the answer, as piped
    const gone = (): void => {
      body.off('data', first).off('end', empty).off('error', early).off('close', closed);
      body.once('error', () => {}).destroy();
      opts.observe?.(route, method, r.status, started);
    };
    // destroyed without an error (the app's connection cut): failed all the same
    const closed = (): void => early(Object.assign(new Error('the app closed the connection'), { code: 'ECONNRESET' }));
    // It may have failed already, its events gone by, before the answer got here.
    if (body.destroyed) return body.errored ? early(body.errored) : body.readableEnded ? empty() : closed();
    body.on('data', first).once('end', empty).once('error', early).once('close', closed);
    res.once('close', gone);
  }

  return server;
}
