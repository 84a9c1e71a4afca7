// The one API-token check, shared by the HTTP middleware and the gRPC interceptor.
// Both protocols translate its verdict; neither decides anything on its own.
//
// Constant time and length hiding: the presented token is hashed with SHA-256 and the
// digests are compared with timingSafeEqual, so neither the content nor the length of the
// configured token can be learned from response timing. The token itself is kept only as
// its digest, so it cannot end up in a log or an error by accident.
import { createHash, hash, timingSafeEqual } from 'node:crypto';

export const API_TOKEN_HEADER = 'dapr-api-token';

/** Why a request was refused; the values are also metric/audit reason codes. */
export type DenyReason = 'missing' | 'mismatch';
export type Verdict = 'allow' | DenyReason;

export interface ApiTokenCheck {
  readonly enabled: boolean;
  /** short fingerprint of the configured token, safe to log */
  readonly fingerprint: string;
  /** `presented` is the first value of the dapr-api-token header/metadata, if any */
  check(presented: string | undefined): Verdict;
}

const sha256 = (s: string): Buffer =>
  typeof hash === 'function' ? (hash('sha256', s, 'buffer') as Buffer) : createHash('sha256').update(s).digest();

/** First 8 hex of the SHA-256: identifies a token in logs without revealing it. */
export function tokenFingerprint(token: string): string {
  return sha256(token).toString('hex').slice(0, 8);
}

export function createApiTokenCheck(token: string | undefined): ApiTokenCheck {
  if (!token) {
    return { enabled: false, fingerprint: '', check: () => 'allow' };
  }
  const expected = sha256(token);
  return {
    enabled: true,
    fingerprint: tokenFingerprint(token),
    check(presented) {
      if (presented === undefined || presented === '') return 'missing';
      return timingSafeEqual(sha256(presented), expected) ? 'allow' : 'mismatch';
    },
  };
}
