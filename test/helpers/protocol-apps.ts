// Apps for the app-protocol tests, each on a real socket: an HTTPS app (node:https with a
// self-signed certificate), an h2c app (node:http2 createServer, HTTP/2 without TLS, prior
// knowledge) and a grpcs app (AppCallback + AppCallbackHealthCheck over HTTP/2 with TLS).
// The HTTP apps share one handler that serves what the sidecar calls: /dapr/subscribe,
// /dapr/config, the health path, the pub/sub route, the input binding route and echo.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { GrpcServer, type CallContext } from '../../src/api/grpc/server.js';
import { GrpcStatusError } from '../../src/api/grpc/status.js';
import {
  AppCallback,
  AppCallbackHealthCheck,
  BindingEventResponseSchema,
  HealthCheckResponseSchema,
  ListInputBindingsResponseSchema,
  ListTopicSubscriptionsResponseSchema,
  TopicEventResponseSchema,
  TopicEventResponse_TopicEventResponseStatus as TopicStatus,
  type BindingEventRequest,
  type TopicEventRequest,
} from '../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { InvokeResponseSchema, type InvokeRequest } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { createWebhookCerts } from '../../src/injector/webhook-certs.js';

export const TOPIC = 'orders';
export const BINDING = 'ticks';
export const HEALTH_PATH = '/healthz';

/** A CA and a serving certificate for DNS name `localhost` (PEM), made with node:crypto. */
export function selfSigned(): { ca: string; cert: string; key: string } {
  const c = createWebhookCerts({ dnsNames: ['localhost'], now: new Date(), days: 1 });
  return { ca: c.caCert, cert: c.cert, key: c.key };
}

export interface HttpSeen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** '1.1' or '2.0', as the app's server saw the request */
  httpVersion: string;
  /** the request came over TLS */
  tls: boolean;
}

export interface ProtocolHttpApp {
  port: number;
  seen: HttpSeen[];
  /** what GET /healthz answers */
  healthStatus: number;
  close(): Promise<void>;
}

interface Req {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  httpVersion: string;
  socket: unknown;
  on(ev: 'data', cb: (c: Buffer) => void): unknown;
  on(ev: 'end', cb: () => void): unknown;
}
interface Res {
  writeHead(status: number, headers?: Record<string, string>): unknown;
  end(body?: string): unknown;
}

function handler(app: ProtocolHttpApp) {
  return (req: Req, res: Res): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const s: HttpSeen = {
        method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body: Buffer.concat(chunks),
        httpVersion: req.httpVersion, tls: Boolean((req.socket as { encrypted?: boolean }).encrypted),
      };
      app.seen.push(s);
      const json = (status: number, v: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (s.url === '/dapr/subscribe') return json(200, [{ pubsubname: 'pubsub', topic: TOPIC, route: `/${TOPIC}` }]);
      if (s.url === '/dapr/config') return json(404, {});
      if (s.url === HEALTH_PATH) return json(app.healthStatus, {});
      if (s.url === `/${TOPIC}`) return json(200, { status: 'SUCCESS' });
      if (s.url === `/${BINDING}`) return json(200, {});
      json(200, { method: s.method, url: s.url, body: s.body.toString('utf8'), httpVersion: s.httpVersion, tls: s.tls });
    });
  };
}

async function listen(server: http.Server | https.Server | http2.Http2Server, app: { port: number }): Promise<void> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  app.port = (server.address() as AddressInfo).port;
}

/** An HTTPS (HTTP/1.1 over TLS) app with the given certificate. */
export async function startHttpsApp(cert: { cert: string; key: string }): Promise<ProtocolHttpApp> {
  const app: ProtocolHttpApp = { port: 0, seen: [], healthStatus: 200, close: () => Promise.resolve() };
  const server = https.createServer({ cert: cert.cert, key: cert.key }, handler(app) as unknown as http.RequestListener);
  await listen(server, app);
  app.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return app;
}

/** An h2c app: HTTP/2 without TLS, which only a client with prior knowledge can talk to. */
export async function startH2cApp(): Promise<ProtocolHttpApp> {
  const app: ProtocolHttpApp = { port: 0, seen: [], healthStatus: 200, close: () => Promise.resolve() };
  const server = http2.createServer();
  server.on('request', handler(app) as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  await listen(server, app);
  app.close = () => new Promise<void>((r) => {
    for (const s of sessions) s.destroy();
    server.close(() => r());
  });
  return app;
}

export interface GrpcsSeen {
  method: string;
  metadata: Record<string, string | string[] | undefined>;
  invoke?: InvokeRequest;
  topicEvent?: TopicEventRequest;
  bindingEvent?: BindingEventRequest;
}

export interface GrpcsApp {
  port: number;
  seen: GrpcsSeen[];
  /** false: HealthCheck fails with UNAVAILABLE */
  healthy: boolean;
  close(): Promise<void>;
}

/** A gRPC app over TLS serving AppCallback and AppCallbackHealthCheck. */
export async function startGrpcsApp(cert: { cert: string; key: string }): Promise<GrpcsApp> {
  const app: GrpcsApp = { port: 0, seen: [], healthy: true, close: () => Promise.resolve() };
  const g = new GrpcServer({ maxMessageBytes: 4 << 20, interceptors: [], tls: { cert: cert.cert, key: cert.key } });
  const md = (ctx: CallContext) => ({ ...ctx.metadata });
  g.addService(AppCallback, {
    onInvoke: async (req: InvokeRequest, ctx: CallContext) => {
      app.seen.push({ method: 'OnInvoke', metadata: md(ctx), invoke: req });
      const echo = { method: req.method, body: Buffer.from(req.data?.value ?? []).toString('utf8') };
      return create(InvokeResponseSchema, { contentType: 'application/json', data: create(AnySchema, { value: Buffer.from(JSON.stringify(echo)) }) });
    },
    listTopicSubscriptions: async (_req: unknown, ctx: CallContext) => {
      app.seen.push({ method: 'ListTopicSubscriptions', metadata: md(ctx) });
      return create(ListTopicSubscriptionsResponseSchema, { subscriptions: [{ pubsubName: 'pubsub', topic: TOPIC, routes: { default: `/${TOPIC}` } }] });
    },
    onTopicEvent: async (req: TopicEventRequest, ctx: CallContext) => {
      app.seen.push({ method: 'OnTopicEvent', metadata: md(ctx), topicEvent: req });
      return create(TopicEventResponseSchema, { status: TopicStatus.SUCCESS });
    },
    listInputBindings: async (_req: unknown, ctx: CallContext) => {
      app.seen.push({ method: 'ListInputBindings', metadata: md(ctx) });
      return create(ListInputBindingsResponseSchema, { bindings: [BINDING] });
    },
    onBindingEvent: async (req: BindingEventRequest, ctx: CallContext) => {
      app.seen.push({ method: 'OnBindingEvent', metadata: md(ctx), bindingEvent: req });
      return create(BindingEventResponseSchema, {});
    },
  });
  g.addService(AppCallbackHealthCheck, {
    healthCheck: async (_req: unknown, ctx: CallContext) => {
      app.seen.push({ method: 'HealthCheck', metadata: md(ctx) });
      if (!app.healthy) throw new GrpcStatusError(14, 'app says it is down');
      return create(HealthCheckResponseSchema, {});
    },
  });
  await listen(g.server as http2.Http2Server, app);
  app.close = () => g.close(0);
  return app;
}
