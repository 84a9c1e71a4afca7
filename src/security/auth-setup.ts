// Builds the API gate from the start-up settings: the static token sources (DAPR_API_TOKEN, or
// a watched token file), the JWT verifier and its key source, the API allow/deny lists, the
// audit log; and the app token source. Everything is opt-in: with DAPR_API_TOKEN alone the
// gate is exactly daprd's check.
import { createApiGate, type ApiGate } from './api-gate.js';
import { createApiAccess, hasApiRules, type ApiAccessRules, type Protocol } from './api-access.js';
import { createAuditLog, type AuditSink } from './audit.js';
// The JWT modules (and the jose library under them) are imported only when JWT is configured:
// a sidecar with a plain token never pays their memory.
import type { KeySource } from './jwks-source.js';
import type { JwtVerifier } from './jwt-verifier.js';
import { openTokenFile, TokenFileError, type TokenFileSource } from './token-file.js';
import { createStaticTokenSet, parseTokenLines, type StaticTokenSet } from './token-set.js';
import { headerForm } from '../util/header-chars.js';
import { tokenFingerprint } from './fingerprint.js';
import { readTextFile, watchTextFile, type FileWatch } from './file-watch.js';
import type { DenyReason } from './api-token.js';
import type { Tally } from './tally.js';

export interface JwtOptions {
  readonly jwks?: string;
  readonly oidcIssuer?: string;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly hsSecretFile?: string;
}

export interface AuthSetupOptions {
  readonly envToken?: string;
  readonly tokenFile?: string;
  readonly jwt?: JwtOptions;
  readonly allowBearer: boolean;
  readonly auditOnly: boolean;
  readonly apiRules?: ApiAccessRules;
  readonly appToken?: string;
  readonly appTokenFile?: string;
  readonly log: { info(msg: string): void; warn(msg: string): void };
  readonly audit: AuditSink;
  readonly metrics?: {
    onDenied(protocol: Protocol, reason: DenyReason): void;
    allowedTally(protocol: Protocol, kind: 'static' | 'jwt'): Tally;
    tokenReload(result: 'success' | 'error'): void;
    jwksFetch(result: 'success' | 'error'): void;
    jwtCache: { hits: Tally; misses: Tally };
    setTokensLoaded(read: () => number): void;
  };
}

export interface AuthSetup {
  readonly http: ApiGate;
  readonly grpc: ApiGate;
  readonly apiAllowed: (protocol: Protocol, name: string, version: string) => boolean;
  /** what the start-up log says about token authentication; undefined = off */
  readonly description: string | undefined;
  /** the token the sidecar will send to the app (APP_API_TOKEN, or the first line of
   * APP_API_TOKEN_FILE, reloaded on change); read by the app channel when there is one */
  readonly appToken: () => string | undefined;
  /** settles once remote key sets had their first load attempt */
  readonly ready: Promise<void>;
  close(): void;
}

export class AuthSetupError extends Error {}

const MIN_HS_SECRET_BYTES = 32;

