// Where JWT verification keys come from: a JWKS file (watched like a token file), a JWKS URL,
// or an OIDC issuer's discovery document (which names the JWKS URL). Keys are kept in memory
// and served from there: a failed refresh (issuer down) keeps the last good key set. Refreshes
// happen in the background every REFRESH_MS, and on demand when a token names a key id we do
// not have — at most once per UNKNOWN_KID_COOLDOWN_MS, so a flood of forged key ids cannot
// turn into a flood of requests to the issuer.
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { readTextFile, watchTextFile, type FileWatch } from './file-watch.js';

export const REFRESH_MS = 5 * 60_000;
export const UNKNOWN_KID_COOLDOWN_MS = 3_000;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_DOCUMENT_BYTES = 1 << 20;

export interface KeySourceEvents {
  /** every load attempt (file read or URL fetch) */
  fetched(result: 'success' | 'error', detail: string): void;
}

export interface KeySource {
  /** undefined until a key set was loaded once */
  readonly getKey: JWTVerifyGetKey | undefined;
  /** settles once the first load attempt is over (whatever its result) */
  readonly ready: Promise<void>;
  /** a token named an unknown key id: reload if the cooldown allows; true if a reload ran */
  refreshForUnknownKey(): Promise<boolean>;
  close(): void;
}

/** https only, except on the loopback (tests, local identity providers). */
export function checkKeyUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`"${raw}" is not a URL`);
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`"${raw}" must be an https:// URL (http:// is accepted for 127.0.0.1, localhost and [::1] only)`);
  }
  return url;
}

export const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

function parseJwks(text: string): JSONWebKeySet {
  const doc = JSON.parse(text) as JSONWebKeySet;
  if (!doc || !Array.isArray(doc.keys)) throw new Error('not a JSON Web Key Set (no "keys" array)');
  // Only public keys belong here; a symmetric key in a JWKS would invite algorithm confusion.
  for (const k of doc.keys) if (k.kty === 'oct' || 'd' in k) throw new Error('a JWKS may hold public keys only');
  return doc;
}

async function fetchText(url: URL): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new Error('document larger than 1 MiB');
  return text;
}

/** A JWKS file: loaded now (a bad file at start-up is an error), reloaded on change. */
export function fileKeySource(path: string, events: KeySourceEvents): KeySource {
  const text = readTextFile(path);
  let getKey: JWTVerifyGetKey = createLocalJWKSet(parseJwks(text));
  events.fetched('success', `JWKS file ${path} loaded`);
  const apply = (next: string): void => {
    try {
      getKey = createLocalJWKSet(parseJwks(next));
      events.fetched('success', `JWKS file ${path} reloaded`);
    } catch (err) {
      events.fetched('error', `JWKS file ${path}: ${(err as Error).message}; keeping the keys loaded before`);
    }
  };
  const watch: FileWatch = watchTextFile(path, text, {
    onChange: apply,
    onError: (err) => events.fetched('error', `JWKS file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? err.message}); keeping the keys loaded before`),
  });
  let last = 0;
  return {
    ready: Promise.resolve(),
    get getKey() {
      return getKey;
    },
    async refreshForUnknownKey() {
      if (Date.now() - last < UNKNOWN_KID_COOLDOWN_MS) return false;
      last = Date.now();
      await watch.check();
      return true;
    },
    close: () => watch.close(),
  };
}

/** A JWKS URL, or an OIDC issuer whose discovery document names it. Never throws: until the
 * first successful load, tokens are refused with unknown_key. */
export function remoteKeySource(opts: { jwksUrl?: URL; oidcIssuer?: URL }, events: KeySourceEvents): KeySource {
  let getKey: JWTVerifyGetKey | undefined;
  let jwksUrl = opts.jwksUrl;
  let inFlight: Promise<void> | undefined;
  let lastAttempt = 0;

  const discover = async (issuer: URL): Promise<URL> => {
    const base = issuer.href.endsWith('/') ? issuer.href : issuer.href + '/';
    const doc = JSON.parse(await fetchText(new URL('.well-known/openid-configuration', base))) as { issuer?: string; jwks_uri?: string };
    if (doc.issuer !== issuer.href && doc.issuer !== issuer.href.replace(/\/$/, '')) {
      throw new Error(`discovery document names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer.href}`);
    }
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    return checkKeyUrl(doc.jwks_uri);
  };
  const load = (): Promise<void> => {
    lastAttempt = Date.now();
    inFlight ??= (async () => {
      try {
        jwksUrl ??= await discover(opts.oidcIssuer!);
        getKey = createLocalJWKSet(parseJwks(await fetchText(jwksUrl)));
        events.fetched('success', `JWKS ${jwksUrl.href} loaded`);
      } catch (err) {
        const where = jwksUrl?.href ?? `discovery for ${opts.oidcIssuer?.href}`;
        events.fetched('error', `JWKS ${where}: ${(err as Error).message}${getKey ? '; keeping the keys loaded before' : ''}`);
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
  const ready = load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  timer.unref();
  return {
    ready,
    get getKey() {
      return getKey;
    },
    async refreshForUnknownKey() {
      if (inFlight) {
        await inFlight;
        return true;
      }
      if (Date.now() - lastAttempt < UNKNOWN_KID_COOLDOWN_MS) return false;
      await load();
      return true;
    },
    close: () => clearInterval(timer),
  };
}
