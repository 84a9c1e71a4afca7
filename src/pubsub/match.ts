// Routing-rule `match` expressions: CEL, as daprd evaluates them with google/cel-go, here with
// @marcbachmann/cel-js. The one variable is `event`, a dyn holding the CloudEvent as it was
// decoded from JSON (so `event.data` is the JSON payload and every JSON number is a double,
// as Go's json.Unmarshal makes it). An expression is parsed and type-checked once, when the
// subscription is read; a bad one is refused then. Evaluating it is pure.
//
// The CEL library is loaded only when some subscription is read (loadMatchEngine), so a
// sidecar without subscriptions never pays for it.
import type { Environment } from '@marcbachmann/cel-js';

/**
 * true = the rule matches. Throws MatchEvalError when the expression cannot be evaluated.
 * `event` is usually the CloudEvent map; daprd's bulk path for raw payloads passes a string.
 */
export type Matcher = (event: unknown) => boolean;

/** A match expression refused when the subscription is read. */
export class MatchSyntaxError extends Error {
  constructor(expr: string, detail: string) {
    super(`invalid match expression ${JSON.stringify(expr)}: ${detail}`);
    this.name = 'MatchSyntaxError';
  }
}

/**
 * Evaluating a match expression failed for one event (a missing key, no such overload, a
 * result that is not a boolean). daprd does not read this as "no match": the event is not
 * routed at all (dead-lettered or retried), so callers must not fall through to later rules.
 */
export class MatchEvalError extends Error {
  constructor(expr: string, detail: string) {
    super(`match expression ${JSON.stringify(expr)}: ${detail}`);
    this.name = 'MatchEvalError';
  }
}

let env: Environment | undefined;
let loadFailure: string | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the CEL library once; call (and await) it before compileMatch. It never rejects: a
 * failed load makes every compileMatch refuse its expression, saying why.
 */
export function loadMatchEngine(): Promise<void> {
  loading ??= import('@marcbachmann/cel-js').then(
    (cel) => {
      // Only `event` is declared: daprd would accept any other name and then fail every event.
      env = new cel.Environment().registerVariable('event', 'dyn');
    },
    (err: unknown) => {
      loadFailure = `the CEL library @marcbachmann/cel-js could not be loaded (${(err as Error).message})`;
    },
  );
  return loading;
}

interface CelError {
  readonly summary?: string;
  readonly message: string;
  readonly range?: { readonly start: number };
}

/** The library's one-line summary and where in the expression, without its multi-line excerpt. */
function oneLine(err: unknown): string {
  const e = err as CelError;
  const summary = e.summary ?? e.message.split('\n')[0] ?? String(err);
  return e.range ? `${summary} (at character ${e.range.start + 1})` : summary;
}

/** Compiles `expr` (CEL), or throws MatchSyntaxError. loadMatchEngine() must have resolved. */
export function compileMatch(expr: string): Matcher {
  if (!env) throw new MatchSyntaxError(expr, loadFailure ?? 'the CEL library is not loaded (loadMatchEngine was not awaited)');
  let program: ReturnType<Environment['parse']>;
  try {
    program = env.parse(expr);
  } catch (err) {
    throw new MatchSyntaxError(expr, oneLine(err));
  }
  const checked = program.check();
  if (!checked.valid) throw new MatchSyntaxError(expr, oneLine(checked.error));
  // daprd only finds this out per event, failing every one; a static non-boolean can never match.
  if (checked.type !== 'bool' && checked.type !== 'dyn') throw new MatchSyntaxError(expr, `the result is of type ${checked.type}, not bool`);
  return (event) => {
    let out: unknown;
    try {
      out = program({ event });
    } catch (err) {
      throw new MatchEvalError(expr, oneLine(err));
    }
    if (typeof out !== 'boolean') throw new MatchEvalError(expr, 'the result of the match expression was not a boolean');
    return out;
  };
}
