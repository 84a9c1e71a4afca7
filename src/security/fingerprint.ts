// Token fingerprints: what logs and audit lines show instead of a token.
import { createHash } from 'node:crypto';

/** First 8 hex of the SHA-256: identifies a token in logs without revealing it. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 8);
}
