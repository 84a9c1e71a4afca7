// The least a relay of one gRPC call over HTTP/2 can do, shared by the bare baselines
// (bare-proxy.ts, bare-relay.ts): the call's stream opened on `upstream` with its path, the
// request's frames piped up, the answer's head, data and grpc-status relayed back. No auth,
// routing or metadata rules.
import { constants, type ClientHttp2Session, type IncomingHttpHeaders, type ServerHttp2Stream, type ServerOptions } from 'node:http2';

const { HTTP2_HEADER_STATUS } = constants;

/** Nagle off on an HTTP/2 server's connections, as on Pillion's (net.Server's noDelay, which
 * node's typings leave out of the http2 server's options). */
export const NAGLE_OFF = { noDelay: true } as ServerOptions;

export function relayGrpcCall(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, upstream: ClientHttp2Session): void {
  const out = upstream.request({ ':method': 'POST', ':path': headers[':path'], 'content-type': 'application/grpc', te: 'trailers' });
  // A client may reset its call (a load generator stopping mid-flight): the answer then has
  // nowhere to go and is dropped.
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
}
