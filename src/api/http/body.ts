// Reads a request body with a hard size limit, so an oversized upload is refused with a
// clear error instead of being buffered.
import type { IncomingMessage } from 'node:http';
import { DaprError } from '../../errors/table.js';

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', (err) => reject(new DaprError('ERR_BODY_READ', `failed to read request body: ${err.message}`)));
  });
}

export function tooLarge(limit: number): DaprError {
  return new DaprError('ERR_BODY_TOO_LARGE', `request body too large: the limit is ${limit} bytes (--max-body-size)`);
}
