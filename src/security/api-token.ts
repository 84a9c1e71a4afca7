// The one API-token check, shared by the HTTP middleware and the gRPC interceptor.
// Both protocols translate its verdict; neither decides anything on its own.
//
// Constant time and length hiding: the presented token is written into a fixed-size,
// zero-padded buffer (1 KiB, or the token's length rounded up to a whole KiB if longer) and
// compared with crypto.timingSafeEqual against the configured token padded the same way. The
// work done is the same whatever the token's length and wherever the strings differ; only
// the caller's own input length changes how long copying it takes. (Hashing both sides with
// SHA-256 would hide the length too, but costs ~1.5 µs per request, 5% of a state read.)
// Header values cannot contain NUL, so the padding cannot make two different tokens equal.
import { createHash, timingSafeEqual } from 'node:crypto';

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

/** First 8 hex of the SHA-256: identifies a token in logs without revealing it. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 8);
}

const BLOCK = 1024;

export function createApiTokenCheck(token: string | undefined): ApiTokenCheck {
  if (!token) {
    return { enabled: false, fingerprint: '', check: () => 'allow' };
  }
  const tokenBytes = Buffer.byteLength(token);
  const size = Math.max(BLOCK, Math.ceil(tokenBytes / BLOCK) * BLOCK);
  const expected = Buffer.alloc(size);
  expected.write(token);
  // One scratch buffer, reused: checks run one at a time on the event loop.
  const scratch = Buffer.alloc(size);
  return {
    enabled: true,
    fingerprint: tokenFingerprint(token),
    check(presented) {
      if (presented === undefined || presented === '') return 'missing';
      const written = scratch.write(presented);
      scratch.fill(0, written);
      const sameBytes = timingSafeEqual(scratch, expected);
      // A longer input was cut at `size`: it can only match if it is exactly the token.
      const sameLength = Buffer.byteLength(presented) === tokenBytes;
      return sameBytes && sameLength ? 'allow' : 'mismatch';
    },
  };
}
