// Channels to endpoints outside Dapr (service invocation with a full URL as the target): one
// keep-alive HTTP/1.1 channel per origin, made on first use. Unlike the app channel, HTTPS
// here verifies the server's certificate against the system's roots — the target is some
// other party, not the sidecar's own app. Idle pooled connections do not keep the process
// alive (node's agent unrefs them); close() drops them at shutdown.
import { createHttpChannel } from './http-channel.js';
import type { AppChannel } from './channel.js';

/** Client TLS of an HTTPEndpoint resource (PEM): its own root CA replaces the system's. */
export interface EndpointTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface ExternalChannels {
  /** the channel to `url`'s origin (http: or https:); `named` with its TLS for an
   * HTTPEndpoint resource, which gets a pool of its own */
  channel(url: URL, named?: { readonly name: string; readonly tls?: EndpointTls }): AppChannel;
  close(): void;
}

export function createExternalChannels(maxResponseBytes: number): ExternalChannels {
  const open = new Map<string, AppChannel>();
  return {
    channel(url, named) {
      const key = named ? `${named.name}\u0000${url.origin}` : url.origin;
      let ch = open.get(key);
      if (!ch) {
        const tls = url.protocol === 'https:';
        // URL keeps IPv6 hosts bracketed; sockets want them bare.
        const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
        ch = createHttpChannel({
          host, port: Number(url.port) || (tls ? 443 : 80), maxResponseBytes, hostHeader: url.host,
          tls: tls ? { minVersion: 'TLSv1.2', ...named?.tls } : undefined,
        });
        open.set(key, ch);
      }
      return ch;
    },
    close() {
      for (const ch of open.values()) ch.close();
      open.clear();
    },
  };
}
