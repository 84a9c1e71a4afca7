// Opening the sidecar's own HTTP/2 client connections (to the app, to other sidecars) with two
// settings node's defaults get wrong for a proxy in the request path:
//  - TCP_NODELAY. Node leaves Nagle on for http2.connect, and a session cannot change it once
//    open (ERR_HTTP2_NO_SOCKET_MANIPULATION); with Nagle a small frame waits for the ACK of
//    the previous one, which cost ~0.2 ms per round trip on loopback TLS (measured).
//  - the peer's stream limit. Until the server's SETTINGS say otherwise node assumes 100
//    concurrent streams, and a server that announces no limit (node's and grpc-go's default)
//    never says otherwise: every call past the 100th would queue inside the client. grpc-go,
//    daprd's client, assumes no limit.
import http2 from 'node:http2';
import net from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';

/** The stream limit assumed until the peer announces its own (its announcement wins). */
export const PEER_MAX_CONCURRENT_STREAMS = 2 ** 31 - 1;

/** The stream limit our servers announce: work per connection stays bounded (maxSessionMemory
 * bounds the bytes); clients past it queue their calls rather than fail them. */
export const SERVER_MAX_CONCURRENT_STREAMS = 10_000;

/** http2.connect to host:port (h2c, or TLS with `tlsOptions`), Nagle off. */
export function h2Connect(host: string, port: number, tlsOptions?: ConnectionOptions): http2.ClientHttp2Session {
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const authority = `${tlsOptions ? 'https' : 'http'}://${bracketed}:${port}`;
  return http2.connect(authority, {
    peerMaxConcurrentStreams: PEER_MAX_CONCURRENT_STREAMS,
    // What http2.connect does itself, plus setNoDelay: ALPN h2, and SNI only for host names.
    createConnection: () => {
      const socket = tlsOptions
        ? tls.connect({ ...tlsOptions, host, port, ALPNProtocols: ['h2'], servername: tlsOptions.servername ?? (net.isIP(host) ? undefined : host) })
        : net.connect({ host, port });
      socket.setNoDelay(true);
      return socket;
    },
  });
}
