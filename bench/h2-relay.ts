// The least a relay of one gRPC call over HTTP/2 can do, shared by the bare baselines
// (bare-proxy.ts, bare-relay.ts): the call's stream opened on `upstream` with its path, the
// request's frames piped up, the answer's head, data and grpc-status relayed back. No auth,
// routing or metadata rules.
import { constants, type ClientHttp2Session, type IncomingHttpHeaders, type ServerHttp2Stream, type ServerOptions } from 'node:http2';

const { HTTP2_HEADER_STATUS, NGHTTP2_FLAG_END_STREAM } = constants;

/** Nagle off on an HTTP/2 server's connections, as on Pillion's (net.Server's noDelay, which
 * node's typings leave out of the http2 server's options). */
export const NAGLE_OFF = { noDelay: true } as ServerOptions;

export function relayGrpcCall(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, upstream: ClientHttp2Session): void {
  const out = upstream.request({ ':method': 'POST', ':path': headers[':path'], 'content-type': 'application/grpc', te: 'trailers' });
  // A client may reset its call (a load generator stopping mid-flight): the answer then has
  // nowhere to go and is dropped.
  const gone = (): boolean => stream.destroyed || stream.closed;
  stream.on('error', () => {});
  // The answer's body is read only once its head is relayed: node may emit 'data' from the
  // read that carried the head before it emits 'response' (a nextTick later), and writing to
  // `stream` first would make node answer on its own and the respond() below throw.
  out.on('response', (h, flags: number) => {
    if (gone()) return void out.resume();
    const head = { [HTTP2_HEADER_STATUS]: h[HTTP2_HEADER_STATUS], 'content-type': 'application/grpc' };
    if (flags & NGHTTP2_FLAG_END_STREAM) return void stream.respond({ ...head, 'grpc-status': String(h['grpc-status'] ?? '2') }, { endStream: true });
    stream.respond(head, { waitForTrailers: true });
    out.on('data', (c: Buffer) => gone() || stream.write(c));
    out.on('end', () => gone() || stream.end());
  });
  out.on('trailers', (t) => stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(t['grpc-status'] ?? '0') })));
  out.on('error', () => gone() || stream.close());
  stream.pipe(out);
}
