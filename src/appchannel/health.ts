// The app health state machine, as daprd's (pkg/apphealth): pure, no timers and no I/O — the
// monitor feeds it probe results and acts on the changes it reports.
//
//   - it starts UNHEALTHY (the failure count starts at the threshold), so nothing is sent to
//     the app before a probe has passed;
//   - one successful probe makes it healthy again at once;
//   - `threshold` consecutive failed probes make it unhealthy.

export interface HealthState {
  /** consecutive failed probes (starts at the threshold: unhealthy until a probe passes) */
  readonly failures: number;
  readonly threshold: number;
}

export type HealthChange = 'healthy' | 'unhealthy' | undefined;

export function initialHealth(threshold: number): HealthState {
  return { failures: threshold, threshold };
}

export const isHealthy = (s: HealthState): boolean => s.failures < s.threshold;

/** The state after one probe, and whether that crossed from one status to the other. */
export function recordProbe(s: HealthState, ok: boolean): { state: HealthState; change: HealthChange } {
  if (ok) return { state: { ...s, failures: 0 }, change: isHealthy(s) ? undefined : 'healthy' };
  // Only the failure that reaches the threshold is a change; later ones (and failures before
  // the first success, which start above it) are not.
  const failures = s.failures + 1;
  return { state: { ...s, failures }, change: failures === s.threshold ? 'unhealthy' : undefined };
}

/** daprd's reason text while unhealthy ("App health check failed 3 times"). */
export const unhealthyReason = (s: HealthState): string => `App health check failed ${s.failures} times`;
