// The syntax error Go's encoding/json reports for a malformed document, worded as Go words it
// ("invalid character '}' looking for beginning of value", "unexpected end of JSON input"),
// so that a malformed body gets daprd's message, not V8's. Only run once JSON.parse has
// failed (or the nesting limit was passed): a byte-by-byte walk with Go's scanner states over
// the document's UTF-8 bytes — Go reads bytes, so a character past ASCII is named by its first
// byte, as Go names it. Pure.

const enum S {
  Value, ValueOrEmpty, KeyOrEmpty, Key, AfterValue, InString, Escape, U1, U2, U3, U4,
  Neg, Zero, Int, Dot, Frac, Exp, ExpSign, ExpDigits, Literal, Done,
}

// What follows a value inside a container.
const enum Ctx { ObjectKey, ObjectValue, Array }

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: a byte as it appears in the message, in single quotes. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  // strconv.Quote(string(rune(c))) without its double quotes
  if (c === 0x07) return "'\\a'";
  if (c === 0x08) return "'\\b'";
  if (c === 0x0c) return "'\\f'";
  if (c === 0x0a) return "'\\n'";
  if (c === 0x0d) return "'\\r'";
  if (c === 0x09) return "'\\t'";
  if (c === 0x0b) return "'\\v'";
  if (c === 0x5c) return "'\\\\'";
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if (c >= 0x80 && c <= 0xa0) return `'\\u00${c.toString(16).padStart(2, '0')}'`; // not printable for Go (U+00A0 included)
  if (c === 0xad) return "'\\u00ad'"; // soft hyphen: a format character, not printable
  return `'${String.fromCharCode(c)}'`;
}

const invalid = (c: number, context: string): string => `invalid character ${goQuoteChar(c)} ${context}`;

/**
 * Go's syntax error for `text`, or undefined when Go's scanner accepts it. `maxDepth` is
 * encoding/json's nesting limit (an opening bracket past it: "exceeded max depth").
 */
export function goJsonSyntaxError(text: string, maxDepth: number): string | undefined {
  const b = Buffer.from(text, 'utf8');
  const stack: Ctx[] = [];
  let s = S.Value;
  let literal = ''; // the rest of true / false / null still expected
  let literalName = '';

  for (let i = 0; i <= b.length; i++) {
    // One past the end, Go's scanner steps once more with a space (which ends a number, and is
    // the "invalid character ' '" of a document cut off inside a literal or an escape).
    const c = i < b.length ? b[i]! : 0x20;
    const atEnd = i === b.length;
    for (;;) {
      switch (s) {
        case S.Value:
        case S.ValueOrEmpty:
        case S.KeyOrEmpty:
        case S.Key: {
          if (isSpace(c)) break;
          if (s === S.ValueOrEmpty && c === 0x5d) { stack.pop(); s = S.AfterValue; break; }
          if (s === S.KeyOrEmpty && c === 0x7d) { stack.pop(); s = S.AfterValue; break; }
          if (s === S.KeyOrEmpty || s === S.Key) {
            if (c !== 0x22) return invalid(c, 'looking for beginning of object key string');
            s = S.InString;
            break;
          }
          if (c === 0x7b || c === 0x5b) {
            if (stack.length >= maxDepth) return invalid(c, 'exceeded max depth');
            stack.push(c === 0x7b ? Ctx.ObjectKey : Ctx.Array);
            s = c === 0x7b ? S.KeyOrEmpty : S.ValueOrEmpty;
          } else if (c === 0x22) s = S.InString;
          else if (c === 0x2d) s = S.Neg;
          else if (c === 0x30) s = S.Zero;
          else if (c >= 0x31 && c <= 0x39) s = S.Int;
          else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            literalName = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
            literal = literalName.slice(1);
            s = S.Literal;
          } else return invalid(c, 'looking for beginning of value');
          break;
        }
        case S.AfterValue: {
          const top = stack[stack.length - 1];
          if (top === undefined) {
            if (!isSpace(c)) return invalid(c, 'after top-level value');
            s = S.Done;
            break;
          }
          if (isSpace(c)) break;
          if (top === Ctx.ObjectKey) {
            if (c !== 0x3a) return invalid(c, 'after object key');
            stack[stack.length - 1] = Ctx.ObjectValue;
            s = S.Value;
          } else if (top === Ctx.ObjectValue) {
            if (c === 0x2c) { stack[stack.length - 1] = Ctx.ObjectKey; s = S.Key; }
            else if (c === 0x7d) stack.pop();
            else return invalid(c, 'after object key:value pair');
          } else if (c === 0x2c) s = S.Value;
          else if (c === 0x5d) stack.pop();
          else return invalid(c, 'after array element');
          break;
        }
        case S.Done:
          if (!isSpace(c)) return invalid(c, 'after top-level value');
          break;
        case S.InString:
          if (c === 0x22) s = S.AfterValue;
          else if (c === 0x5c) s = S.Escape;
          else if (c < 0x20) return invalid(c, 'in string literal');
          break;
        case S.Escape:
          if (c === 0x75) s = S.U1;
          else if ('bfnrt\\/"'.includes(String.fromCharCode(c))) s = S.InString;
          else return invalid(c, 'in string escape code');
          break;
        case S.U1:
        case S.U2:
        case S.U3:
        case S.U4:
          if (!isHex(c)) return invalid(c, 'in \\u hexadecimal character escape');
          s = s === S.U1 ? S.U2 : s === S.U2 ? S.U3 : s === S.U3 ? S.U4 : S.InString;
          break;
        case S.Neg:
          if (c === 0x30) s = S.Zero;
          else if (c >= 0x31 && c <= 0x39) s = S.Int;
          else return invalid(c, 'in numeric literal');
          break;
        case S.Int:
          if (isDigit(c)) break;
          s = S.Zero;
          continue; // the byte ends the integer part: what may follow a 0 decides
        case S.Zero:
          if (c === 0x2e) s = S.Dot;
          else if (c === 0x65 || c === 0x45) s = S.Exp;
          else { s = S.AfterValue; continue; }
          break;
        case S.Dot:
          if (!isDigit(c)) return invalid(c, 'after decimal point in numeric literal');
          s = S.Frac;
          break;
        case S.Frac:
          if (isDigit(c)) break;
          if (c === 0x65 || c === 0x45) s = S.Exp;
          else { s = S.AfterValue; continue; }
          break;
        case S.Exp:
          if (c === 0x2b || c === 0x2d) { s = S.ExpSign; break; }
          s = S.ExpSign;
          continue;
        case S.ExpSign:
          if (!isDigit(c)) return invalid(c, 'in exponent of numeric literal');
          s = S.ExpDigits;
          break;
        case S.ExpDigits:
          if (isDigit(c)) break;
          s = S.AfterValue;
          continue;
        case S.Literal:
          if (c !== literal.charCodeAt(0)) return invalid(c, `in literal ${literalName} (expecting '${literal[0]}')`);
          literal = literal.slice(1);
          if (!literal) s = S.AfterValue;
          break;
      }
      break;
    }
    if (atEnd) return s === S.Done || (s === S.AfterValue && stack.length === 0) ? undefined : 'unexpected end of JSON input';
  }
  return undefined;
}
