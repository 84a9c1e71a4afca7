// How a call to another sidecar fails, as the caller side reports it: the connection (socket,
// TLS, identity, cancellation, deadline) or the remote sidecar's non-OK gRPC status. Messages
// never carry a token.
import type http2 from 'node:http2';
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { StatusSchema } from '../gen/google/rpc/status_pb.js';
import { ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import type { CallSignal } from '../util/call-signal.js';

export type RemoteFailure = 'unreachable' | 'identity' | 'failed' | 'cancelled' | 'timeout';

/** The remote sidecar could not be reached or talked to; never carries a token. */
export class RemoteConnectionError extends Error {
  constructor(readonly kind: RemoteFailure, message: string) {
    super(message);
    this.name = 'RemoteConnectionError';
  }
}

/** The remote sidecar answered CallLocal / CallLocalStream with a non-OK gRPC status. */
export class RemoteStatusError extends Error {
  constructor(readonly code: number, message: string, readonly reason?: string) {
    super(message);
    this.name = 'RemoteStatusError';
  }
}

/** Why a signal fired, as the caller is told. */
export function aborted(signal: CallSignal): RemoteConnectionError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return timedOut
    ? new RemoteConnectionError('timeout', 'the remote app did not answer in time')
    : new RemoteConnectionError('cancelled', 'the call was cancelled by the caller');
}

/** Socket and TLS failures, as the caller is told about them. */
export function connectionError(err: NodeJS.ErrnoException): RemoteConnectionError {
  // A failed connect reaches the stream as a cancel whose cause is the socket error.
  const cause = err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  const e = cause ?? err;
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND' || code === 'ETIMEDOUT') {
    return new RemoteConnectionError('unreachable', `the remote sidecar is not reachable (${code})`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /is not spiffe:/.test(e.message) || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new RemoteConnectionError('identity', `the remote sidecar did not prove its identity (${e.message})`);
  }
  return new RemoteConnectionError('failed', `the call to the remote sidecar failed (${code || e.message})`);
}

/** A non-OK gRPC status in trailers, with the Dapr error code of its ErrorInfo if any. */
export function statusError(t: http2.IncomingHttpHeaders): RemoteStatusError {
  const code = Number(t['grpc-status']);
  let message = String(t['grpc-message'] ?? '');
  try {
    message = decodeURIComponent(message);
  } catch {
    // keep it as sent
  }
  let reason: string | undefined;
  const bin = t['grpc-status-details-bin'];
  if (typeof bin === 'string') {
    try {
      for (const d of fromBinary(StatusSchema, Buffer.from(bin, 'base64')).details) reason = anyUnpack(d, ErrorInfoSchema)?.reason ?? reason;
    } catch {
      // undecodable details: the code and message still say what happened
    }
  }
  return new RemoteStatusError(code, message, reason);
}
