// Binding a server to a TCP address or a Unix socket, with errors that name the port.
import { rmSync } from 'node:fs';
import type { Server } from 'node:net';

export type Endpoint = { readonly host: string; readonly port: number } | { readonly path: string };

export function describe(ep: Endpoint): string {
  return 'path' in ep ? `unix:${ep.path}` : `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
}

export class ListenError extends Error {
  constructor(readonly what: string, readonly endpoint: Endpoint, readonly code: string | undefined, detail: string) {
    super(`cannot listen for the ${what} on ${describe(endpoint)}: ${detail}`);
    this.name = 'ListenError';
  }
}

export function listen(server: Server, ep: Endpoint, what: string): Promise<void> {
  if ('path' in ep) rmSync(ep.path, { force: true });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const hint = err.code === 'EADDRINUSE' ? 'the address is already in use (choose another port with its flag)' : err.message;
      reject(new ListenError(what, ep, err.code, hint));
    };
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if ('path' in ep) server.listen(ep.path, done);
    else server.listen(ep.port, ep.host, done);
  });
}

/** Stops accepting, lets in-flight requests finish, then closes what is left. */
export async function closeGracefully(
  server: Server & { closeIdleConnections?: () => void; closeAllConnections?: () => void },
  graceMs: number,
): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((r) => server.close(() => r()));
  server.closeIdleConnections?.();
  // keep-alive connections that become idle after their in-flight request
  const idle = setInterval(() => server.closeIdleConnections?.(), 50);
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, graceMs)).unref());
  const result = await Promise.race([closed.then(() => 'closed' as const), timeout]);
  clearInterval(idle);
  if (result === 'timeout') {
    server.closeAllConnections?.();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 100).unref())]);
  }
}
