// Parsers for Kubernetes resource quantities ("4Mi") and Go durations ("1m30s"), the value
// forms daprd flags use. Pure; each returns undefined for input it cannot read.

const QUANTITY = /^([+-]?\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|m|k|K|M|G|T)?$/;
const FACTORS: Record<string, number> = {
  '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  m: 1e-3, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
};

/** "4Mi" → 4194304 bytes; "512" → 512; "-1" → -1; "100m" (milli) → 0. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * FACTORS[m[2] ?? '']!;
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

/** The longest delay a Node timer keeps (2^31 − 1 ms, ~24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** What a duration past MAX_TIMER_MS is told (it would fire at once, every time). */
export const TOO_LONG_FOR_A_TIMER = 'is longer than 596h31m23.647s, the longest wait the sidecar can time';

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([+-]?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)$/;

/**
 * Go duration ("1m30s", "500ms", "-2s") → milliseconds. A bare number is accepted only when
 * `bareUnitMs` says what it means (component metadata treats it as seconds, as Dapr documents
 * for `timeout`); "0" is always zero.
 */
export function parseDuration(text: string, bareUnitMs?: number): number | undefined {
  const t = text.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) {
    if (Number(t) === 0) return 0;
    return bareUnitMs === undefined ? undefined : Number(t) * bareUnitMs;
  }
  const m = DURATION.exec(t);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
  return m[1] === '-' ? -total : total;
}
