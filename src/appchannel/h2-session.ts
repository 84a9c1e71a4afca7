// One reusable HTTP/2 client connection to the app (h2c, or TLS for grpcs), re-opened after it
// drops. Shared by the gRPC and h2c channels and the probes.
import http2 from 'node:http2';
import type { ConnectionOptions } from 'node:tls';
import { h2Connect } from './h2-connect.js';

export interface SessionSource {
  /** the open connection, or a new one */
  get(): http2.ClientHttp2Session;
  destroy(): void;
}

export function appAuthority(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function sessionSource(host: string, port: number, tls?: ConnectionOptions): SessionSource {
  let session: http2.ClientHttp2Session | undefined;
  return {
    destroy: () => session?.destroy(),
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
