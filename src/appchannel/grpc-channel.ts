// App channel to a gRPC app: a small unary client of dapr.proto.runtime.v1.AppCallback on
// node:http2 (one multiplexed connection, re-opened when it drops), reusing the server's
// frame codec. An invocation becomes OnInvoke(InvokeRequest{method, data, content_type,
// http_extension}); headers become metadata. With `tls` (--app-protocol grpcs) the connection
// is HTTP/2 over TLS; everything else is the same.
import type { ConnectionOptions } from 'node:tls';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { HTTPExtension_Verb, InvokeRequestSchema, InvokeResponseSchema } from '../gen/dapr/proto/common/v1/common_pb.js';
import { AppChannelError, NO_VERB, type AppChannel, type AppRequest, type AppResponse } from './channel.js';
import { grpcUnary, type UnaryResult } from './grpc-unary.js';
import { sessionSource, type SessionSource } from './h2-session.js';

export interface GrpcChannelOptions {
  readonly host: string;
  readonly port: number;
  readonly maxResponseBytes: number;
  /** speak TLS to the app (see tls.ts: verification only with --app-ca-file) */
  readonly tls?: ConnectionOptions;
}

const ON_INVOKE = '/dapr.proto.runtime.v1.AppCallback/OnInvoke';

export function createGrpcChannel(o: GrpcChannelOptions): AppChannel {
  const sessions = sessionSource(o.host, o.port, o.tls);
  return {
    protocol: 'grpc',
    close: () => sessions.destroy(),
    invoke: (req) => onInvoke(sessions, o, req),
    openStream: async (headers) => sessions.get().request(headers),
    unary: (call) => grpcUnary(sessions, o.maxResponseBytes, call),
  };
}

async function onInvoke(sessions: SessionSource, o: GrpcChannelOptions, req: AppRequest): Promise<AppResponse> {
  // The caller's content-type travels inside the message; every header becomes metadata
  // (grpcUnary leaves out those HTTP/2 or the channel owns).
  const contentType = req.headers.find(([k]) => k === 'content-type')?.[1] ?? '';
  const message = create(InvokeRequestSchema, {
    method: req.method,
    data: create(AnySchema, { value: req.body }),
    contentType,
    // a call that came without an HTTP extension reaches the app without one, as in daprd
    httpExtension: req.verb === NO_VERB ? undefined : { verb: verbOf(req.verb), querystring: req.query },
  });
  const r = await grpcUnary(sessions, o.maxResponseBytes, {
    path: ON_INVOKE,
    message: toBinary(InvokeRequestSchema, message),
    metadata: req.headers,
    signal: req.signal,
    timeoutMs: req.timeoutMs,
  });
  if (r.code !== 0) return grpcFailure(r);
  try {
    const res = fromBinary(InvokeResponseSchema, r.message!);
    const headers = res.contentType ? [...r.headers, ['content-type', res.contentType] as const] : r.headers;
    return { status: 200, headers, trailers: r.trailers, body: res.data?.value ?? new Uint8Array() };
  } catch (err) {
    throw new AppChannelError('failed', `the app's answer is not an InvokeResponse (${(err as Error).message})`);
  }
}

function verbOf(verb: string): HTTPExtension_Verb {
  const v = HTTPExtension_Verb[verb.toUpperCase() as keyof typeof HTTPExtension_Verb];
  return typeof v === 'number' ? v : HTTPExtension_Verb.POST;
}

// What an HTTP caller sees when a gRPC app fails: the status daprd derives from the code
// (grpc-gateway's table) and the google.rpc.Status as JSON.
const HTTP_OF_GRPC: Readonly<Record<number, number>> = {
  1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
};

function grpcFailure({ code, statusMessage: message, headers, trailers }: UnaryResult): AppResponse {
  return {
    status: HTTP_OF_GRPC[code] ?? 500,
    headers: [...headers, ['content-type', 'application/json']],
    trailers,
    body: Buffer.from(JSON.stringify({ code, message, details: [] })),
    grpcStatus: { code, message },
  };
}
