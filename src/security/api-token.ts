// The API-token vocabulary shared by both protocols, and the single-token check daprd has
// (DAPR_API_TOKEN). The full decision — several static tokens, JWTs, scopes, the API allow
// list — is made by the gate in api-gate.ts, built on the same constant-time comparison
// (token-set.ts). Both protocols only translate its verdict; neither decides on its own.
import { createStaticTokenSet } from './token-set.js';
import { tokenFingerprint } from './fingerprint.js';
import { DaprError } from '../errors/table.js';

export { tokenFingerprint };

export const API_TOKEN_HEADER = 'dapr-api-token';
export const AUTHORIZATION_HEADER = 'authorization';

/** Why a request was refused; the values are also metric/audit reason codes. */
export type DenyReason =
  | 'missing'
  | 'mismatch'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'unknown_key'
  | 'malformed'
  | 'out_of_scope'
  | 'api_denied';
export type Verdict = 'allow' | DenyReason;

/** The error for a call outside the token's scopes (403 / PERMISSION_DENIED on both protocols). */
export function outOfScope(group: string): DaprError {
  return new DaprError('ERR_PERMISSION_DENIED', `the API token does not grant access to the ${group} API`);
}

/** How a refusal is answered: 401 / UNAUTHENTICATED, 403 / PERMISSION_DENIED, or as if the
 * API did not exist (daprd's answer for an API outside the allow list). */
export function refusalKind(reason: DenyReason): 'unauthenticated' | 'forbidden' | 'unavailable' {
  return reason === 'out_of_scope' ? 'forbidden' : reason === 'api_denied' ? 'unavailable' : 'unauthenticated';
}

export interface ApiTokenCheck {
  readonly enabled: boolean;
  /** short fingerprint of the configured token, safe to log */
  readonly fingerprint: string;
  /** `presented` is the first value of the dapr-api-token header/metadata, if any */
  check(presented: string | undefined): Verdict;
}

/** daprd's check: one token, from DAPR_API_TOKEN. */
export function createApiTokenCheck(token: string | undefined): ApiTokenCheck {
  if (!token) {
    return { enabled: false, fingerprint: '', check: () => 'allow' };
  }
  const set = createStaticTokenSet([token]);
  return {
    enabled: true,
    fingerprint: set.fingerprints[0]!,
    check(presented) {
      if (presented === undefined || presented === '') return 'missing';
      return set.matches(presented) ? 'allow' : 'mismatch';
    },
  };
}

/** The token of an `Authorization: Bearer <token>` value (scheme case-insensitive). */
export function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 8) return undefined;
  const m = /^bearer[ \t]+([^\s]+)[ \t]*$/i.exec(value);
  return m ? m[1] : undefined;
}
