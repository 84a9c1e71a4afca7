// The schedules bindings.cron accepts, read as Dapr reads them (dapr/kit/cron, a fork of
// robfig/cron, with SecondOptional | Minute | Hour | Dom | Month | Dow | Descriptor):
//
//   [second] minute hour day-of-month month day-of-week   — 5 or 6 fields; * ? , - / and
//                                                          JAN-DEC / SUN-SAT names
//   @yearly @annually @monthly @weekly @daily @midnight @hourly
//   @every <Go duration>                                   — whole seconds, at least 1s
//   CRON_TZ=<zone> … / TZ=<zone> …                         — fields read in that zone
//
// When both day-of-month and day-of-week are restricted, a day matching EITHER fires (cron's
// rule); `*` or `?` in one of them makes the other decide. Pure: next() only computes.
import { parseDuration } from '../util/units.js';
import { LOCAL_ZONE, namedZone, type Fields, type Zone } from './cron-zone.js';

export interface Schedule {
  /** the first firing time strictly after `fromMs` (epoch ms), undefined if none within 5 years */
  next(fromMs: number): number | undefined;
}

export class CronParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronParseError';
  }
}

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELD_BOUNDS: readonly Bounds[] = [
  { min: 0, max: 59 }, // second
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/** One field: the allowed values, and whether it was `*` / `?` (for the day-matching rule). */
interface FieldSet {
  readonly values: ReadonlySet<number>;
  readonly star: boolean;
}

function number(text: string, b: Bounds, expr: string): number {
  const named = b.names?.[text.toLowerCase() as keyof typeof b.names];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) throw new CronParseError(`failed to parse int from ${text} in "${expr}"`);
  return Number(text);
}

