// The caller side of the internal connection: mutual-TLS HTTP/2 sessions to other sidecars'
// internal servers (one per address and expected identity, reused), a unary CallLocal, the
// streamed CallLocalStream (call-local-stream.ts), and raw streams for transparent gRPC
// proxying. The server's certificate must name exactly the app we meant to reach (its SPIFFE
// ID), so a stale registry row or a port taken over by another sidecar can never route a call
// to the wrong app.
import http2 from 'node:http2';
import type { PeerCertificate } from 'node:tls';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { encodeFrame, FrameDecoder } from '../api/grpc/framing.js';
import { InternalInvokeRequestSchema, InternalInvokeResponseSchema, type InternalInvokeRequest, type InternalInvokeResponse } from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import type { InvokeTarget, ResolvedAddress } from './resolver.js';
import { identityOf, spiffeId } from './spiffe.js';
import { h2Connect } from '../appchannel/h2-connect.js';
import type { Readable } from 'node:stream';
import { CALL_LOCAL_STREAM_PATH, callLocalStream, type StreamCallOptions, type StreamedAnswer } from './call-local-stream.js';
import { aborted, connectionError, RemoteConnectionError, statusError } from './errors.js';
import type { CallSignal } from '../util/call-signal.js';

export { aborted, connectionError, RemoteConnectionError, RemoteStatusError, statusError, type RemoteFailure } from './errors.js';

export const CALL_LOCAL_PATH = '/dapr.proto.internals.v1.ServiceInvocation/CallLocal';

export interface ClientCredentials {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export class InternalClient {
  private readonly sessions = new Map<string, http2.ClientHttp2Session>();

  constructor(
    /** read on every new connection, so a renewed leaf is used from then on */
    private readonly credentials: () => ClientCredentials,
    private readonly trustDomain: string,
    private readonly maxMessageBytes: number,
  ) {}

  /** A session to `addr` whose server proved to be the sidecar of `target`. */
  session(addr: ResolvedAddress, target: InvokeTarget): http2.ClientHttp2Session {
    const expected = spiffeId({ trustDomain: this.trustDomain, ...target });
    const key = `${addr.host}:${addr.port}|${expected}`;
    const open = this.sessions.get(key);
    if (open && !open.closed && !open.destroyed) return open;
    const c = this.credentials();
    const s = h2Connect(addr.host, addr.port, {
      ca: c.ca, cert: c.cert, key: c.key, minVersion: 'TLSv1.2',
      // Identity, not host name: the peer must be the sidecar of the app we resolved.
      checkServerIdentity: (_host: string, cert: PeerCertificate) => {
        const id = identityOf(cert.subjectaltname);
        return id && spiffeId(id) === expected ? undefined : new Error(`the sidecar at ${addr.host}:${addr.port} is not ${expected}`);
      },
    });
    s.on('error', () => {}); // reported on the streams that fail with it
    const forget = (): void => {
      if (this.sessions.get(key) === s) this.sessions.delete(key);
    };
    s.once('close', forget);
    s.once('goaway', () => {
      forget();
      s.close();
    });
    s.unref(); // an idle connection must not keep the process alive
    this.sessions.set(key, s);
    return s;
  }

  /** Unary CallLocal. */
  callLocal(addr: ResolvedAddress, target: InvokeTarget, req: InternalInvokeRequest, signal?: CallSignal, timeoutMs?: number): Promise<InternalInvokeResponse> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(aborted(signal));
      const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': CALL_LOCAL_PATH, 'content-type': 'application/grpc', te: 'trailers' };
      if (timeoutMs && timeoutMs > 0) headers['grpc-timeout'] = `${Math.ceil(timeoutMs)}m`;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.session(addr, target).request(headers);
      } catch (err) {
        return reject(new RemoteConnectionError('failed', `the call to the remote sidecar failed (${(err as Error).message})`));
      }
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = (): void => {
        settle(() => reject(aborted(signal!)));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const decoder = new FrameDecoder(this.maxMessageBytes, undefined);
      const messages: Uint8Array[] = [];
      const trailers: http2.IncomingHttpHeaders = {};
      stream.on('response', (h) => Object.assign(trailers, h));
      stream.on('trailers', (t) => Object.assign(trailers, t));
      stream.on('data', (chunk: Buffer) => {
        try {
          messages.push(...decoder.push(chunk));
        } catch (err) {
          settle(() => reject(new RemoteConnectionError('failed', `the remote sidecar's answer is unreadable (${(err as Error).message})`)));
          stream.close(http2.constants.NGHTTP2_CANCEL);
        }
      });
      stream.on('error', (err) => settle(() => reject(connectionError(err))));
      stream.on('close', () => settle(() => {
        const status = trailers['grpc-status'];
        if (status === undefined) return reject(new RemoteConnectionError('failed', 'the remote sidecar ended the call without a gRPC status'));
        if (Number(status) !== 0) return reject(statusError(trailers));
        try {
          if (messages.length !== 1) throw new Error(`${messages.length} messages`);
          resolve(fromBinary(InternalInvokeResponseSchema, messages[0]!));
        } catch (err) {
          reject(new RemoteConnectionError('failed', `the remote sidecar's answer is not an InternalInvokeResponse (${(err as Error).message})`));
        }
      }));
      stream.end(encodeFrame(toBinary(InternalInvokeRequestSchema, req)));
    });
  }

  /** CallLocalStream: the request body and the answer flow as they arrive (call-local-stream.ts). */
  callLocalStream(addr: ResolvedAddress, target: InvokeTarget, head: InternalInvokeRequest, body: Uint8Array | Readable, o: Omit<StreamCallOptions, 'maxMessageBytes' | 'cancel'> & { timeoutMs?: number }): Promise<StreamedAnswer> {
    if (o.signal?.aborted) return Promise.reject(aborted(o.signal));
    const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': CALL_LOCAL_STREAM_PATH, 'content-type': 'application/grpc', te: 'trailers' };
    if (o.timeoutMs && o.timeoutMs > 0) headers['grpc-timeout'] = `${Math.ceil(o.timeoutMs)}m`;
    // A body still flowing is cancelled through the request's signal: a reset without ending
    // the body first (see StreamCallOptions.cancel). A whole body is sent and ended at once, so
    // nothing can be cut off and the default reset does the same, without an AbortController
    // and its listeners per call (bodiless HTTP calls, and bodies already read whole).
    const cancelling = body instanceof Uint8Array ? undefined : new AbortController();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = this.session(addr, target).request(headers, cancelling && { signal: cancelling.signal });
    } catch (err) {
      return Promise.reject(new RemoteConnectionError('failed', `the call to the remote sidecar failed (${(err as Error).message})`));
    }
    return callLocalStream(stream, head, body, { ...o, maxMessageBytes: this.maxMessageBytes, cancel: cancelling && (() => cancelling.abort()) });
  }

  /** A raw stream to the remote sidecar (transparent proxying; the caller owns it). */
  openStream(addr: ResolvedAddress, target: InvokeTarget, headers: http2.OutgoingHttpHeaders): http2.ClientHttp2Stream {
    return this.session(addr, target).request(headers);
  }

  close(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }
}
