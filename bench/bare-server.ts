// Child-process entry: the "bare" baselines. A node:http server and a node:http2 gRPC server that
// answer every request with precomputed bytes captured from Pillion, doing no other work. They show
// what Node itself costs on this machine, so Pillion's figures can be read as a fraction of it.
// It runs in its own process so it never shares an event loop with the load generator.
//
// Input (IPC message): { httpPort, grpcPort, minimalPort, token, httpBody, etag, grpcBody (base64,
// framed) }. Also serves the "minimal" HTTP baseline (minimal-server.ts) on minimalPort.
// Output (IPC message): 'ready' once all three listen. Exits when the parent disconnects.
import { createServer as createHttp } from 'node:http';
import { replayGrpcServer } from './grpc-frame.js';
import { minimalServer } from './minimal-server.js';

interface Config {
  httpPort: number;
  grpcPort: number;
  minimalPort: number;
  token: string;
  httpBody: string;
  etag: string;
  grpcBody: string;
}

process.once('message', (cfg: Config) => {
  const body = Buffer.from(cfg.httpBody);
  const http = createHttp((req, res) => {
    // Same status, headers and bytes as Pillion's GET /v1.0/state/statestore/k.
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', etag: cfg.etag, 'content-length': body.length });
    res.end(body);
  });
  // Match Node's and Pillion's default keep-alive so connections are reused the same way.
  http.keepAliveTimeout = 65_000;

  const h2 = replayGrpcServer(Buffer.from(cfg.grpcBody, 'base64'));

  const minimal = minimalServer(cfg.token, cfg.httpBody, cfg.etag);
  minimal.keepAliveTimeout = 65_000;

  let listening = 0;
  const ready = (): void => void (++listening === 3 && process.send!('ready'));
  http.listen(cfg.httpPort, '127.0.0.1', ready);
  h2.listen(cfg.grpcPort, '127.0.0.1', ready);
  minimal.listen(cfg.minimalPort, '127.0.0.1', ready);
});
process.once('disconnect', () => process.exit(0));
