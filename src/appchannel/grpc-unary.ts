// One unary gRPC call of any AppCallback method on the channel's HTTP/2 session: message
// bytes in, status and message bytes out. The topic-event and subscription-list calls use it
// (and any other callback that is a plain unary method can).
import http2 from 'node:http2';
import { encodeFrame, FrameDecoder } from '../api/grpc/framing.js';
import { abortFailure, AppChannelError, connectFailure, type HeaderPairs } from './channel.js';
import { appGrpcStatus, decodeGrpcMessage, nonGrpcAnswer } from './grpc-status-code.js';
import { cutAndRetire, type SessionSource } from './h2-session.js';
import type { CallSignal } from '../util/call-signal.js';

export interface UnaryCall {
  /** full method path, e.g. /dapr.proto.runtime.v1.AppCallback/OnTopicEvent */
  readonly path: string;
  /** the serialised request message */
  readonly message: Uint8Array;
  /** sent as metadata (lower-case names); the caller sets the app token here */
  readonly metadata: HeaderPairs;
  readonly signal?: CallSignal;
  readonly timeoutMs?: number;
}

export interface UnaryResult {
  /** gRPC status code (0 = OK) and message, as the app sent them */
  readonly code: number;
  readonly statusMessage: string;
  /** the response message when code is 0 */
  readonly message?: Uint8Array;
  /** the app's header and trailer metadata, without the names the transport owns */
  readonly headers: HeaderPairs;
  readonly trailers: HeaderPairs;
}

// Metadata names the channel sets itself or HTTP/2 forbids.
const RESERVED = new Set(['connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host', 'content-type', 'content-length', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding']);

export function grpcUnary(sessions: SessionSource, maxResponseBytes: number, call: UnaryCall): Promise<UnaryResult> {
  return new Promise((resolve, reject) => {
    if (call.signal?.aborted) return reject(abortFailure(call.signal));
    const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': call.path, 'content-type': 'application/grpc', te: 'trailers' };
    for (const [k, v] of call.metadata) {
      if (RESERVED.has(k) || k.startsWith(':') || k.startsWith('proxy-')) continue;
      const prev = headers[k];
      headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
    }
    if (call.timeoutMs && call.timeoutMs > 0) headers['grpc-timeout'] = `${Math.ceil(call.timeoutMs)}m`;

    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      call.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    let session: http2.ClientHttp2Session;
    let stream: http2.ClientHttp2Stream;
    try {
      session = sessions.get();
      stream = session.request(headers);
    } catch (err) {
      return reject(new AppChannelError('failed', `the call to the app failed (${(err as Error).message})`));
    }
    const onAbort = (): void => {
      settle(() => reject(abortFailure(call.signal!)));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    call.signal?.addEventListener('abort', onAbort, { once: true });

    const decoder = new FrameDecoder(maxResponseBytes, undefined);
    const messages: Uint8Array[] = [];
    let status: string | undefined;
    let statusMessage = '';
    let httpStatus: number | undefined;
    const appHeaders: Array<[string, string]> = [];
    const appTrailers: Array<[string, string]> = [];
    const readStatus = (h: http2.IncomingHttpHeaders, metadata: Array<[string, string]>): void => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) statusMessage = decodeGrpcMessage(String(h['grpc-message']));
      appMetadata(h, metadata);
    };
    stream.on('response', (h) => {
      httpStatus = h[':status'];
      // a trailers-only answer's metadata is trailer metadata, as grpc-go reads it
      readStatus(h, h['grpc-status'] !== undefined ? appTrailers : appHeaders);
    });
    stream.on('trailers', (h) => readStatus(h, appTrailers));
    stream.on('data', (chunk: Buffer) => {
      try {
        messages.push(...decoder.push(chunk));
      } catch (err) {
        settle(() => reject(new AppChannelError('failed', `the app's answer is unreadable (${(err as Error).message})`)));
        cutAndRetire(sessions, session, stream);
      }
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      settle(() => reject(connectFailure(err)));
    });
    stream.on('close', () => settle(() => {
      if (status === undefined) {
        // A non-200 answer without grpc-status (a server that does not know the method, such
        // as connect-node's 404) gets the gRPC spec's code for its HTTP status, as grpc-go
        // gives it daprd: 404 is UNIMPLEMENTED, so callbacks fall back as they do there.
        if (httpStatus !== undefined && httpStatus !== 200) {
          const { code, message } = nonGrpcAnswer(httpStatus);
          return resolve({ code, statusMessage: message, headers: [], trailers: [] });
        }
        return reject(new AppChannelError('failed', 'the app ended the call without a gRPC status'));
      }
      const { code, message } = appGrpcStatus(status, statusMessage);
      const metadata = { headers: appHeaders, trailers: appTrailers };
      if (code !== 0) return resolve({ code, statusMessage: message, ...metadata });
      if (messages.length !== 1) return reject(new AppChannelError('failed', `the app answered ${messages.length} messages to a unary call`));
      resolve({ code: 0, statusMessage, message: messages[0], ...metadata });
    }));
    stream.end(encodeFrame(call.message));
  });
}

// What a gRPC client library hands its caller as metadata: not the pseudo-headers, the status,
// the content type or the encodings, which belong to this hop.
const TRANSPORT_METADATA = new Set(['content-type', 'content-length', 'te', 'date']);

function appMetadata(h: http2.IncomingHttpHeaders, into: Array<[string, string]>): void {
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith(':') || k.startsWith('grpc-') || TRANSPORT_METADATA.has(k)) continue;
    for (const one of Array.isArray(v) ? v : [v]) into.push([k, String(one)]);
  }
}
