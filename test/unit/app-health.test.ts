// The app health state machine (daprd's rules), the health flags as RunConfig reads them, and
// Go's duration format used by the metadata API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialHealth, isHealthy, recordProbe, unhealthyReason, type HealthState } from '../../src/appchannel/health.js';
import { goDuration } from '../../src/util/go-duration.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { buildRunConfig, ConfigError } from '../../src/config/run-config.js';

/** Feeds probe results; returns the changes reported, in order. */
function run(s: HealthState, results: boolean[]): { state: HealthState; changes: string[] } {
  const changes: string[] = [];
  for (const ok of results) {
    const r = recordProbe(s, ok);
    s = r.state;
    if (r.change) changes.push(r.change);
  }
  return { state: s, changes };
}

test('starts unhealthy: nothing reaches the app before a probe passed', () => {
  assert.equal(isHealthy(initialHealth(3)), false);
});

test('failures before the first success report no change; the first success reports healthy', () => {
  const { state, changes } = run(initialHealth(3), [false, false, false, false, true]);
  assert.deepEqual(changes, ['healthy']);
  assert.equal(isHealthy(state), true);
});

test('threshold consecutive failures make it unhealthy, reported once', () => {
  const healthy = run(initialHealth(3), [true]).state;
  const { state, changes } = run(healthy, [false, false]);
  assert.deepEqual(changes, []);
  assert.equal(isHealthy(state), true, 'still healthy below the threshold');
  const after = run(state, [false, false, false]);
  assert.deepEqual(after.changes, ['unhealthy']);
  assert.equal(isHealthy(after.state), false);
  assert.equal(unhealthyReason(after.state), 'App health check failed 5 times');
});

test('a success in between resets the count', () => {
  const healthy = run(initialHealth(2), [true]).state;
  const { state, changes } = run(healthy, [false, true, false, true, false]);
  assert.deepEqual(changes, []);
  assert.equal(isHealthy(state), true);
});

test('back to healthy on the first success, then unhealthy again after threshold failures', () => {
  const { changes } = run(initialHealth(1), [true, false, false, true, true, false]);
  assert.deepEqual(changes, ['healthy', 'unhealthy', 'healthy', 'unhealthy']);
});

test('threshold 1: one failure is enough', () => {
  const { changes, state } = run(initialHealth(1), [true, false]);
  assert.deepEqual(changes, ['healthy', 'unhealthy']);
  assert.equal(isHealthy(state), false);
});

test("goDuration prints Go's time.Duration.String()", () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [1, '1ms'], [500, '500ms'], [999, '999ms'], [1000, '1s'], [1500, '1.5s'], [5000, '5s'],
    [60_000, '1m0s'], [90_000, '1m30s'], [100_100, '1m40.1s'], [3_600_000, '1h0m0s'], [3_661_500, '1h1m1.5s'], [86_400_000, '24h0m0s'],
  ];
  for (const [ms, want] of cases) assert.equal(goDuration(ms), want, `${ms} ms`);
});

// The health flags as RunConfig reads them: daprd's defaults, "<= 0 means the default", the
// timeout/interval check, and the Pillion-only probe-token flag.
const cfg = (args: string[]) => buildRunConfig(parseArgs(['--app-id', 'a', ...args]), { PILLION_HOME: '/tmp/x' });

test('health flags: defaults, <= 0 = default, probe token off unless set', () => {
  assert.deepEqual(cfg([]).appHealth, { enabled: false, path: '/healthz', intervalSeconds: 5, timeoutMs: 500, threshold: 3, probeToken: false });
  const c = cfg(['--enable-app-health-check', '--app-health-check-path', '/ready', '--app-health-probe-interval', '0', '--app-health-probe-timeout', '-1', '--app-health-threshold', '0', '--app-health-probe-token']);
  assert.deepEqual(c.appHealth, { enabled: true, path: '/ready', intervalSeconds: 5, timeoutMs: 500, threshold: 3, probeToken: true });
  assert.equal(cfg(['--app-health-probe-interval', '2', '--app-health-probe-timeout', '2000']).appHealth.timeoutMs, 2000);
});

test('health flags: a timeout longer than the interval, or a non-number, is refused', () => {
  assert.throws(() => cfg(['--app-health-probe-interval', '1', '--app-health-probe-timeout', '1001']), (e: unknown) => e instanceof ConfigError && /must not be longer than --app-health-probe-interval/.test(e.message));
  assert.throws(() => cfg(['--app-health-threshold', 'three']), ConfigError);
});
