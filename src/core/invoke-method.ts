// The method of a service invocation, checked and cleaned once at the invocation edge (as
// daprd 1.18's NormalizeMethod does for every target: own app, another app, an endpoint):
// a method whose characters would change the URL the app receives (`?`, `#`, NUL, control
// characters — also when percent-encoded) is refused, and `.` / `..` segments (also `%2e`
// forms) and empty segments are resolved, so `a/../../admin` can never reach the app as a
// path outside the method space. Unlike daprd, an encoded slash (`%2F`) stays inside its
// segment: the app still receives the caller's encoding (docs/api.md).
import { DaprError } from '../errors/table.js';
import { goQuoteChar } from './go-json-syntax.js';

const ESCAPE = /%([0-9a-fA-F]{2})/g;
const FORBIDDEN = /[#?\x00-\x1f\x7f]/;
// a `.` or `..` segment (also as %2e), an empty one, or a trailing slash
const NEEDS_CLEANING = /(^|\/)(\.|%2e){1,2}(\/|$)|\/\/|^\/|\/$/i;

/** The method's bytes with valid percent-escapes decoded (others left as written). */
function decodedBytes(method: string): Buffer {
  if (!method.includes('%')) return Buffer.from(method, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const m of method.matchAll(ESCAPE)) {
    parts.push(Buffer.from(method.slice(last, m.index), 'utf8'), Buffer.from([parseInt(m[1]!, 16)]));
    last = m.index! + 3;
  }
  parts.push(Buffer.from(method.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

/** Go's %q of a string (strconv.Quote), for the error's wording: each character as Go's
 * quoteChar writes it, but for the quotes themselves. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c === 0x22 ? '\\"' : c === 0x27 ? "'" : c <= 0xff ? goQuoteChar(c).slice(1, -1) : ch;
  }
  return out + '"';
}

/**
 * The method as the app receives it, or a DaprError (ERR_DIRECT_INVOKE, daprd's wording) when
 * it holds a forbidden character. `method` is as the caller wrote it (the HTTP API: still
 * percent-encoded; gRPC: free text), without the leading '/'.
 */
export function normalizeMethod(appId: string, method: string): string {
  if (method.includes('%') || FORBIDDEN.test(method)) {
    const bytes = decodedBytes(method);
    const refuse = (why: string): never => {
      throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${appId}, err: rpc error: code = InvalidArgument desc = invalid method: method ${why}: ${goQuote(bytes.toString('utf8'))}`);
    };
    for (const b of [0x23, 0x3f, 0x00]) if (bytes.includes(b)) refuse('contains forbidden character');
    const control = bytes.findIndex((b) => b < 0x20 || b === 0x7f);
    if (control >= 0) refuse(`contains control character at position ${control}`);
  }
  if (!NEEDS_CLEANING.test(method)) return method; // the common case
  // Go's path.Clean on a rootless path, by segment; `..` above the start is dropped.
  const out: string[] = [];
  for (const seg of method.split('/')) {
    const plain = seg.includes('%') ? decodedBytes(seg).toString('latin1') : seg;
    if (plain === '' || plain === '.') continue;
    if (plain === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}
