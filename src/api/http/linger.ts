// A lingering close, as Go's server does it (closeWriteAndWait) for an answer sent before the
// caller finished sending its body (a 413, an invocation that failed mid-upload). Closing a
// socket with unread data makes the kernel send a reset, and a reset can reach the caller
// before it read the answer: it then sees EPIPE / ECONNRESET instead of the 413. So the
// connection is half-closed after the answer, what still arrives is read and dropped, and the
// socket is closed when the caller is done sending — or after LINGER_MS at most.
import type { ServerResponse } from 'node:http';

const LINGER_MS = 500;

/** Makes the close that follows `res` (sent with `connection: close`) a lingering one. */
export function lingerAfter(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  // node's server ends a `connection: close` exchange with socket.destroySoon(); the request's
  // remaining body is dumped (read and dropped) by the server itself.
  socket.destroySoon = function lingeringClose(this: typeof socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('end', () => {
      clearTimeout(timer);
      this.destroy();
    });
    this.once('close', () => clearTimeout(timer));
  };
}
