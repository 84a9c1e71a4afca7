// Routing-rule `match` expressions. daprd evaluates full CEL; Pillion understands the subset
// routing rules use in practice: comparisons of an event field with a literal,
//   event.type == "order.created"      event.data.priority != 1      event.source == 'billing'
// joined with `&&` and `||` (`&&` binds tighter; no parentheses). Anything else is refused
// when the subscription is read, with a message saying what is supported. Pure.

export type Matcher = (event: Readonly<Record<string, unknown>>) => boolean;

type Literal = string | number | boolean | null;

interface Comparison {
  readonly path: readonly string[];
  readonly op: '==' | '!=';
  readonly value: Literal;
}

export class MatchSyntaxError extends Error {
  constructor(expr: string, detail: string) {
    super(`unsupported match expression ${JSON.stringify(expr)}: ${detail}; Pillion supports event.<field> == or != a string, number, true, false or null literal, joined with && and ||`);
    this.name = 'MatchSyntaxError';
  }
}

const COMPARISON = /^event((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(==|!=)\s*(.+)$/s;

function literal(text: string, expr: string): Literal {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  const q = t[0];
  if ((q === '"' || q === "'") && t.length >= 2 && t.at(-1) === q) {
    const body = t.slice(1, -1);
    if (body.includes(q) && !body.includes('\\')) throw new MatchSyntaxError(expr, `bad string literal ${t}`);
    // CEL's escapes are JSON's for the common cases.
    try {
      return q === '"' ? (JSON.parse(t) as string) : (JSON.parse(`"${body.replaceAll('"', '\\"').replaceAll("\\'", "'")}"`) as string);
    } catch {
      throw new MatchSyntaxError(expr, `bad string literal ${t}`);
    }
  }
  throw new MatchSyntaxError(expr, `expected a literal, got ${t}`);
}

/** Splits on an operator outside string literals. */
function splitOutside(text: string, op: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (text.startsWith(op, i)) {
      parts.push(text.slice(start, i));
      start = i + op.length;
      i += op.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function comparison(text: string, expr: string): Comparison {
  const m = COMPARISON.exec(text.trim());
  if (!m) throw new MatchSyntaxError(expr, `cannot read ${JSON.stringify(text.trim())}`);
  return { path: m[1]!.slice(1).split('.'), op: m[2] as '==' | '!=', value: literal(m[3]!, expr) };
}

function valueAt(event: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let v: unknown = event;
  for (const p of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function test(c: Comparison, event: Readonly<Record<string, unknown>>): boolean {
  const equal = valueAt(event, c.path) === c.value;
  return c.op === '==' ? equal : !equal;
}

/** Compiles `expr`, or throws MatchSyntaxError. */
export function compileMatch(expr: string): Matcher {
  if (expr.includes('(') && !/["']/.test(expr)) throw new MatchSyntaxError(expr, 'parentheses and functions are not supported');
  const any = splitOutside(expr, '||').map((alt) => splitOutside(alt, '&&').map((c) => comparison(c, expr)));
  return (event) => any.some((all) => all.every((c) => test(c, event)));
}
