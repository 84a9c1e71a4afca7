// The one decision for every call on either protocol: (presented token, called API) → allow,
// or a reason. Order: token (static set, then JWT) → API allow/deny lists → JWT scopes. A
// caller without a valid token learns nothing about which APIs exist.
//
// Cost: with static tokens only, check() is synchronous — one constant-time comparison per
// configured token, two property reads and a counter increment. With JWT enabled, a token
// already verified is answered synchronously from the cache; only a token never seen (or
// whose cache entry ran out) returns a Promise.
import type { DenyReason, Verdict } from './api-token.js';
import type { AuditLog } from './audit.js';
import type { CallTarget, Protocol } from './api-access.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { StaticTokenSet } from './token-set.js';
import type { Tally } from './tally.js';

/** Three base64url segments: worth a signature check. */
const looksLikeJwt = (t: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(t);

export interface GateConfig {
  /** static tokens in force (DAPR_API_TOKEN, or a watched token file); undefined = none */
  readonly statics?: { readonly current: StaticTokenSet };
  readonly jwt?: JwtVerifier;
  /** the Configuration has API allow/deny lists */
  readonly apiRules: boolean;
  readonly allowBearer: boolean;
  readonly auditOnly: boolean;
  readonly audit?: AuditLog;
  /** counts refusals (pillion_api_auth_total{result="denied"}) */
  readonly onDenied?: (protocol: Protocol, reason: DenyReason) => void;
  /** tallies of allowed checks by kind of credential */
  readonly allowedTally?: (protocol: Protocol, kind: 'static' | 'jwt') => Tally;
}

export interface ApiGate {
  /** something to check (tokens or API lists): adapters must call check() */
  readonly enabled: boolean;
  /** token authentication is on */
  readonly tokens: boolean;
  /** the token may also come from Authorization: Bearer */
  readonly allowBearer: boolean;
  check(presented: string | undefined, target: CallTarget): Verdict | Promise<Verdict>;
  /** records a refusal (metric + audit line); true = let it through anyway (audit-only mode) */
  refused(reason: DenyReason, method: string, target: CallTarget, peer: string, presented: string | undefined): boolean;
}

export function createApiGate(cfg: GateConfig, protocol: Protocol): ApiGate {
  const statics = cfg.statics;
  const jwt = cfg.jwt;
  const tokens = statics !== undefined || jwt !== undefined;
  const viaStatic = cfg.allowedTally?.(protocol, 'static') ?? { n: 0 };
  const viaJwt = cfg.allowedTally?.(protocol, 'jwt') ?? { n: 0 };

  const scoped = (scopes: ReadonlySet<string> | null, target: CallTarget): Verdict => {
    if (target.apiDenied) return 'api_denied';
    if (scopes !== null && !scopes.has(target.group)) return 'out_of_scope';
    viaJwt.n++;
    return 'allow';
  };

  const check = (presented: string | undefined, target: CallTarget): Verdict | Promise<Verdict> => {
    if (!tokens) return target.apiDenied ? 'api_denied' : 'allow';
    if (presented === undefined || presented === '') return 'missing';
    const set = statics?.current;
    if (set !== undefined && set.size !== 0 && set.matches(presented)) {
      if (target.apiDenied) return 'api_denied';
      viaStatic.n++;
      return 'allow';
    }
    if (jwt === undefined) return 'mismatch';
    const hit = jwt.cached(presented);
    if (hit !== undefined) return scoped(hit.scopes, target);
    if (!looksLikeJwt(presented)) return set !== undefined && set.size !== 0 ? 'mismatch' : 'malformed';
    return jwt.verify(presented).then((r) => (typeof r === 'string' ? r : scoped(r.scopes, target)));
  };

  return {
    enabled: tokens || cfg.apiRules,
    tokens,
    allowBearer: cfg.allowBearer,
    check,
    refused(reason, method, target, peer, presented) {
      const letThrough = cfg.auditOnly && reason !== 'api_denied';
      cfg.onDenied?.(protocol, reason);
      cfg.audit?.record({ reason, protocol, method, group: target.group, peer, presented, auditOnly: letThrough });
      return letThrough;
    },
  };
}
