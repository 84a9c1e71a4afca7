// Child-process entry: the app behind the sidecar in the invocation benchmark. An HTTP server
// and a gRPC (node:http2) server that answer every request with a fixed small body, doing no
// other work, so that "via the sidecar" minus "direct" is what the sidecar adds.
//
// Input (IPC message): { httpPort, grpcPort }. Output: 'ready' once both listen. Exits when the
// parent disconnects.
import { createServer as createHttp } from 'node:http';
import { replayGrpcServer } from './grpc-frame.js';
import { encodeFrame } from '../src/api/grpc/framing.js';

export const ECHO_HTTP_BODY = '{"ok":true}';
/** The gRPC reply: one length-prefixed message of 11 opaque bytes (any service, any method). */
export const ECHO_GRPC_MESSAGE = Buffer.from(ECHO_HTTP_BODY);

process.once('message', (cfg: { httpPort: number; grpcPort: number }) => {
  const body = Buffer.from(ECHO_HTTP_BODY);
  const http = createHttp((req, res) => {
    req.resume();
    req.once('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body));
  });
  http.keepAliveTimeout = 65_000;
  const h2 = replayGrpcServer(encodeFrame(ECHO_GRPC_MESSAGE));
  let listening = 0;
  const ready = (): void => void (++listening === 2 && process.send!('ready'));
  http.listen(cfg.httpPort, '127.0.0.1', ready);
  h2.listen(cfg.grpcPort, '127.0.0.1', ready);
});
process.once('disconnect', () => process.exit(0));
