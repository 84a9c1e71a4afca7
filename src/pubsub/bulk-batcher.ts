// Gathers the items of one bulk subscription into batches, as daprd's default bulk
// subscriber does for components without a bulk API of their own: a batch goes out when it
// holds maxMessagesCount items or maxAwaitDurationMs after its first item arrived, whichever
// comes first. One batch is delivered at a time (daprd's loop blocks on the app call);
// items arriving meanwhile gather for the next one.
import type { BulkSettings } from './subscription.js';

export class Batcher<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** the pending batch's time is up (delivered as soon as the one in flight is done) */
  private due = false;
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly limits: BulkSettings,
    private readonly deliver: (batch: T[]) => Promise<void>,
  ) {}

  add(item: T): void {
    if (this.closed) throw new Error('batcher is closed');
    this.pending.push(item);
    if (this.pending.length === 1 && !this.due) this.arm();
    this.check();
  }

  /** Stops gathering; returns what was still pending (not delivered) and waits for no one. */
  close(): T[] {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const rest = this.pending;
    this.pending = [];
    return rest;
  }

  /** the batch being delivered, if any */
  get busy(): Promise<void> | undefined {
    return this.inFlight;
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.check();
    }, this.limits.maxAwaitDurationMs);
  }

  private check(): void {
    if (this.inFlight || this.closed || this.pending.length === 0) return;
    if (this.pending.length < this.limits.maxMessagesCount && !this.due) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const batch = this.pending.splice(0, this.limits.maxMessagesCount);
    // What is left over starts its own wait now.
    if (this.pending.length > 0) this.arm();
    this.inFlight = this.deliver(batch)
      .catch(() => {})
      .finally(() => {
        this.inFlight = undefined;
        this.check();
      });
  }
}
