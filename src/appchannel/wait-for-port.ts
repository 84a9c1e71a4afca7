// Start-up readiness of the app: like daprd, wait until something accepts TCP connections on
// the app port before the app channel is used. The sidecar's own APIs are served meanwhile.
import net from 'node:net';

/** Resolves true once host:port accepts a connection, false if `signal` aborts first. */
export async function waitForPort(host: string, port: number, signal: AbortSignal, intervalMs = 50): Promise<boolean> {
  while (!signal.aborted) {
    if (await canConnect(host, port, signal)) return true;
    await new Promise<void>((r) => {
      const t = setTimeout(r, intervalMs);
      signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
  }
  return false;
}

function canConnect(host: string, port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = (): void => finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(1000, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}
