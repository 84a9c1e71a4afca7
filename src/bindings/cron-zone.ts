// Wall-clock time in a zone, for the cron schedule: epoch ms ⇄ calendar fields in UTC, the
// process's local zone, or an IANA zone (`CRON_TZ=Europe/Berlin`, via Intl). Pure apart from
// reading the local zone, as Go's time.Local does.

export interface Fields {
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Sunday */
  readonly weekday: number;
}

export interface Zone {
  readonly name: string;
  fields(ms: number): Fields;
  /** epoch ms of a wall-clock time; fields out of range roll over (day 32 → next month), as Go's time.Date */
  at(year: number, month: number, day: number, hour: number, minute: number, second: number): number;
}

export const UTC_ZONE: Zone = {
  name: 'UTC',
  fields(ms) {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
  },
  at: (y, mo, d, h, mi, s) => Date.UTC(y, mo - 1, d, h, mi, s),
};

export const LOCAL_ZONE: Zone = {
  name: 'Local',
  fields(ms) {
    const d = new Date(ms);
    return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds(), weekday: d.getDay() };
  },
  at: (y, mo, d, h, mi, s) => new Date(y, mo - 1, d, h, mi, s).getTime(),
};

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** An IANA zone; throws RangeError for a name the runtime does not know. */
export function namedZone(name: string): Zone {
  if (name === 'UTC') return UTC_ZONE;
  if (name === 'Local') return LOCAL_ZONE;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: name, hourCycle: 'h23', weekday: 'short',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
  });
  const fields = (ms: number): Fields => {
    const p: Record<string, string> = {};
    for (const part of fmt.formatToParts(new Date(ms))) p[part.type] = part.value;
    return {
      year: Number(p.year), month: Number(p.month), day: Number(p.day),
      hour: Number(p.hour), minute: Number(p.minute), second: Number(p.second), weekday: WEEKDAYS[p.weekday!] ?? 0,
    };
  };
  /** offset (ms) of the zone from UTC at an instant */
  const offset = (ms: number): number => {
    const f = fields(ms);
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ms / 1000) * 1000;
  };
  return {
    name,
    fields,
    at(y, mo, d, h, mi, s) {
      const wall = Date.UTC(y, mo - 1, d, h, mi, s);
      // Two passes settle the offset except inside a DST gap, where the later offset wins.
      const first = wall - offset(wall);
      return wall - offset(first);
    },
  };
}
