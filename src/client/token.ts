// Where the client's API token comes from, in order: an explicit token or callback (for
// short-lived tokens, e.g. a JWT fetched from an identity provider), a token file (re-read
// when it changes, at most once a second; the first token line is used), DAPR_API_TOKEN_FILE,
// DAPR_API_TOKEN. No source = no token sent.
import { readFileSync, statSync } from 'node:fs';

export type TokenProvider = () => string | undefined | Promise<string | undefined>;

export interface TokenOptions {
  /** a fixed token, or a callback asked before every call */
  readonly token?: string | TokenProvider;
  /** a token file (one token per line, # comments; the first token is sent) */
  readonly tokenFile?: string;
  /** where DAPR_API_TOKEN / DAPR_API_TOKEN_FILE are read (default: process.env) */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const CHECK_EVERY_MS = 1000;

export function tokenProvider(o: TokenOptions): TokenProvider {
  if (typeof o.token === 'function') return o.token;
  if (typeof o.token === 'string') {
    const t = o.token;
    return () => t;
  }
  const env = o.env ?? process.env;
  const file = o.tokenFile ?? (env.DAPR_API_TOKEN_FILE || undefined);
  if (file) return fileToken(file);
  const t = env.DAPR_API_TOKEN || undefined;
  return () => t;
}

function fileToken(path: string): TokenProvider {
  let token: string | undefined;
  let stamp = '';
  let checked = 0;
  const read = (): void => {
    checked = Date.now();
    try {
      const st = statSync(path);
      const now = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (now === stamp) return;
      const first = readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
      // An empty or half-written file keeps the token read before.
      if (first !== undefined) {
        token = first;
        stamp = now;
      }
    } catch {
      // unreadable for now: keep the last token
    }
  };
  read();
  return () => {
    if (Date.now() - checked >= CHECK_EVERY_MS) read();
    return token;
  };
}
