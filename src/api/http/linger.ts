// A lingering close, as Go's server does it (closeWriteAndWait) for an answer sent before the
// caller finished sending its body (a 413, an invocation that failed mid-upload). Closing a
// socket with unread data makes the kernel send a reset, and a reset can reach the caller
// before it read the answer: it then sees EPIPE / ECONNRESET instead of the 413. So the
// connection is half-closed after the answer, what still arrives is read and dropped, and the
// socket is closed when the caller is done sending — or after LINGER_MS at most.
import type { IncomingMessage, ServerResponse } from 'node:http';

const LINGER_MS = 500;
/** Go's maxPostHandlerReadBytes: an unread body up to this size is read so that the connection
 * can serve the next request; past it (or of unknown size) the connection is closed instead. */
const DRAIN_AT_MOST = 256 * 1024;

/** Whether the rest of an unread request body is too much to read just to keep the
 * connection: an unauthenticated 1 GB upload must not be read to its end. */
export function tooMuchToDrain(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const declared = req.headers['content-length'];
  return declared === undefined ? req.headers['transfer-encoding'] !== undefined : Number(declared) > DRAIN_AT_MOST;
}

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
