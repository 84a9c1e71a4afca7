// A set of static API tokens (one from DAPR_API_TOKEN, or every line of a token file), compared
// in constant time and without revealing any token's length (beyond its number of 256-byte
// blocks, for the rare token longer than 256 bytes).
//
// Up to LINEAR_UP_TO tokens, every configured token is kept zero-padded to one common size (256
// bytes, or the longest token rounded up to whole 256-byte blocks). The presented token is
// copied once into a scratch buffer of that size and compared with crypto.timingSafeEqual
// against EVERY token, with no early exit; the results are OR-ed. The work done depends only on
// the number of tokens and the common size — not on which token matched, where the strings
// differ, or how long each token is. Header values cannot contain NUL, so the padding cannot
// make two different tokens equal.
//
// A larger set (a token file with a token per client) would make that linear work the cost of
// every request (1,000 tokens: ~0.2 ms). There, each token is kept as its HMAC-SHA256 under a
// key made at random for this process, and the presented token's HMAC is looked up in a hash
// set: one HMAC per request, whatever the set's size. The lookup's timing depends only on
// digests an attacker cannot compute without the key, so it tells nothing about any token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { tokenFingerprint } from './fingerprint.js';

/** The padding block. 256 bytes covers any static token people set (longer ones show only their
 * block count); at 1 KiB the comparison alone cost 0.66 µs a request against 0.27 µs, i.e.
 * ~1.5 % of a 25 µs state read on a fast machine, more than the auth-on/auth-off target allows. */
export const TOKEN_PAD_BYTES = 256;

export interface StaticTokenSet {
  readonly size: number;
  /** fingerprints (first 8 hex of SHA-256) of the tokens, safe to log */
  readonly fingerprints: readonly string[];
  /** true when `presented` (non-empty) equals one of the tokens */
  matches(presented: string): boolean;
}

/** Above this many tokens the set is a keyed-digest lookup (linear: n × ~0.2 µs; one HMAC: ~1.5 µs). */
export const LINEAR_UP_TO = 8;

const WIDER_THAN_A_BYTE = /[^\x00-\xff]/;
/** How a header value carries a token: one character per byte as node reads it (latin-1) — the
 * bytes the caller sent, which a token's UTF-8 bytes must equal (daprd compares bytes). */
const encodingOf = (presented: string): BufferEncoding => (WIDER_THAN_A_BYTE.test(presented) ? 'utf8' : 'latin1');
export const EMPTY_TOKEN_SET: StaticTokenSet = Object.freeze({ size: 0, fingerprints: [], matches: () => false });

export function createStaticTokenSet(tokens: readonly string[]): StaticTokenSet {
  const unique = [...new Set(tokens.filter((t) => t !== ''))];
  if (unique.length === 0) return EMPTY_TOKEN_SET;
  const fingerprints = Object.freeze(unique.map(tokenFingerprint));
  return Object.freeze({ size: unique.length, fingerprints, matches: unique.length > LINEAR_UP_TO ? digestLookup(unique) : linearCompare(unique) });
}

function linearCompare(unique: readonly string[]): (presented: string) => boolean {
  const longest = Math.max(...unique.map((t) => Buffer.byteLength(t)));
  const size = Math.max(TOKEN_PAD_BYTES, Math.ceil(longest / TOKEN_PAD_BYTES) * TOKEN_PAD_BYTES);
  const expected = unique.map((t) => {
    const b = Buffer.alloc(size);
    b.write(t);
    return b;
  });
  const lengths = unique.map((t) => Buffer.byteLength(t));
  // One scratch buffer, reused: checks run one at a time on the event loop.
  const scratch = Buffer.alloc(size);
  const n = expected.length;
  return (presented) => {
    const encoding = encodingOf(presented);
    const written = scratch.write(presented, encoding);
    scratch.fill(0, written);
    const presentedBytes = encoding === 'latin1' ? presented.length : Buffer.byteLength(presented);
    let ok = 0;
    for (let i = 0; i < n; i++) {
      // A longer input was cut at `size`: it can only match if its length is exactly the token's.
      ok |= (timingSafeEqual(scratch, expected[i]!) ? 1 : 0) & (presentedBytes === lengths[i] ? 1 : 0);
    }
    return ok === 1;
  };
}

function digestLookup(unique: readonly string[]): (presented: string) => boolean {
  const key = randomBytes(32);
  const digest = (text: string, encoding: BufferEncoding): string => createHmac('sha256', key).update(text, encoding).digest('base64');
  const digests = new Set(unique.map((t) => digest(t, 'utf8')));
  return (presented) => digests.has(digest(presented, encodingOf(presented)));
}

/** Token file format: one token per line; blank lines and lines starting with # are ignored. */
export function parseTokenLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) { // old Mac line ends too: a CR inside a token would lock everyone out
    const t = line.trim();
    if (t !== '' && !t.startsWith('#')) out.push(t);
  }
  return out;
}
