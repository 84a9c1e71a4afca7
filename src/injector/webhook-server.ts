// The webhook server (I/O only): HTTPS POST /mutate → review() → AdmissionReview JSON, with a
// body limit, certificate reload, health endpoints, Prometheus metrics and graceful shutdown.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import client from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { collectProcessMetrics } from '../observability/process-metrics.js';
import { review } from './admission.js';
import type { InjectorConfig } from './types.js';

export interface WebhookOptions {
  readonly port: number;
  readonly listenAddress: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly config: InjectorConfig;
  readonly maxBodyBytes: number;
  /** plain-HTTP /metrics port; 0 = any free port, undefined = no metrics server */
  readonly metricsPort?: number;
  readonly metricsListenAddress: string;
  /** how often the certificate files are checked for changes */
  readonly certPollMs: number;
  readonly gracefulShutdownMs: number;
  readonly logger: Logger;
}

export interface WebhookServer {
  readonly port: number;
  readonly metricsPort: number | undefined;
  readonly registry: client.Registry;
  /** the certificate was reloaded this many times */
  reloads(): number;
  stop(): Promise<void>;
}

interface Metrics {
  readonly registry: client.Registry;
  readonly injections: client.Counter<'result' | 'reason'>;
  readonly requests: client.Counter<'code'>;
  readonly reloads: client.Counter<'result'>;
}

function createMetrics(): Metrics {
  const registry = new client.Registry();
  collectProcessMetrics(registry);
  return {
    registry,
    injections: new client.Counter({ name: 'pillion_injector_injections_total', help: 'Admission reviews by result (injected, skipped, denied, error) and first reason code', labelNames: ['result', 'reason'], registers: [registry] }),
    requests: new client.Counter({ name: 'pillion_injector_http_requests_total', help: 'Requests to /mutate by HTTP status', labelNames: ['code'], registers: [registry] }),
    reloads: new client.Counter({ name: 'pillion_injector_cert_reloads_total', help: 'Certificate reloads by result', labelNames: ['result'], registers: [registry] }),
  };
}

const readPair = (o: WebhookOptions): { cert: Buffer; key: Buffer } => ({ cert: readFileSync(o.certFile), key: readFileSync(o.keyFile) });

const isJson = (ct: string | undefined): boolean => {
  const type = (ct ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json';
};

export async function startWebhook(o: WebhookOptions): Promise<WebhookServer> {
  const m = createMetrics();
  const log = o.logger;
  let ready = false;
  let reloadCount = 0;
  const initial = readPair(o);
  tls.createSecureContext(initial); // fail start-up on a bad pair, with the TLS error

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const mutate = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const fail = (status: number, message: string): void => {
      m.requests.inc({ code: String(status) });
      send(res, status, message + '\n');
    };
    if (req.method !== 'POST') return fail(405, 'method not allowed: use POST');
    if (!isJson(req.headers['content-type'])) return fail(415, `unsupported content type ${JSON.stringify(req.headers['content-type'] ?? '')}: expected application/json`);
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > o.maxBodyBytes) {
      res.setHeader('connection', 'close');
      return fail(413, `request body larger than ${o.maxBodyBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > o.maxBodyBytes) {
        over = true;
        res.setHeader('connection', 'close');
        fail(413, `request body larger than ${o.maxBodyBytes} bytes`);
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      if (size === 0) return fail(400, 'empty body');
      const outcome = review(Buffer.concat(chunks).toString('utf8'), o.config);
      m.injections.inc({ result: outcome.result, reason: outcome.reasons[0] ?? 'none' });
      m.requests.inc({ code: '200' });
      const fields = { result: outcome.result, reasons: outcome.reasons, pod: outcome.subject, uid: outcome.review.response.uid };
      if (outcome.result === 'skipped') log.debug(fields, `not injected: ${outcome.messages.join('; ')}`);
      else if (outcome.result === 'injected') log.info(fields, outcome.messages.length ? `sidecar injected, with warnings: ${outcome.messages.join('; ')}` : 'sidecar injected');
      else log.warn(fields, outcome.messages.join('; '));
      send(res, 200, JSON.stringify(outcome.review), 'application/json');
    });
    req.on('error', () => res.destroy());
  };

  const server = https.createServer({ ...initial, minVersion: 'TLSv1.2' }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/mutate') return mutate(req, res);
    if (path === '/healthz' && req.method === 'GET') return send(res, 200, 'ok\n');
    if (path === '/readyz' && req.method === 'GET') return send(res, ready ? 200 : 503, ready ? 'ok\n' : 'not ready\n');
    send(res, 404, 'not found\n');
  });
  server.requestTimeout = 30_000;

  const watched = [o.certFile, o.keyFile];
  const onChange = (): void => {
    try {
      const pair = readPair(o);
      tls.createSecureContext(pair);
      server.setSecureContext({ ...pair, minVersion: 'TLSv1.2' });
      reloadCount++;
      m.reloads.inc({ result: 'success' });
      log.info({ certFile: o.certFile }, 'TLS certificate reloaded');
    } catch (err) {
      // mid-update (new cert, old key): keep serving with the previous pair; the next change retries
      m.reloads.inc({ result: 'failure' });
      log.warn({ certFile: o.certFile }, `TLS certificate not reloaded, keeping the previous one: ${(err as Error).message}`);
    }
  };
  for (const f of watched) watchFile(f, { interval: o.certPollMs, persistent: false }, (cur, prev) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) onChange();
  });

  await listen(server, o.port, o.listenAddress);
  let metricsServer: http.Server | undefined;
  if (o.metricsPort !== undefined) {
    metricsServer = http.createServer((req, res) => {
      if ((req.url ?? '').split('?')[0] !== '/metrics') return send(res, 404, 'not found\n');
      void m.registry.metrics().then((text) => send(res, 200, text, m.registry.contentType));
    });
    await listen(metricsServer, o.metricsPort, o.metricsListenAddress);
  }
  ready = true;
  const port = (server.address() as AddressInfo).port;
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : undefined;
  log.info(`injector webhook listening on https://${o.listenAddress}:${port}/mutate${metricsPort !== undefined ? `, metrics on ${o.metricsListenAddress}:${metricsPort}` : ''}`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      ready = false;
      for (const f of watched) unwatchFile(f);
      const force = setTimeout(() => {
        server.closeAllConnections();
        metricsServer?.closeAllConnections();
      }, o.gracefulShutdownMs);
      server.closeIdleConnections();
      metricsServer?.closeIdleConnections();
      await Promise.all([
        new Promise<void>((r) => server.close(() => r())),
        metricsServer ? new Promise<void>((r) => metricsServer!.close(() => r())) : undefined,
      ]);
      clearTimeout(force);
      log.info('injector webhook stopped');
    })());
  return { port, metricsPort, registry: m.registry, reloads: () => reloadCount, stop };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use`) : err));
    server.listen(port, host, () => resolve());
  });
}
