// App channel to a gRPC app: a small unary client of dapr.proto.runtime.v1.AppCallback on
// node:http2 (one multiplexed connection, re-opened when it drops), reusing the server's
// frame codec. An invocation becomes OnInvoke(InvokeRequest{method, data, content_type,
// http_extension}); headers become metadata. With `tls` (--app-protocol grpcs) the connection
// is HTTP/2 over TLS; everything else is the same.
import http2 from 'node:http2';
import type { ConnectionOptions } from 'node:tls';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { HTTPExtension_Verb, InvokeRequestSchema, InvokeResponseSchema } from '../gen/dapr/proto/common/v1/common_pb.js';
import { encodeFrame, FrameDecoder } from '../api/grpc/framing.js';
import { abortFailure, AppChannelError, type AppChannel, type AppRequest, type AppResponse } from './channel.js';
import { grpcUnary } from './grpc-unary.js';

export interface GrpcChannelOptions {
  readonly host: string;
  readonly port: number;
  readonly maxResponseBytes: number;
  /** speak TLS to the app (see tls.ts: verification only with --app-ca-file) */
  readonly tls?: ConnectionOptions;
}

const ON_INVOKE = '/dapr.proto.runtime.v1.AppCallback/OnInvoke';
// Metadata a gRPC request may not carry as user metadata (HTTP/2 forbids the connection-
// specific ones; the rest the channel sets itself).
const NOT_METADATA = new Set(['connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host', 'content-type', 'content-length', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding']);

export function createGrpcChannel(o: GrpcChannelOptions): AppChannel {
  const authority = `${o.tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  let session: http2.ClientHttp2Session | undefined;
  const connect = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = o.tls ? http2.connect(authority, o.tls) : http2.connect(authority);
    s.on('error', () => {}); // reported on the streams that fail with it
    s.once('close', () => session === s && (session = undefined));
    // The app is shutting down: stop using this connection and let it close once in-flight
    // calls finish, so the app's graceful shutdown is not held open by the sidecar.
    s.once('goaway', () => {
      if (session === s) session = undefined;
      s.close();
    });
    s.unref(); // an idle connection to the app must not keep the process alive
    session = s;
    return s;
  };
  return {
    protocol: 'grpc',
    close: () => session?.destroy(),
    invoke: (req) => onInvoke(connect(), o, req),
    openStream: async (headers) => connect().request(headers),
    unary: (call) => grpcUnary(connect(), o.maxResponseBytes, call),
  };
}

function onInvoke(session: http2.ClientHttp2Session, o: GrpcChannelOptions, req: AppRequest): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortFailure(req.signal));
    let contentType = '';
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST', ':path': ON_INVOKE, 'content-type': 'application/grpc', te: 'trailers',
    };
    for (const [k, v] of req.headers) {
      if (k === 'content-type') contentType = v;
      if (NOT_METADATA.has(k) || k.startsWith(':') || k.startsWith('proxy-')) continue;
      const prev = headers[k];
      headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
    }
    if (req.timeoutMs && req.timeoutMs > 0) headers['grpc-timeout'] = `${Math.ceil(req.timeoutMs)}m`;
    const message = create(InvokeRequestSchema, {
      method: req.method,
      data: create(AnySchema, { value: req.body }),
      contentType,
      httpExtension: { verb: verbOf(req.verb), querystring: req.query },
    });

    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers);
    } catch (err) {
      return reject(new AppChannelError('failed', `the call to the app failed (${(err as Error).message})`));
    }
    const onAbort = (): void => {
      settle(() => reject(abortFailure(req.signal!)));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    const decoder = new FrameDecoder(o.maxResponseBytes, undefined);
    const messages: Uint8Array[] = [];
    let status: string | undefined;
    let statusMessage = '';
    const readStatus = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) statusMessage = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', readStatus);
    stream.on('trailers', readStatus);
    stream.on('data', (chunk: Buffer) => {
      try {
        messages.push(...decoder.push(chunk));
      } catch (err) {
        settle(() => reject(new AppChannelError('failed', `the app's answer is unreadable (${(err as Error).message})`)));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // A failed connect reaches the stream as a cancel whose cause is the socket error.
      const code = (err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? err.code;
      const refused = code === 'ECONNREFUSED' || code === 'EHOSTUNREACH';
      settle(() => reject(new AppChannelError(refused ? 'unreachable' : 'failed', `${refused ? 'the app is not reachable' : 'the call to the app failed'} (${code ?? err.message})`)));
    });
    stream.on('close', () => settle(() => {
      if (status === undefined) return reject(new AppChannelError('failed', 'the app ended the call without a gRPC status'));
      const code = Number(status);
      if (code !== 0) return resolve(grpcFailure(code, statusMessage));
      if (messages.length !== 1) return reject(new AppChannelError('failed', `the app answered ${messages.length} messages to a unary call`));
      try {
        const res = fromBinary(InvokeResponseSchema, messages[0]!);
        resolve({ status: 200, headers: res.contentType ? [['content-type', res.contentType]] : [], body: res.data?.value ?? new Uint8Array() });
      } catch (err) {
        reject(new AppChannelError('failed', `the app's answer is not an InvokeResponse (${(err as Error).message})`));
      }
    }));
    stream.end(encodeFrame(toBinary(InvokeRequestSchema, message)));
  });
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

function grpcFailure(code: number, message: string): AppResponse {
  return {
    status: HTTP_OF_GRPC[code] ?? 500,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(JSON.stringify({ code, message, details: [] })),
    grpcStatus: { code, message },
  };
}
