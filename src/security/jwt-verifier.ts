// JWT verification for the API token: signature (RS/PS/ES/EdDSA from a key set; HS only with an
// explicitly configured secret), exp/nbf with 60 s clock skew, iss, aud. Verified tokens are
// cached (bounded LRU) until their exp — never beyond, and never longer than MAX_CACHE_MS so a
// key removed from the key set stops being honoured soon — so a hot token costs a map lookup.
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { DenyReason } from './api-token.js';
import type { KeySource } from './jwks-source.js';
import type { Tally } from './tally.js';

export const CLOCK_SKEW_S = 60;
const MAX_CACHE_MS = 5 * 60_000;
const CACHE_ENTRIES = 4096;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const SYMMETRIC = ['HS256', 'HS384', 'HS512'];

export interface JwtPrincipal {
  /** API groups the token may call; null = all */
  readonly scopes: ReadonlySet<string> | null;
  /** ms epoch after which the cache must not serve it */
  readonly cacheUntil: number;
}

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly keys?: KeySource;
  /** current HMAC secret (HS256/384/512 accepted only when set) */
  readonly hsSecret?: () => Uint8Array;
  readonly cacheHits?: Tally;
  readonly cacheMisses?: Tally;
}

export interface JwtVerifier {
  /** the cached principal of an already verified, unexpired token */
  cached(token: string): JwtPrincipal | undefined;
  verify(token: string): Promise<JwtPrincipal | DenyReason>;
}


export function scopesOf(payload: JWTPayload): ReadonlySet<string> | null {
  const claim = payload.scope;
  if (claim === undefined) return null;
  const names = typeof claim === 'string' ? claim.split(/\s+/).filter(Boolean) : Array.isArray(claim) ? claim.filter((x): x is string => typeof x === 'string') : [];
  return names.includes('*') ? null : new Set(names);
}

function reasonOf(err: unknown): DenyReason {
  const e = err as { code?: string; claim?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return e.claim === 'nbf' ? 'not_yet_valid' : e.claim === 'iss' ? 'wrong_issuer' : e.claim === 'aud' ? 'wrong_audience' : 'malformed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'bad_signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'unknown_key';
    default:
      return 'malformed';
  }
}

export function createJwtVerifier(s: JwtSettings): JwtVerifier {
  const cache = new Map<string, JwtPrincipal>();
  const options = (algorithms: string[]) => ({
    issuer: s.issuer,
    audience: [...s.audience],
    clockTolerance: CLOCK_SKEW_S,
    algorithms,
    requiredClaims: ['exp'],
  });
  const asymmetric = options(ASYMMETRIC);
  const symmetric = options(SYMMETRIC);

  const remember = (token: string, payload: JWTPayload): JwtPrincipal => {
    const p: JwtPrincipal = { scopes: scopesOf(payload), cacheUntil: Math.min(payload.exp! * 1000, Date.now() + MAX_CACHE_MS) };
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(token, p);
    return p;
  };

  const once = async (token: string, alg: string): Promise<JwtPrincipal | DenyReason> => {
    try {
      if (SYMMETRIC.includes(alg)) {
        const secret = s.hsSecret?.();
        if (!secret) return 'bad_signature';
        return remember(token, (await jwtVerify(token, secret, symmetric)).payload);
      }
      const getKey = s.keys?.getKey;
      if (!getKey) return 'unknown_key';
      return remember(token, (await jwtVerify(token, getKey, asymmetric)).payload);
    } catch (err) {
      return reasonOf(err);
    }
  };

  return {
    cached(token) {
      const p = cache.get(token);
      if (p === undefined) return undefined;
      if (p.cacheUntil <= Date.now()) {
        cache.delete(token);
        return undefined;
      }
      // LRU: move to the young end only when it is not already among the newest entries.
      if (cache.size > 64) {
        cache.delete(token);
        cache.set(token, p);
      }
      if (s.cacheHits) s.cacheHits.n++;
      return p;
    },
    async verify(token) {
      if (s.cacheMisses) s.cacheMisses.n++;
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        return 'malformed';
      }
      if (typeof alg !== 'string') return 'malformed';
      if (alg.toLowerCase() === 'none') return 'bad_signature';
      const first = await once(token, alg);
      if (first === 'unknown_key' && s.keys && (await s.keys.refreshForUnknownKey())) return once(token, alg);
      return first;
    },
  };
}
