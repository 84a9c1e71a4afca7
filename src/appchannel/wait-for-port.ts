// Start-up readiness of the app: like daprd, wait until something accepts TCP connections on
// the app port before the app channel is used. The sidecar's own APIs are served meanwhile.
// For https / grpcs apps a TLS handshake must complete too, as daprd's tls.DialWithDialer —
// and, as there, without checking the certificate: this asks "is the app up?", while the
// calls themselves verify it when --app-ca-file is given.
import net from 'node:net';
import tls, { type ConnectionOptions } from 'node:tls';

/** Resolves true once host:port accepts a connection (and a TLS handshake with `secure`), false if `signal` aborts first. */
export async function waitForPort(host: string, port: number, signal: AbortSignal, intervalMs = 50, secure?: ConnectionOptions): Promise<boolean> {
  while (!signal.aborted) {
    if (await canConnect(host, port, signal, secure)) return true;
    await new Promise<void>((r) => {
      const t = setTimeout(r, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }
  return false;
}

function canConnect(host: string, port: number, signal: AbortSignal, secure?: ConnectionOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = secure ? tls.connect({ ...secure, host, port, rejectUnauthorized: false }) : net.connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(1000, () => finish(false));
    socket.once(secure ? 'secureConnect' : 'connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
