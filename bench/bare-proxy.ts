// Child-process entry: the floor for "what does one hop add" on this machine. The smallest
// reverse proxy Node itself can be — node:http in, undici's keep-alive pool out (the client
// Pillion's app channel uses; faster than node:http's), bodies piped; and node:http2 in, one
// shared HTTP/2 session out, frames piped, trailers relayed —
// with no auth, routing, header rules or metrics. Whatever latency it adds per hop is the cost
// of an extra process, its system calls and its wake-ups on this machine, which no sidecar
// written for Node can go below; Pillion's own overhead is what it adds beyond this.
//
// Input (IPC message): { httpPort, grpcPort, appHttp, appGrpc }. Output: 'ready'. Exits when
// the parent disconnects.
import { createServer as createHttp } from 'node:http';
import { Pool } from 'undici';
import { connect, constants, createServer as createH2, type ClientHttp2Session } from 'node:http2';

interface BareProxyConfig {
  httpPort: number;
  grpcPort: number;
  appHttp: number;
  appGrpc: number;
}

const { HTTP2_HEADER_STATUS } = constants;

process.once('message', (cfg: BareProxyConfig) => {
  const pool = new Pool(`http://127.0.0.1:${cfg.appHttp}`, { connections: null, headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 60_000 });
  const BODILESS = new Set(['GET', 'HEAD']);
  const http = createHttp((req, res) => {
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i]!.toLowerCase();
      if (k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding' && k !== 'expect') headers.push(k, req.rawHeaders[i + 1]!);
    }
    pool.request({ method: req.method as 'GET', path: req.url!, headers, body: BODILESS.has(req.method!) ? undefined : req }).then((answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
      res.writeHead(answer.statusCode, out);
      answer.body.pipe(res);
    }, () => res.writeHead(502).end());
  });
  http.keepAliveTimeout = 65_000;

  let app: ClientHttp2Session | undefined;
  const session = (): ClientHttp2Session => {
    if (!app || app.closed || app.destroyed) app = connect(`http://127.0.0.1:${cfg.appGrpc}`).on('error', () => {});
    return app;
  };
  const h2 = createH2();
  h2.on('stream', (stream, headers) => {
    const out = session().request({ ':method': 'POST', ':path': headers[':path'], 'content-type': 'application/grpc', te: 'trailers' });
    // A client may reset its call (a load generator stopping mid-flight): the app's answer
    // then has nowhere to go and is dropped.
    const gone = (): boolean => stream.destroyed || stream.closed;
    stream.on('error', () => {});
    out.on('response', (h) => {
      if (!gone()) stream.respond({ [HTTP2_HEADER_STATUS]: h[HTTP2_HEADER_STATUS], 'content-type': 'application/grpc' }, { waitForTrailers: true });
    });
    out.on('trailers', (t) => stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(t['grpc-status'] ?? '0') })));
    out.on('data', (c: Buffer) => gone() || stream.write(c));
    out.on('end', () => gone() || stream.end());
    out.on('error', () => gone() || stream.close());
    stream.pipe(out);
  });

  let listening = 0;
  const ready = (): void => void (++listening === 2 && process.send!('ready'));
  http.listen(cfg.httpPort, '127.0.0.1', ready);
  h2.listen(cfg.grpcPort, '127.0.0.1', ready);
});
process.once('disconnect', () => process.exit(0));
