// Static tokens from a file, reloaded when the file changes (rotation without restart). The
// file holds one or more tokens, one per line; any of them is accepted, so a rotation is:
// add the new token as a second line, move clients over, remove the old line. An unreadable
// or empty file never locks everyone out: the last good set stays in force and the problem
// is reported (log + pillion_api_token_reloads_total{result="error"}).
import { createStaticTokenSet, parseTokenLines, type StaticTokenSet } from './token-set.js';
import { readTextFile, watchTextFile, type FileWatch } from './file-watch.js';

export interface ReloadReport {
  /** 'success' with the new fingerprints, or 'error' with what went wrong (never a token) */
  (result: 'success' | 'error', detail: string): void;
}

export interface TokenFileSource {
  /** the tokens in force now; swapped atomically on reload */
  readonly current: StaticTokenSet;
  readonly watch: FileWatch;
}

export class TokenFileError extends Error {}

/** Loads the file now (a missing, unreadable or empty file at start-up is an error) and watches it. */
export function openTokenFile(path: string, what: string, report: ReloadReport, pollMs?: number): TokenFileSource {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (err) {
    throw new TokenFileError(`${what} ${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let current = createStaticTokenSet(parseTokenLines(text));
  if (current.size === 0) throw new TokenFileError(`${what} ${path}: holds no token (one token per line; # starts a comment)`);
  const watch = watchTextFile(path, text, {
    pollMs,
    onChange(next) {
      const set = createStaticTokenSet(parseTokenLines(next));
      if (set.size === 0) {
        report('error', `${what} ${path} holds no token; keeping the ${current.size} token(s) loaded before`);
        return;
      }
      current = set;
      report('success', `${what} ${path} reloaded: ${set.size} token(s), fingerprints ${set.fingerprints.join(', ')}`);
    },
    onError(err) {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      report('error', `${what} ${path} cannot be read (${code}); keeping the ${current.size} token(s) loaded before`);
    },
  });
  return {
    get current() {
      return current;
    },
    watch,
  };
}
