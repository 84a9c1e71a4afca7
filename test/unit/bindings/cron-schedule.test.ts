// The cron schedule parser and next-time search (pure), in UTC via CRON_TZ so results do not
// depend on the machine's zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronParseError, parseSchedule } from '../../../src/bindings/cron-schedule.js';
import { goUtcString } from '../../../src/components/bindings-cron.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const nexts = (spec: string, from: string, n: number): string[] => {
  const s = parseSchedule(spec);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    t = s.next(t)!;
    out.push(new Date(t).toISOString());
  }
  return out;
};

test('5 fields: seconds default to 0', () => {
  assert.deepEqual(nexts('CRON_TZ=UTC */15 * * * *', '2024-05-01T10:07:30.500Z', 2), ['2024-05-01T10:15:00.000Z', '2024-05-01T10:30:00.000Z']);
});

test('6 fields: the first is seconds', () => {
  assert.deepEqual(nexts('TZ=UTC 15 * * * * *', '2024-05-01T10:00:15.000Z', 2), ['2024-05-01T10:01:15.000Z', '2024-05-01T10:02:15.000Z']);
  assert.deepEqual(nexts('TZ=UTC */20 * * * * *', '2024-05-01T10:00:59.000Z', 3), ['2024-05-01T10:01:00.000Z', '2024-05-01T10:01:20.000Z', '2024-05-01T10:01:40.000Z']);
});

test('ranges, lists, names and N/step', () => {
  assert.deepEqual(nexts('CRON_TZ=UTC 0 9-10 * JAN,mar MON-wed', '2024-01-01T09:30:00Z', 3), ['2024-01-01T10:00:00.000Z', '2024-01-02T09:00:00.000Z', '2024-01-02T10:00:00.000Z']);
  assert.deepEqual(nexts('CRON_TZ=UTC 50/5 * * * *', '2024-05-01T10:00:00Z', 3), ['2024-05-01T10:50:00.000Z', '2024-05-01T10:55:00.000Z', '2024-05-01T11:50:00.000Z']);
});

test('day-of-month and day-of-week: either matches when both are restricted, ? defers to the other', () => {
  // 2024-06-01 is a Saturday; the 15th or any Monday
  assert.deepEqual(nexts('CRON_TZ=UTC 0 0 15 * MON', '2024-06-01T00:00:00Z', 3), ['2024-06-03T00:00:00.000Z', '2024-06-10T00:00:00.000Z', '2024-06-15T00:00:00.000Z']);
  assert.deepEqual(nexts('CRON_TZ=UTC 0 0 15 * ?', '2024-06-01T00:00:00Z', 1), ['2024-06-15T00:00:00.000Z']);
  // Feb 30 never exists: nothing within five years
  assert.equal(parseSchedule('CRON_TZ=UTC 0 0 30 2 *').next(at('2024-01-01T00:00:00Z')), undefined);
});

test('descriptors', () => {
  assert.deepEqual(nexts('CRON_TZ=UTC @hourly', '2024-05-01T10:07:00Z', 1), ['2024-05-01T11:00:00.000Z']);
  assert.deepEqual(nexts('CRON_TZ=UTC @daily', '2024-05-01T10:07:00Z', 1), ['2024-05-02T00:00:00.000Z']);
  assert.deepEqual(nexts('CRON_TZ=UTC @weekly', '2024-05-01T10:07:00Z', 1), ['2024-05-05T00:00:00.000Z']);
  assert.deepEqual(nexts('CRON_TZ=UTC @monthly', '2024-05-01T10:07:00Z', 1), ['2024-06-01T00:00:00.000Z']);
  assert.deepEqual(nexts('CRON_TZ=UTC @yearly', '2024-05-01T10:07:00Z', 1), ['2025-01-01T00:00:00.000Z']);
});

test('@every: whole seconds from the second before now, at least 1s', () => {
  assert.equal(iso(parseSchedule('@every 1s').next(at('2024-05-01T10:00:00.700Z'))), '2024-05-01T10:00:01.000Z');
  assert.equal(iso(parseSchedule('@every 1m30s').next(at('2024-05-01T10:00:00Z'))), '2024-05-01T10:01:30.000Z');
  assert.equal(iso(parseSchedule('@every 1500ms').next(at('2024-05-01T10:00:00Z'))), '2024-05-01T10:00:01.000Z');
  assert.equal(iso(parseSchedule('@every 10ms').next(at('2024-05-01T10:00:00Z'))), '2024-05-01T10:00:01.000Z');
});

test('a named zone reads the fields in that zone', () => {
  // 09:00 in Berlin (UTC+2 in summer) is 07:00 UTC
  assert.deepEqual(nexts('CRON_TZ=Europe/Berlin 0 9 * * *', '2024-06-01T00:00:00Z', 1), ['2024-06-01T07:00:00.000Z']);
});

test('bad schedules are CronParseErrors that say what is wrong', () => {
  for (const [spec, re] of [
    ['', /empty/],
    ['* * * *', /expected 5 to 6 fields, found 4/],
    ['* * * * * * *', /expected 5 to 6 fields, found 7/],
    ['60 * * * *', /above maximum/],
    ['* * * * 7', /above maximum/],
    ['5-1 * * * *', /beyond end of range/],
    ['*/0 * * * *', /positive number/],
    ['1-2-3 * * * *', /too many hyphens/],
    ['*/2/3 * * * *', /too many slashes/],
    ['x * * * *', /failed to parse int/],
    ['@fortnightly', /unrecognized descriptor/],
    ['@every soon', /failed to parse duration/],
    ['@every 5', /failed to parse duration/],
    ['CRON_TZ=Mars/Olympus * * * * *', /unknown time zone/],
  ] as const) {
    assert.throws(() => parseSchedule(spec), (e: unknown) => e instanceof CronParseError && re.test(e.message), spec);
  }
});

test("readTimeUTC is Go's time.String() in UTC", () => {
  assert.equal(goUtcString(new Date('2024-05-01T12:34:56.780Z')), '2024-05-01 12:34:56.78 +0000 UTC');
  assert.equal(goUtcString(new Date('2024-05-01T12:34:56.000Z')), '2024-05-01 12:34:56 +0000 UTC');
});
