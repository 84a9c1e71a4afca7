// daprd decodes an HTTP state value into a Go `any` and stores json.Marshal of it, so the
// bytes a gRPC client later reads are Go's encoding: object keys sorted, "<", ">", "&",
// U+2028 and U+2029 escaped. To round-trip byte-for-byte as daprd does, we encode the same
// way. Numbers follow the same shortest round-trip rules in Go and JavaScript. Pure.

import { goJsonSyntaxError } from './go-json-syntax.js';

const ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => ESCAPES[c]!);
}

/**
 * json.Marshal of a parsed JSON value. Iterative, with its own stack of open containers: a
 * value nested 10,000 levels (all Go's decoder accepts) would overflow the JS call stack if
 * each level were a call. A cycle (never produced by JSON.parse) throws, as it does in Go.
 */
export function goJsonMarshal(value: unknown): string {
  const open: Container[] = [];
  const onPath = new Set<object>();
  let out = '';
  let v = value;
  for (;;) {
    if (v === null || typeof v === 'boolean') out += String(v);
    else if (typeof v === 'number') out += JSON.stringify(v);
    else if (typeof v === 'string') out += goString(v);
    else if (typeof v === 'object') {
      if (onPath.has(v)) throw new TypeError('json: unsupported value: encountered a cycle');
      onPath.add(v);
      if (Array.isArray(v)) {
        out += '[';
        open.push({ value: v, keys: undefined, next: 0, size: v.length });
      } else {
        const keys = Object.keys(v).sort(compareUtf8);
        out += '{';
        open.push({ value: v as Record<string, unknown>, keys, next: 0, size: keys.length });
      }
    } else out += 'null';
    // Close every finished container, then continue with the next member of the innermost one.
    for (;;) {
      const top = open[open.length - 1];
      if (top === undefined) return out;
      if (top.next < top.size) {
        if (top.next > 0) out += ',';
        if (top.keys === undefined) v = (top.value as unknown[])[top.next];
        else {
          const k = top.keys[top.next]!;
          out += `${goString(k)}:`;
          v = (top.value as Record<string, unknown>)[k];
        }
        top.next++;
        break;
      }
      out += top.keys === undefined ? ']' : '}';
      onPath.delete(top.value);
      open.pop();
    }
  }
}

interface Container {
  readonly value: unknown[] | Record<string, unknown>;
  /** an object's keys in Go's order; undefined for an array */
  readonly keys: string[] | undefined;
  next: number;
  readonly size: number;
}

/**
 * encoding/json's decoder refuses a document nested deeper than this (scanner.go,
 * maxNestingDepth); daprd answers such a body as malformed.
 */
export const GO_JSON_MAX_DEPTH = 10_000;

/**
 * JSON.parse with Go's nesting limit, for request bodies daprd decodes with encoding/json:
 * deeper input throws a SyntaxError worded as Go's, which callers report as their route's
 * malformed-input error, as daprd does. So does a number past float64's range, unless
 * `useNumber` (Go's Decoder.UseNumber, with which daprd reads CloudEvents, keeps it as text).
 */
export function goJsonParse(text: string, useNumber = false): unknown {
  if (firstTooDeep(text, GO_JSON_MAX_DEPTH) === undefined) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      // the error path only: worded as Go's decoder words it (V8's as a last resort)
      throw new SyntaxError(goJsonSyntaxError(text, GO_JSON_MAX_DEPTH) ?? (err as Error).message);
    }
    // A number past float64's range is Infinity to JSON.parse (later stored as null); Go
    // refuses it. Only an exponent of 3+ digits, or a run of 210+ digits (1.8e308 with an
    // exponent of at most 99), makes one: a text with neither skips the scan.
    const huge = !useNumber && (LONG_EXPONENT.test(text) || LONG_DIGITS.test(text)) ? firstHugeNumber(text) : undefined;
    if (huge !== undefined) throw new SyntaxError(`json: cannot unmarshal number ${huge} into Go value of type float64`);
    return value;
  }
  // too deep — or a syntax error before the bracket that is: whichever Go meets first
  throw new SyntaxError(goJsonSyntaxError(text, GO_JSON_MAX_DEPTH) ?? 'exceeded max depth');
}

/**
 * The bracket ('[' or '{') that opens level max+1 of `text`, or undefined. Brackets inside
 * strings do not count. A text no longer than max cannot hold that many brackets.
 */
export function firstTooDeep(text: string, max: number): string | undefined {
  if (text.length <= max) return undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i);
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return text[i];
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

const LONG_EXPONENT = /[eE]\+?\d{3}/;
// Only from the start of a run: without the lookbehind the engine would try each run again
// from every digit in it (quadratic on a body of 209-digit runs).
const LONG_DIGITS = /(?<!\d)\d{210}/;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The first number literal of a (valid) JSON text, outside strings, that float64 cannot hold. */
function firstHugeNumber(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i);
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const literal = NUMBER.exec(text)![0];
      if (!Number.isFinite(Number(literal))) return literal;
      i += literal.length - 1;
    }
  }
  return undefined;
}

/** Index of the quote closing the string opened at `from` (text.length if none). */
function closingQuote(text: string, from: number): number {
  let i = from;
  for (;;) {
    i = text.indexOf('"', i + 1);
    if (i < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return i;
  }
}

/** Go sorts map keys by their UTF-8 bytes; JS compares UTF-16 code units. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A struct field as Go's json.Unmarshal fills it from an object: keys match the field name
 * case-insensitively (the official JS SDK sends `entryID` where daprd's struct says
 * `entryId`), and when several keys match, the last one in the document wins, as each
 * overwrites the field in turn.
 */
export function goJsonField(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  const folded = name.toLowerCase();
  let value: unknown;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === folded) value = v;
  return value;
}
