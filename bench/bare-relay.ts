// Child-process entry: the floor for a sidecar-to-sidecar hop on this machine, one half of the
// smallest relay Node itself can be for the path client → A → B → app with HTTP/2 over mutual
// TLS between A and B: role "out" (A) takes HTTP/1.1 (or h2c gRPC calls) and sends it on one
// shared TLS HTTP/2 session; role "in" (B) takes those streams and calls the app over a
// keep-alive node:http agent (gRPC calls: one h2c session, h2-relay.ts). Bodies piped, headers
// copied but for connection-scoped ones — no auth, routing, CallLocalStream framing, protobuf
// or metrics, so for HTTP it is below what any relay speaking Dapr's internal protocol can be:
// what a remote Pillion hop adds beyond it is Pillion's (and the protocol's) cost; what this
// adds is Node's HTTP/2 and TLS, and one more process, on this machine.
//
// Input (IPC message): BareRelayConfig. Output: 'ready'. Exits when the parent disconnects.
import { Agent, createServer as createHttp, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { createServer as createH2, createSecureServer, type ClientHttp2Session } from 'node:http2';
import { h2Connect } from '../src/appchannel/h2-connect.js';
import { NAGLE_OFF, relayGrpcCall } from './h2-relay.js';

export interface RelayTls {
  ca: string;
  cert: string;
  key: string;
}
export type BareRelayConfig =
  | { role: 'out'; httpPort: number; grpcPort: number; peerPort: number; tls: RelayTls }
  | { role: 'in'; h2Port: number; appHttp: number; appGrpc: number; tls: RelayTls };

// What HTTP/2 may not carry (RFC 9113 §8.2.2), and the HTTP/1.1 connection's own fields.
const CONNECTION_SCOPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te']);

function copyHeaders(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') && !CONNECTION_SCOPED.has(k)) out[k] = v;
  return out;
}

function out(cfg: Extract<BareRelayConfig, { role: 'out' }>, ready: () => void): void {
  let peer: ClientHttp2Session | undefined;
  const session = (): ClientHttp2Session => {
    if (!peer || peer.closed || peer.destroyed) {
      // Pillion's own connect (Nagle off); the certificate chain is checked, its name is not
      peer = h2Connect('127.0.0.1', cfg.peerPort, { ...cfg.tls, checkServerIdentity: () => undefined }).on('error', () => {});
    }
    return peer;
  };
  createHttp((req, res) => {
    const stream = session().request({ ...copyHeaders(req.headers), ':method': req.method ?? 'GET', ':path': req.url ?? '/' });
    stream.on('response', (h) => {
      res.writeHead(Number(h[':status'] ?? 502), copyHeaders(h));
      stream.pipe(res);
    });
    stream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
    req.pipe(stream);
  }).listen(cfg.httpPort, '127.0.0.1', ready).keepAliveTimeout = 65_000;
  createH2(NAGLE_OFF).on('stream', (stream, headers) => relayGrpcCall(stream, headers, session())).listen(cfg.grpcPort, '127.0.0.1', ready);
}

function into(cfg: Extract<BareRelayConfig, { role: 'in' }>, ready: () => void): void {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, noDelay: true });
  const server = createSecureServer({ ...cfg.tls, requestCert: true, rejectUnauthorized: true, ...NAGLE_OFF });
  let app: ClientHttp2Session | undefined;
  const grpcApp = (): ClientHttp2Session => {
    if (!app || app.closed || app.destroyed) app = h2Connect('127.0.0.1', cfg.appGrpc).on('error', () => {});
    return app;
  };
  server.on('stream', (stream, headers) => {
    if (String(headers['content-type']).startsWith('application/grpc')) return relayGrpcCall(stream, headers, grpcApp());
    stream.on('error', () => {});
    const gone = (): boolean => stream.destroyed || stream.closed;
    const call = request({ agent, host: '127.0.0.1', port: cfg.appHttp, method: String(headers[':method']), path: String(headers[':path']), headers: copyHeaders(headers) }, (answer) => {
      if (gone()) return void answer.resume();
      stream.respond({ ...copyHeaders(answer.headers), ':status': answer.statusCode ?? 502 });
      answer.pipe(stream);
    });
    // the app failing mid-answer: the head is out, so the stream is reset (respond() would throw)
    call.on('error', () => gone() || (stream.headersSent ? stream.close() : stream.respond({ ':status': 502 }, { endStream: true })));
    stream.pipe(call);
  });
  server.listen(cfg.h2Port, '127.0.0.1', ready);
}

process.once('message', (cfg: BareRelayConfig) => {
  let listening = 0;
  const ready = (): void => void (++listening === (cfg.role === 'out' ? 2 : 1) && process.send!('ready'));
  if (cfg.role === 'out') out(cfg, ready);
  else into(cfg, ready);
});
process.once('disconnect', () => process.exit(0));
