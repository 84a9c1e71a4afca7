// `bindings.cron` (input): fires on its `schedule` (see src/bindings/cron-schedule.ts) and
// hands the app an event with no data and the metadata contrib sends: `timeZone` (the
// scheduler's zone, "Local") and `readTimeUTC` (Go's time.String() of the firing time in UTC).
// A slow app does not delay the next firing: each one is delivered on its own, as robfig/cron
// runs each job in its own goroutine.
import { CronParseError, parseSchedule, type Schedule } from '../bindings/cron-schedule.js';
import { bindingFeatures, bindingSides, canonicalSpec } from './bindings-common.js';
import { MetadataReader } from './metadata-values.js';
import type { Binding, BindingEventHandler, ComponentContext, ComponentSpec, InputBinding } from './types.js';
import { MAX_TIMER_MS } from '../util/units.js';

/** Go's `time.Now().UTC().String()`: `2024-05-01 12:34:56.789 +0000 UTC` (fraction without trailing zeros). */
export function goUtcString(d: Date): string {
  const iso = d.toISOString(); // 2024-05-01T12:34:56.789Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? '.' + frac : ''} +0000 UTC`;
}

export class CronInput implements InputBinding {
  private handler: BindingEventHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly schedule: Schedule) {}

  start(handler: BindingEventHandler): void {
    if (this.handler) return;
    this.handler = handler;
    this.arm(Date.now());
  }

  async stop(): Promise<void> {
    this.handler = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private arm(from: number): void {
    const at = this.schedule.next(from);
    if (at === undefined || !this.handler) return;
    // A firing further away than a timer can wait (@yearly, @monthly) is reached in steps:
    // fire() re-arms until its time has come.
    this.timer = setTimeout(() => this.fire(at), Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now())));
  }

  private fire(at: number): void {
    const handler = this.handler;
    if (!handler) return;
    // A timer may wake a moment early; the firing time is what the schedule said.
    if (Date.now() < at) {
      this.timer = setTimeout(() => this.fire(at), Math.min(MAX_TIMER_MS, at - Date.now()));
      return;
    }
    const p = handler({ data: new Uint8Array(), metadata: { timeZone: 'Local', readTimeUTC: goUtcString(new Date()) } })
      .catch(() => {}) // the handler reports failures itself
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    this.arm(Math.max(at, Date.now()));
  }
}

export async function createCronBinding(spec: ComponentSpec, _ctx: ComponentContext): Promise<Binding> {
  const cspec = canonicalSpec(spec, ['schedule']);
  const sides = bindingSides(cspec, { input: true, output: false });
  const md = new MetadataReader(cspec);
  const text = md.required('schedule');
  let schedule: Schedule;
  try {
    schedule = parseSchedule(text);
  } catch (err) {
    if (!(err instanceof CronParseError)) throw err;
    return md.fail('schedule', `invalid schedule format '${text}': ${err.message}`);
  }
  const input = new CronInput(schedule);
  return {
    kind: 'bindings',
    features: bindingFeatures(sides),
    input,
    close: () => input.stop(),
  };
}
