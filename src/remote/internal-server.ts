// The internal server: Dapr's dapr.proto.internals.v1.ServiceInvocation on HTTP/2 over mutual
// TLS, on --dapr-internal-grpc-port. Only a sidecar holding a certificate from this trust
// domain's CA gets past the handshake; the app id in that certificate (not any header) is the
// caller the own app is told about. CallLocal and CallLocalStream (call-local-stream-server.ts)
// run this sidecar's LOCAL invocation path (its own app channel and app token); calls for
// other gRPC services are relayed to the own gRPC app (transparent proxying from a remote
// sidecar).
import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { GrpcServer, type CallContext, type CallObserver } from '../api/grpc/server.js';
import { internalAppProxy } from '../api/grpc/app-proxy.js';
import type { CoreContext } from '../core/context.js';
import { invokeLocal, type Caller } from '../core/invoke.js';
import {
  ServiceInvocation,
  type InternalInvokeRequest, type InternalInvokeRequestStream, type InternalInvokeResponse, type InternalInvokeResponseStream,
} from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { serveCallLocalStream } from './call-local-stream-server.js';
import { callerOf, incomingCall, responseOf } from './internal-call.js';
import { identityOf, type SidecarIdentity } from './spiffe.js';

export interface InternalServerOptions {
  readonly ctx: CoreContext;
  readonly trustDomain: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly maxMessageBytes: number;
  readonly observe?: CallObserver;
  /** a refused handshake or identity (never carries secrets) */
  readonly onRefused?: (peer: string, why: string) => void;
}

/** The identity a TLS socket's (already verified) client certificate proves, in our trust domain. */
export function peerIdentity(socket: TLSSocket, trustDomain: string): SidecarIdentity | undefined {
  const id = identityOf(socket.getPeerCertificate?.()?.subjectaltname);
  return id && id.trustDomain === trustDomain ? id : undefined;
}

/** host:port of a connection, or "unknown" once the socket has let go of its address */
const peerOf = (socket: TLSSocket): string => (socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unknown');

export function createInternalServer(o: InternalServerOptions): GrpcServer {
  const identities = new WeakMap<Http2Session, SidecarIdentity | undefined>();
  const identify = (session: Http2Session): SidecarIdentity | undefined => {
    if (!identities.has(session)) identities.set(session, peerIdentity(session.socket as TLSSocket, o.trustDomain));
    return identities.get(session);
  };
  const callerOf = (stream: ServerHttp2Stream): Caller | undefined => {
    const id = stream.session && identify(stream.session);
    return id && { appId: id.appId, namespace: id.namespace };
  };
  const g = new GrpcServer({
    maxMessageBytes: o.maxMessageBytes,
    interceptors: [], // no API token here: the peer authenticated with its certificate
    observe: o.observe,
    fallback: internalAppProxy(o.ctx, callerOf),
    identify,
    tls: {
      ca: o.ca, cert: o.cert, key: o.key,
      requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', allowHTTP1: false,
      // a sidecar completes its handshake in milliseconds; a silent connection is let go
      handshakeTimeout: 10_000,
    },
  });
  const server = g.server;
  // A certificate from our CA that names no sidecar of our trust domain is not a caller.
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!peerIdentity(socket, o.trustDomain)) {
      o.onRefused?.(peerOf(socket), 'the client certificate names no sidecar of this trust domain');
      socket.destroy();
    }
  });
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    o.onRefused?.(peerOf(socket), err.message);
    socket.destroy();
  });
  g.addService(ServiceInvocation, {
    callLocal: (req: InternalInvokeRequest, call: CallContext) => callLocal(o.ctx, req, call),
    callLocalStream: (reqs: AsyncIterable<InternalInvokeRequestStream>, call: CallContext, send: (m: InternalInvokeResponseStream) => Promise<void>) =>
      serveCallLocalStream(o.ctx, reqs, call, send),
  });
  return g;
}

async function callLocal(ctx: CoreContext, req: InternalInvokeRequest, call: CallContext): Promise<InternalInvokeResponse> {
  const caller = callerOf(call);
  const res = await invokeLocal(ctx, incomingCall(ctx, req, call), caller);
  return responseOf(res, res.body);
}
