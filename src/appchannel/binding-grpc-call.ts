// A unary AppCallback call over the gRPC app channel's raw stream (openStream), for the input
// binding methods (ListInputBindings, OnBindingEvent): one request frame out, one answer frame
// and a grpc-status back. Kept here so the channel's own OnInvoke path stays untouched.
import http2 from 'node:http2';
import { encodeFrame, FrameDecoder } from '../api/grpc/framing.js';
import { AppChannelError, abortFailure, type AppChannel } from './channel.js';

/** The app answered with a non-OK gRPC status. */
export class AppGrpcStatusError extends Error {
  constructor(readonly code: number, readonly grpcMessage: string) {
    super(`the app answered gRPC status ${code}${grpcMessage ? `: ${grpcMessage}` : ''}`);
    this.name = 'AppGrpcStatusError';
  }
}

export interface UnaryCall {
  /** e.g. /dapr.proto.runtime.v1.AppCallback/OnBindingEvent */
  readonly path: string;
  readonly message: Uint8Array;
  /** lower-case metadata keys */
  readonly metadata: Readonly<Record<string, string>>;
  readonly maxResponseBytes: number;
  readonly signal?: AbortSignal;
}

export async function appUnary(channel: AppChannel, call: UnaryCall): Promise<Uint8Array> {
  if (!channel.openStream) throw new AppChannelError('failed', 'the app channel is not gRPC');
  if (call.signal?.aborted) throw abortFailure(call.signal);
  const stream = await channel.openStream(
    { ':method': 'POST', ':path': call.path, 'content-type': 'application/grpc', te: 'trailers', ...call.metadata },
    call.signal,
  );
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(call.maxResponseBytes, undefined);
    const messages: Uint8Array[] = [];
    let status: string | undefined;
    let statusMessage = '';
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      call.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      settle(() => reject(abortFailure(call.signal!)));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    call.signal?.addEventListener('abort', onAbort, { once: true });
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
      const code = (err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? err.code;
      const refused = code === 'ECONNREFUSED' || code === 'EHOSTUNREACH';
      settle(() => reject(new AppChannelError(refused ? 'unreachable' : 'failed', `${refused ? 'the app is not reachable' : 'the call to the app failed'} (${code ?? err.message})`)));
    });
    stream.on('close', () => settle(() => {
      if (status === undefined) return reject(new AppChannelError('failed', 'the app ended the call without a gRPC status'));
      if (status !== '0') return reject(new AppGrpcStatusError(Number(status), statusMessage));
      if (messages.length !== 1) return reject(new AppChannelError('failed', `the app answered ${messages.length} messages to a unary call`));
      resolve(messages[0]!);
    }));
    stream.end(encodeFrame(call.message));
  });
}
