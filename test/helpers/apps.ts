// Apps for the invocation tests, each on a real socket: a plain node:http app that records
// exactly what arrives (raw header list, bytes) and answers what the test says, and a gRPC
// app serving dapr.proto.runtime.v1.AppCallback/OnInvoke that records metadata and messages.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { GrpcServer, type CallContext } from '../../src/api/grpc/server.js';
import { AppCallback } from '../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { InvokeResponseSchema, type InvokeRequest, type InvokeResponse } from '../../src/gen/dapr/proto/common/v1/common_pb.js';

export interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** wait this long before answering */
  delayMs?: number;
  /** write these bytes to the socket instead of an HTTP answer */
  garbage?: string;
}

export interface RecordingApp {
  port: number;
  /** requests of the tests (service invocation, deliveries) */
  seen: Seen[];
  /** the sidecar's own start-up discovery calls (GET /dapr/config, GET /dapr/subscribe), kept
   * apart so that `seen` holds only what a test caused */
  discovery: Seen[];
  /** how many requests were being served at once, at most */
  maxInFlight: number;
  answer: (s: Seen) => Answer;
  close(): Promise<void>;
}

// An app without subscriptions or actors answers 404 to the discovery calls, as most web
// frameworks do; everything else gets a small JSON echo.
const DEFAULT_ANSWER = (s: Seen): Answer => s.url.startsWith('/dapr/') ? { status: 404 } : ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, method: s.method, url: s.url }) });

export async function startHttpApp(port = 0): Promise<RecordingApp> {
  let inFlight = 0;
  const app: RecordingApp = { port: 0, seen: [], discovery: [], maxInFlight: 0, answer: DEFAULT_ANSWER, close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    inFlight++;
    app.maxInFlight = Math.max(app.maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], body: Buffer.concat(chunks) };
      const isDiscovery = s.method === 'GET' && (s.url === '/dapr/config' || s.url === '/dapr/subscribe');
      (isDiscovery ? app.discovery : app.seen).push(s);
      const a = app.answer(s);
      setTimeout(() => {
        inFlight--;
        if (a.garbage !== undefined) {
          req.socket.end(a.garbage);
          return;
        }
        res.writeHead(a.status ?? 200, a.headers ?? {});
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  app.port = (server.address() as AddressInfo).port;
  app.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return app;
}

/** Header values of `name` (case-insensitive) in a raw header list. */
export function headerValues(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) out.push(raw[i + 1]!);
  return out;
}

export interface GrpcSeen {
  request: InvokeRequest;
  metadata: Record<string, string | string[] | undefined>;
}

export interface GrpcApp {
  port: number;
  seen: GrpcSeen[];
  /** answer for OnInvoke; throw a GrpcStatusError to fail the call */
  answer: (s: GrpcSeen) => Promise<InvokeResponse> | InvokeResponse;
  close(): Promise<void>;
}

export async function startGrpcApp(): Promise<GrpcApp> {
  const app: GrpcApp = {
    port: 0,
    seen: [],
    answer: (s) => create(InvokeResponseSchema, {
      contentType: 'application/json',
      data: create(AnySchema, { value: Buffer.from(JSON.stringify({ method: s.request.method, body: Buffer.from(s.request.data?.value ?? []).toString() })) }),
    }),
    close: () => Promise.resolve(),
  };
  const g = new GrpcServer({ maxMessageBytes: 4 << 20, interceptors: [] });
  g.addService(AppCallback, {
    onInvoke: async (request: InvokeRequest, ctx: CallContext) => {
      const s = { request, metadata: { ...ctx.metadata } };
      app.seen.push(s);
      return app.answer(s);
    },
  });
  await new Promise<void>((r) => g.server.listen(0, '127.0.0.1', () => r()));
  app.port = (g.server.address() as AddressInfo).port;
  app.close = () => g.close(0);
  return app;
}

/** One HTTP request with full control of the header list; resolves with status, raw headers and bytes. */
export function request(port: number, method: string, path: string, headers: Array<[string, string]> = [], body?: Buffer | string): Promise<{ status: number; rawHeaders: string[]; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // With a header list node adds no Host of its own; HTTP/1.1 requires one.
    const list = headers.some(([k]) => k.toLowerCase() === 'host') ? headers : [...headers, ['host', `127.0.0.1:${port}`] as [string, string]];
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: list.flat(), agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