/** `a`, `a-b`, `*`, `?`, each optionally `/step`; `a/step` means a through the maximum. */
function range(expr: string, b: Bounds, out: Set<number>): boolean {
  const [span, stepText, extra] = expr.split('/');
  if (extra !== undefined) throw new CronParseError(`too many slashes: ${expr}`);
  const [lowText, highText, more] = span!.split('-');
  if (more !== undefined) throw new CronParseError(`too many hyphens: ${expr}`);
  let star = false;
  let low: number;
  let high: number;
  if (lowText === '*' || lowText === '?') {
    if (highText !== undefined) throw new CronParseError(`too many hyphens: ${expr}`);
    [low, high, star] = [b.min, b.max, true];
  } else {
    low = number(lowText!, b, expr);
    high = highText === undefined ? low : number(highText, b, expr);
  }
  let step = 1;
  if (stepText !== undefined) {
    step = number(stepText, { min: 0, max: 0 }, expr);
    if (highText === undefined && !star) high = b.max;
    if (step > 1) star = false; // `*/5` restricts the field
  }
  if (low < b.min) throw new CronParseError(`beginning of range (${low}) below minimum (${b.min}): ${expr}`);
  if (high > b.max) throw new CronParseError(`end of range (${high}) above maximum (${b.max}): ${expr}`);
  if (low > high) throw new CronParseError(`beginning of range (${low}) beyond end of range (${high}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let v = low; v <= high; v += step) out.add(v);
  return star;
}

function field(text: string, b: Bounds): FieldSet {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) star = range(part, b, values) || star;
  return { values, star };
}

class FieldSchedule implements Schedule {
  constructor(private readonly f: readonly FieldSet[], private readonly zone: Zone) {}

  private dayMatches(t: Fields): boolean {
    const dom = this.f[3]!;
    const dow = this.f[5]!;
    const a = dom.values.has(t.day);
    const b = dow.values.has(t.weekday);
    return dom.star || dow.star ? a && b : a || b;
  }

  // robfig/cron's search: find the first matching month, then day, hour, minute and second,
  // zeroing the smaller units the first time one is advanced, and starting over whenever a
  // larger unit wraps.
  next(fromMs: number): number | undefined {
    const z = this.zone;
    const [sec, min, hour, , month] = this.f as [FieldSet, FieldSet, FieldSet, FieldSet, FieldSet, FieldSet];
    let t = (Math.floor(fromMs / 1000) + 1) * 1000;
    let f = z.fields(t);
    const yearLimit = f.year + 5;
    let added = false;
    wrap: for (;;) {
      f = z.fields(t);
      if (f.year > yearLimit) return undefined;
      while (!month.values.has(f.month)) {
        if (!added) {
          added = true;
          t = z.at(f.year, f.month, 1, 0, 0, 0);
          f = z.fields(t);
        }
        t = z.at(f.year, f.month + 1, f.day, f.hour, f.minute, f.second);
        f = z.fields(t);
        if (f.month === 1) continue wrap;
      }
      while (!this.dayMatches(f)) {
        if (!added) {
          added = true;
          t = z.at(f.year, f.month, f.day, 0, 0, 0);
          f = z.fields(t);
        }
        t = z.at(f.year, f.month, f.day + 1, f.hour, f.minute, f.second);
        f = z.fields(t);
        // A DST change can move midnight: snap back to it.
        if (f.hour !== 0) {
          t += (f.hour > 12 ? 24 - f.hour : -f.hour) * 3_600_000;
          f = z.fields(t);
        }
        if (f.day === 1) continue wrap;
      }
      while (!hour.values.has(f.hour)) {
        if (!added) {
          added = true;
          t = z.at(f.year, f.month, f.day, f.hour, 0, 0);
        }
        t += 3_600_000;
        f = z.fields(t);
        if (f.hour === 0) continue wrap;
      }
      while (!min.values.has(f.minute)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 60_000) * 60_000;
        }
        t += 60_000;
        f = z.fields(t);
        if (f.minute === 0) continue wrap;
      }
      while (!sec.values.has(f.second)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 1000) * 1000;
        }
        t += 1000;
        f = z.fields(t);
        if (f.second === 0) continue wrap;
      }
      return t;
    }
  }
}

/** `@every d`: every d (whole seconds, at least one), counted from the whole second before now. */
class EverySchedule implements Schedule {
  constructor(readonly delayMs: number) {}
  next(fromMs: number): number {
    return Math.floor(fromMs / 1000) * 1000 + this.delayMs;
  }
}

export function parseSchedule(spec: string): Schedule {
  let text = spec.trim();
  if (text === '') throw new CronParseError('empty spec string');
  let zone: Zone = LOCAL_ZONE;
  const tz = /^(?:CRON_TZ|TZ)=(\S*)\s*/.exec(text);
  if (tz) {
    try {
      zone = namedZone(tz[1]!);
    } catch {
      throw new CronParseError(`provided bad location ${tz[1]}: unknown time zone ${tz[1]}`);
    }
    text = text.slice(tz[0].length);
  }
  if (text.startsWith('@')) {
    if (text.startsWith('@every ')) {
      const d = text.slice(7).trim();
      // Go's ParseDuration: units required ("1s"), except for a plain 0
      const ms = /^[+-]?\d+(\.\d+)?$/.test(d) && Number(d) !== 0 ? undefined : parseDuration(d);
      if (ms === undefined) throw new CronParseError(`failed to parse duration ${text}: time: invalid duration "${d}"`);
      const whole = Math.max(1000, ms) - (Math.max(1000, ms) % 1000);
      return new EverySchedule(whole);
    }
    const fields = DESCRIPTORS[text];
    if (!fields) throw new CronParseError(`unrecognized descriptor: ${text}`);
    text = fields;
  }
  const parts = text.split(/\s+/);
  if (parts.length < 5 || parts.length > 6) throw new CronParseError(`expected 5 to 6 fields, found ${parts.length}: [${parts.join(' ')}]`);
  if (parts.length === 5) parts.unshift('0'); // seconds are optional and default to 0
  return new FieldSchedule(parts.map((p, i) => field(p, FIELD_BOUNDS[i]!)), zone);
}