export async function setupAuth(o: AuthSetupOptions): Promise<AuthSetup> {
  const closers: Array<() => void> = [];
  const reloadReport = (result: 'success' | 'error', detail: string): void => {
    o.metrics?.tokenReload(result);
    if (result === 'success') o.log.info(detail);
    else o.log.warn(detail);
  };

  // Static tokens: the file wins over the environment variable (see docs/security.md).
  let statics: { readonly current: StaticTokenSet } | undefined;
  const parts: string[] = [];
  try {
    if (o.tokenFile) {
      const src: TokenFileSource = openTokenFile(o.tokenFile, 'API token file', reloadReport);
      // The injector sets both from the same Secret: warn only when the env token would be lost.
      if (o.envToken && !src.current.matches(o.envToken)) {
        o.log.warn('DAPR_API_TOKEN is ignored: the API token file takes precedence (put the token in the file to keep accepting it)');
      }
      closers.push(() => src.watch.close());
      statics = src;
      parts.push(`token file ${o.tokenFile}, ${src.current.size} token(s), fingerprints ${src.current.fingerprints.join(', ')}`);
    } else if (o.envToken) {
      statics = { current: createStaticTokenSet([o.envToken]) };
      parts.push(`token fingerprint ${statics.current.fingerprints[0]}`);
    }
  } catch (err) {
    if (err instanceof TokenFileError) throw new AuthSetupError(err.message);
    throw err;
  }
  o.metrics?.setTokensLoaded(() => statics?.current.size ?? 0);

  // JWT.
  let jwt: JwtVerifier | undefined;
  let ready: Promise<void> = Promise.resolve();
  if (o.jwt) {
    const j = o.jwt;
    const [{ checkKeyUrl, fileKeySource, isUrl, remoteKeySource }, { createJwtVerifier }] = await Promise.all([import('./jwks-source.js'), import('./jwt-verifier.js')]);
    const events = {
      fetched(result: 'success' | 'error', detail: string) {
        o.metrics?.jwksFetch(result);
        if (result === 'success') o.log.info(detail);
        else o.log.warn(detail);
      },
    };
    let keys: KeySource | undefined;
    try {
      if (j.oidcIssuer) keys = remoteKeySource({ oidcIssuer: checkKeyUrl(j.oidcIssuer) }, events);
      else if (j.jwks && isUrl(j.jwks)) keys = remoteKeySource({ jwksUrl: checkKeyUrl(j.jwks) }, events);
      else if (j.jwks) keys = fileKeySource(j.jwks, events);
    } catch (err) {
      throw new AuthSetupError(`--api-token-jwks / --api-token-oidc-issuer: ${(err as Error).message}`);
    }
    if (keys) {
      closers.push(() => keys.close());
      ready = keys.ready;
    }
    let hsSecret: (() => Uint8Array) | undefined;
    if (j.hsSecretFile) {
      const path = j.hsSecretFile;
      const load = (text: string): Uint8Array => {
        const bytes = new TextEncoder().encode(text.trim());
        if (bytes.length < MIN_HS_SECRET_BYTES) throw new Error(`the secret must be at least ${MIN_HS_SECRET_BYTES} bytes`);
        return bytes;
      };
      let secret: Uint8Array;
      let text: string;
      try {
        text = readTextFile(path);
        secret = load(text);
      } catch (err) {
        throw new AuthSetupError(`--api-token-hs-secret-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      const watch: FileWatch = watchTextFile(path, text, {
        onChange(next) {
          try {
            secret = load(next);
            reloadReport('success', `HS secret file ${path} reloaded`);
          } catch (err) {
            reloadReport('error', `HS secret file ${path}: ${(err as Error).message}; keeping the secret loaded before`);
          }
        },
        onError: (err) => reloadReport('error', `HS secret file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? err.message}); keeping the secret loaded before`),
      });
      closers.push(() => watch.close());
      hsSecret = () => secret;
    }
    jwt = createJwtVerifier({ issuer: j.issuer, audience: j.audience, keys, hsSecret, cacheHits: o.metrics?.jwtCache.hits, cacheMisses: o.metrics?.jwtCache.misses });
    parts.push(`JWT from issuer ${j.issuer}, audience ${j.audience.join(',')}, keys ${j.oidcIssuer ? 'by OIDC discovery' : j.jwks ?? 'none'}${hsSecret ? ' + HS secret' : ''}`);
  }
  if (o.allowBearer) parts.push('Authorization: Bearer accepted');
  if (o.auditOnly) parts.push('AUDIT ONLY: refusals are logged, not enforced');

  // App token: kept current for the app channel (which sends it to the app), as it goes on
  // the wire (a token that is not ASCII as its UTF-8 bytes).
  let appTokenHeader = o.appToken === undefined ? undefined : headerForm(o.appToken);
  if (o.appTokenFile) {
    const path = o.appTokenFile;
    let text: string;
    try {
      text = readTextFile(path);
    } catch (err) {
      throw new AuthSetupError(`App API token file ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const fromFile = parseTokenLines(text)[0];
    if (fromFile === undefined) throw new AuthSetupError(`App API token file ${path}: holds no token`);
    if (o.appToken) o.log.warn('APP_API_TOKEN is ignored: APP_API_TOKEN_FILE takes precedence');
    appTokenHeader = headerForm(fromFile);
    const watch = watchTextFile(path, text, {
      onChange(next) {
        const t = parseTokenLines(next)[0];
        if (t === undefined) return reloadReport('error', `App API token file ${path} holds no token; keeping the token loaded before`);
        appTokenHeader = headerForm(t);
        reloadReport('success', `App API token file ${path} reloaded (fingerprint ${tokenFingerprint(t)})`);
      },
      onError: (err) => reloadReport('error', `App API token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? err.message}); keeping the token loaded before`),
    });
    closers.push(() => watch.close());
  }

  const audit = createAuditLog(o.audit);
  closers.push(() => audit.close());
  const apiAllowed = createApiAccess(o.apiRules);
  const gateCfg = {
    statics,
    jwt,
    apiRules: hasApiRules(o.apiRules),
    allowBearer: o.allowBearer,
    auditOnly: o.auditOnly,
    audit,
    onDenied: o.metrics?.onDenied,
    allowedTally: o.metrics?.allowedTally,
  };
  return {
    http: createApiGate(gateCfg, 'http'),
    grpc: createApiGate(gateCfg, 'grpc'),
    apiAllowed,
    description: statics || jwt ? parts.join('; ') : undefined,
    appToken: () => appTokenHeader,
    ready,
    close() {
      for (const c of closers) c();
    },
  };
}
