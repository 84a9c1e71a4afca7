// gRPC translation of the one API gate: runs on every call (any service, any method, unary or
// streaming) before routing; removes the token (dapr-api-token, and with
// --api-token-allow-bearer the authorization metadata) before anything else sees it.
import type { IncomingHttpHeaders } from 'node:http2';
import { GrpcCode } from '../../errors/table.js';
import { API_TOKEN_HEADER, AUTHORIZATION_HEADER, bearerToken, outOfScope, refusalKind, type DenyReason, type Verdict } from '../../security/api-token.js';
import type { ApiGate } from '../../security/api-gate.js';
import { grpcTargets, type CallTarget, type Protocol } from '../../security/api-access.js';
import type { Interceptor } from './server.js';
import { GrpcStatusError } from './status.js';

// daprd's wording of each refusal, carried in ErrorInfo metadata["http.error_message"].
const DETAIL: Record<Exclude<DenyReason, 'out_of_scope' | 'api_denied'>, string> = {
  missing: 'missing api token in request metadata',
  mismatch: 'authentication error: api token mismatch',
  expired: 'authentication error: api token expired',
  not_yet_valid: 'authentication error: api token not yet valid',
  bad_signature: 'authentication error: api token signature invalid',
  wrong_issuer: 'authentication error: api token issuer not accepted',
  wrong_audience: 'authentication error: api token audience not accepted',
  unknown_key: 'authentication error: api token signed with an unknown key',
  malformed: 'authentication error: api token malformed',
};

const unauthenticated = new Map<DenyReason, GrpcStatusError>();
for (const [reason, detail] of Object.entries(DETAIL)) {
  unauthenticated.set(reason as DenyReason, new GrpcStatusError(GrpcCode.UNAUTHENTICATED, 'Unauthorized', {
    reason: 'Unauthorized',
    domain: 'dapr.io',
    metadata: { 'http.code': '401', 'http.error_message': detail },
  }));
}
// daprd's answer for a Dapr method outside the Configuration's API allow list.
const NOT_AVAILABLE = new GrpcStatusError(GrpcCode.UNIMPLEMENTED, 'requested endpoint is not available');

function refusal(reason: DenyReason, target: CallTarget): Error {
  const kind = refusalKind(reason);
  if (kind === 'unavailable') return NOT_AVAILABLE;
  if (kind === 'forbidden') return outOfScope(target.group);
  return unauthenticated.get(reason)!;
}

/** The first value of a metadata key, as daprd reads it (node joins repeated ones with ", "). */
function firstValue(headers: IncomingHttpHeaders, raw: readonly string[], name: string): string | undefined {
  const v = headers[name];
  if (typeof v !== 'string' || !v.includes(', ')) return Array.isArray(v) ? v[0] : v;
  for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) return raw[i + 1];
  return v;
}

export function authInterceptor(gate: ApiGate, apiAllowed?: (protocol: Protocol, name: string, version: string) => boolean): Interceptor {
  const targetOf = grpcTargets(apiAllowed ?? (() => true));
  const bearer = gate.allowBearer;
  const strip = (headers: IncomingHttpHeaders): void => {
    delete headers[API_TOKEN_HEADER];
    if (bearer) delete headers[AUTHORIZATION_HEADER];
  };
  return (headers, path, peer, rawHeaders) => {
    if (!gate.enabled) {
      strip(headers);
      return undefined;
    }
    let presented = firstValue(headers, rawHeaders, API_TOKEN_HEADER);
    if (presented === undefined && bearer) presented = bearerToken(firstValue(headers, rawHeaders, AUTHORIZATION_HEADER));
    const target = targetOf(path);
    const verdict = gate.check(presented, target);
    if (verdict === 'allow') {
      strip(headers);
      return undefined;
    }
    const settle = (v: Verdict): Error | undefined => {
      if (v !== 'allow' && !gate.refused(v, path, target, peer, presented)) return refusal(v, target);
      strip(headers);
      return undefined;
    };
    return typeof verdict === 'string' ? settle(verdict) : verdict.then(settle);
  };
}
