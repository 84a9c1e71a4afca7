// Child-process entry: the floor for "what does one hop add" on this machine. The smallest
// reverse proxy Node itself can be — node:http in, a keep-alive node:http agent out, bodies
// piped; and node:http2 in, one shared HTTP/2 session out, frames piped, trailers relayed
// (h2-relay.ts), Nagle off on both HTTP/2 legs as Pillion's —
// with no auth, routing, header rules or metrics. Whatever latency it adds per hop is the cost
// of an extra process, its system calls and its wake-ups on this machine, which no sidecar
// written for Node can go below; Pillion's own overhead is what it adds beyond this.
//
// Input (IPC message): { httpPort, grpcPort, appHttp, appGrpc }. Output: 'ready'. Exits when
// the parent disconnects.
import { Agent, createServer as createHttp, request, type IncomingHttpHeaders } from 'node:http';
import { createServer as createH2, type ClientHttp2Session } from 'node:http2';
import { h2Connect } from '../src/appchannel/h2-connect.js';
import { NAGLE_OFF, relayGrpcCall } from './h2-relay.js';

interface BareProxyConfig {
  httpPort: number;
  grpcPort: number;
  appHttp: number;
  appGrpc: number;
}

process.once('message', (cfg: BareProxyConfig) => {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, noDelay: true });
  const http = createHttp((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers };
    delete headers.connection;
    const out = request({ agent, host: '127.0.0.1', port: cfg.appHttp, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  http.keepAliveTimeout = 65_000;

  let app: ClientHttp2Session | undefined;
  const session = (): ClientHttp2Session => {
    if (!app || app.closed || app.destroyed) app = h2Connect('127.0.0.1', cfg.appGrpc).on('error', () => {});
    return app;
  };
  // Nagle off on both HTTP/2 legs, as Pillion's (h2Connect, and the server's noDelay)
  const h2 = createH2(NAGLE_OFF);
  h2.on('stream', (stream, headers) => relayGrpcCall(stream, headers, session()));

  let listening = 0;
  const ready = (): void => void (++listening === 2 && process.send!('ready'));
  http.listen(cfg.httpPort, '127.0.0.1', ready);
  h2.listen(cfg.grpcPort, '127.0.0.1', ready);
});
process.once('disconnect', () => process.exit(0));
