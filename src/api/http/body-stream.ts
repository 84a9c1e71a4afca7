// A request body as a stream, for routes that relay it instead of reading it whole (service
// invocation): the same --max-body-size limit as readBody, enforced as the bytes pass.
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { DaprError } from '../../errors/table.js';
import { tooLarge } from './body.js';

/** Bodies up to this size with a declared length are read whole even on streaming routes. */
export const STREAM_ABOVE_BYTES = 64 * 1024;

/** The body of `req`, erroring with ERR_BODY_TOO_LARGE once more than `limit` bytes passed
 * (a declared Content-Length above the limit is refused before, by the server). */
export function limitedBody(req: IncomingMessage, limit: number): Readable {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size <= limit) return done(null, chunk);
      // Like readBody: the rest is read and dropped, so the caller gets to read the 413
      // (sent with Connection: close) instead of a reset while it is still sending.
      req.unpipe(counter);
      req.resume();
      done(tooLarge(limit));
    },
  });
  // The caller's connection breaking mid-body fails the stream, as readBody's promise.
  req.once('error', (err) => counter.destroy(new DaprError('ERR_BODY_READ', `failed to read request body: ${err.message}`)));
  req.once('aborted', () => counter.destroy(new DaprError('ERR_BODY_READ', 'failed to read request body: the caller closed the connection')));
  // Whoever relays the body listens for its errors while it does; after that (the call already
  // failed or finished) the caller going away must not be an unhandled 'error' that takes
  // the process down.
  counter.on('error', () => {});
  return req.pipe(counter);
}
