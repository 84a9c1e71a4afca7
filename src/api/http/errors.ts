// Error → HTTP response, from the one error table. The only place that shapes HTTP errors.
import { asDaprError } from '../../errors/table.js';
import type { HttpResponse } from './types.js';

export function toHttp(err: unknown): HttpResponse {
  const e = asDaprError(err);
  return {
    status: e.http,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ errorCode: e.wire, message: e.message }),
  };
}

/** daprd's answer to a missing or wrong token, byte for byte (same for both cases). */
export const UNAUTHORIZED: HttpResponse = Object.freeze({
  status: 401,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'invalid api token\n',
});
