// gRPC translation of the one API-token check: runs on every call (any service, any method,
// unary or streaming) before routing; removes the token from the metadata on success.
import type { IncomingHttpHeaders } from 'node:http2';
import { GrpcCode } from '../../errors/table.js';
import { API_TOKEN_HEADER, type ApiTokenCheck, type DenyReason } from '../../security/api-token.js';
import type { Interceptor } from './server.js';
import { GrpcStatusError } from './status.js';

// daprd's wording of each refusal, carried in ErrorInfo metadata["http.error_message"].
const DETAIL: Record<DenyReason, string> = {
  missing: 'missing api token in request metadata',
  mismatch: 'authentication error: api token mismatch',
};

const denied = (reason: DenyReason): GrpcStatusError =>
  new GrpcStatusError(GrpcCode.UNAUTHENTICATED, 'Unauthorized', {
    reason: 'Unauthorized',
    domain: 'dapr.io',
    metadata: { 'http.code': '401', 'http.error_message': DETAIL[reason] },
  });

/** The first dapr-api-token value, as daprd reads it (node joins repeated ones with ", "). */
function firstValue(headers: IncomingHttpHeaders, raw: readonly string[]): string | undefined {
  const v = headers[API_TOKEN_HEADER];
  if (typeof v !== 'string' || !v.includes(', ')) return Array.isArray(v) ? v[0] : v;
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === API_TOKEN_HEADER) return raw[i + 1];
  return v;
}

export function authInterceptor(
  auth: ApiTokenCheck,
  onDenied?: (reason: DenyReason, path: string, peer: string) => void,
): Interceptor {
  return (headers, path, peer, rawHeaders) => {
    if (auth.enabled) {
      const verdict = auth.check(firstValue(headers, rawHeaders));
      if (verdict !== 'allow') {
        onDenied?.(verdict, path, peer);
        return denied(verdict);
      }
    }
    delete headers[API_TOKEN_HEADER];
    return undefined;
  };
}
