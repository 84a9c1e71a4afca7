// gRPC-over-HTTP/2 basics shared by the load generator, the bare server and run.ts:
// the GetState request bytes (framed by the server's own encoder) and a one-off unary call.
import { create, toBinary } from '@bufbuild/protobuf';
import { connect, createServer, type Http2Server } from 'node:http2';
import { encodeFrame } from '../src/api/grpc/framing.js';
import { GetStateRequestSchema } from '../src/gen/dapr/proto/runtime/v1/state_pb.js';

export const GET_STATE_PATH = '/dapr.proto.runtime.v1.Dapr/GetState';

/** The framed request every call sends: GetState {storeName:"statestore", key:"k"}. */
export function getStateRequestFrame(): Buffer {
  return encodeFrame(toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'k' })));
}

/**
 * One unary call on a fresh connection; returns the raw response body (still framed) and the
 * grpc-status. run.ts uses it to check the sidecar and to capture the exact bytes that the bare
 * server then replays.
 */
export function unaryOnce(port: number, path: string, body: Buffer, token?: string): Promise<{ status: string; body: Buffer }> {
  return new Promise((ok, fail) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', fail);
    const headers: Record<string, string> = { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' };
    if (token !== undefined) headers['dapr-api-token'] = token;
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let status = '';
    stream.on('response', (h) => (status = String(h['grpc-status'] ?? status)));
    stream.on('trailers', (t) => (status = String(t['grpc-status'] ?? status)));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', fail);
    stream.on('close', () => {
      session.close();
      ok({ status, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

/**
 * A node:http2 gRPC server that answers every call, whatever its path, like a real unary
 * handler doing no work: read the whole request, then headers, `frame` (one length-prefixed
 * message) and the grpc-status trailer. The bare baseline and the invocation benchmark's app.
 */
export function replayGrpcServer(frame: Buffer): Http2Server {
  const h2 = createServer();
  h2.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.resume();
    stream.once('end', () => {
      // A client that gives up on the call (a load generator stopping mid-flight) has reset it.
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    });
  });
  return h2;
}
