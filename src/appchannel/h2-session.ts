// One reusable HTTP/2 client connection to the app (h2c, or TLS for grpcs), re-opened after it
// drops. Shared by the gRPC and h2c channels and the probes.
import http2 from 'node:http2';
import type { ConnectionOptions } from 'node:tls';
import { h2Connect } from './h2-connect.js';

export interface SessionSource {
  /** the open connection, or a new one */
  get(): http2.ClientHttp2Session;
  /** Stop handing out `session` for new calls and close it once its other calls are done.
   * For a connection on which we cut an answer short (see cutAndRetire). */
  retire(session: http2.ClientHttp2Session): void;
  destroy(): void;
}

export function appAuthority(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function sessionSource(host: string, port: number, tls?: ConnectionOptions): SessionSource {
  let session: http2.ClientHttp2Session | undefined;
  return {
    destroy: () => session?.destroy(),
    retire(s) {
      if (session === s) session = undefined;
      s.close(); // graceful: calls still in flight on it finish
    },
    get() {
      if (session && !session.closed && !session.destroyed) return session;
      const s = h2Connect(host, port, tls);
      s.on('error', () => {}); // reported on the streams that fail with it
      s.once('close', () => session === s && (session = undefined));
      // The app is shutting down: stop using this connection and let in-flight calls finish.
      s.once('goaway', () => {
        if (session === s) session = undefined;
        s.close();
      });
      s.unref(); // an idle connection to the app must not keep the process alive
      return (session = s);
    },
  };
}

/**
 * Cuts an answer short (RST_STREAM CANCEL) and retires its connection. The app had that
 * answer queued for sending, and node's HTTP/2 server (which grpc-js and connect-node apps
 * run on) keeps counting a reset stream's unsent bytes against the
 * connection's maxSessionMemory (10 MB by default) until the connection ends: after one
 * oversized answer it refuses every new stream on that connection with ENHANCE_YOUR_CALM
 * while serving new connections normally. Only ending the connection gives that memory
 * back, so the next call gets a fresh one; calls still in flight on the old one finish.
 */
export function cutAndRetire(sessions: SessionSource, session: http2.ClientHttp2Session, stream: http2.ClientHttp2Stream): void {
  stream.close(http2.constants.NGHTTP2_CANCEL);
  sessions.retire(session);
}
