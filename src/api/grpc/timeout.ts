// grpc-timeout header ("100m", "5S", "1H") → milliseconds, per the gRPC HTTP/2 spec.
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

import { MAX_TIMER_MS } from '../../util/units.js';

export { MAX_TIMER_MS };

/**
 * The deadline in ms, or undefined for none. The spec allows up to 8 digits of hours (11,000
 * years); a deadline past what a timer can hold is, for any call, the same as no deadline —
 * and treated so, instead of overflowing into an immediate DEADLINE_EXCEEDED.
 */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  const ms = Math.max(0, Math.ceil(Number(m[1]) * UNIT_MS[m[2]!]!));
  return ms > MAX_TIMER_MS ? undefined : ms;
}
