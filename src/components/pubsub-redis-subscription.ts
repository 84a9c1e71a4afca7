// One subscription of pubsub.redis to one stream, as contrib's consumer loop:
//
// - a read loop: XREADGROUP GROUP <consumerID> <consumerID> … BLOCK on a connection of its own
//   (a blocking read holds its connection; publishes and acks use the component's), never
//   holding more than `queueDepth` entries that are read but not yet finished;
// - delivery: each entry goes to the handler when one of the component's `concurrency` slots
//   is free; 'success' and 'drop' XACK it, 'retry' (or a throw) leaves it pending;
// - a reclaim loop: at subscribe and then every `redeliverInterval`, pending entries of the
//   group idle for at least `processingTimeout` are XCLAIMed and delivered again — entries a
//   handler asked to retry, and entries whose consumer died (a sidecar killed mid-delivery),
//   whichever instance of the app had them. The attempt number is Redis' delivery counter.
//
// At least once: an entry is acknowledged only after its handler finished, so a crash in
// between means a redelivery, never a loss.

import type { Redis } from 'ioredis';
import { claimedEntries, decodeEntry, nextStreamId, pendingEntries, readGroupEntries, type RawEntry } from './pubsub-redis-entry.js';
import type { RedisPubSubSettings } from './pubsub-redis-settings.js';
import type { Slots } from './pubsub-redis-slots.js';
import type { ComponentLog, DeliveryResult, PubSubHandler, PubSubSubscription } from './types.js';

export interface SubscriptionDeps {
  readonly topic: string;
  readonly handler: PubSubHandler;
  /** the component's connection: acks, XPENDING / XCLAIM, group creation */
  readonly client: Redis;
  /** this subscription's own connection, for the blocking read only */
  readonly reader: Redis;
  readonly settings: RedisPubSubSettings;
  readonly slots: Slots;
  /** BLOCK of each XREADGROUP, ms (0: until an entry arrives) */
  readonly blockMs: number;
  readonly log: ComponentLog;
  /** (re)creates the consumer group, tolerating one that exists */
  readonly ensureGroup: () => Promise<void>;
  readonly onClose: (s: RedisSubscription) => void;
}

/** Longest wait between read attempts while Redis is failing. */
const MAX_READ_BACKOFF_MS = 5_000;

export class RedisSubscription implements PubSubSubscription {
  /** entries read or claimed by this subscription and not finished: never reclaimed by it */
  private readonly held = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private closed = false;
  private readLoop: Promise<void> | undefined;
  private reclaiming: Promise<void> | undefined;
  private reclaimTimer: NodeJS.Timeout | undefined;
  private wakeReader: (() => void) | undefined;
  /** XPENDING's IDLE filter needs Redis 6.2; older servers get the idle time filtered here */
  private idleFilter = true;

  constructor(private readonly d: SubscriptionDeps) {}

  start(): void {
    this.readLoop = this.read();
    const { processingTimeoutMs, redeliverIntervalMs } = this.d.settings;
    // Either one at 0 disables redelivery, as in contrib.
    if (processingTimeoutMs > 0 && redeliverIntervalMs > 0) this.scheduleReclaim(0);
  }

  private get where(): string {
    return `stream ${this.d.topic} (consumer group ${this.d.settings.consumerId})`;
  }

  private async read(): Promise<void> {
    const { settings, topic } = this.d;
    let failures = 0;
    while (!this.closed) {
      const room = settings.queueDepth - this.held.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
        continue;
      }
      let reply: unknown;
      try {
        reply = await this.d.reader.callBuffer(
          'XREADGROUP', 'GROUP', settings.consumerId, settings.consumerId,
          'COUNT', room, 'BLOCK', this.d.blockMs, 'STREAMS', topic, '>',
        );
        failures = 0;
      } catch (err) {
        if (this.closed) return;
        failures++;
        const message = (err as Error).message;
        if (message.includes('NOGROUP')) {
          // The stream or the group is gone (deleted, or Redis lost its data): start over.
          this.d.log('warn', `redis streams: consumer group missing on ${this.where}; recreating it`);
          await this.d.ensureGroup().catch(() => {});
        } else if (failures === 1 || failures % 20 === 0) {
          this.d.log('error', `redis streams: error reading from ${this.where}: ${message}`);
        }
        await this.pause(Math.min(MAX_READ_BACKOFF_MS, 50 * 2 ** Math.min(failures, 10)));
        continue;
      }
      for (const e of readGroupEntries(reply)) this.dispatch(e, 1);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stop.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(t);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Hands one entry to the handler once a slot is free; its promise is tracked for close(). */
  private dispatch(e: RawEntry, attempt: number): void {
    if (this.held.has(e.id)) return;
    this.held.add(e.id);
    const p: Promise<void> = this.deliver(e, attempt).catch((err: unknown) => {
      // Nothing is acked on this path: the entry is redelivered after processingTimeout.
      this.d.log('error', `redis streams: error delivering message ${e.id} on ${this.where}: ${(err as Error)?.message ?? String(err)}`);
    }).finally(() => {
      this.held.delete(e.id);
      this.running.delete(p);
      const wake = this.wakeReader;
      this.wakeReader = undefined;
      wake?.();
    });
    this.running.add(p);
  }

  private async deliver(e: RawEntry, attempt: number): Promise<void> {
    // A subscription closed before the entry's turn leaves it pending, for a reclaim.
    if (!(await this.d.slots.acquire(this.stop.signal))) return;
    try {
      if (e.fields === null) {
        await this.ack(e.id); // trimmed away meanwhile: nothing left to deliver
        return;
      }
      const entry = decodeEntry(e.fields);
      if (entry.metadataProblem) this.d.log('warn', `redis streams: ignoring the metadata of message ${e.id} on ${this.where}: ${entry.metadataProblem}`);
      const { maxRetries } = this.d.settings;
      const lastAttempt = maxRetries >= 0 && attempt > maxRetries;
      let result: DeliveryResult;
      try {
        result = await this.d.handler({ topic: this.d.topic, data: entry.data, metadata: entry.metadata, attempt, lastAttempt });
      } catch {
        result = 'retry';
      }
      if (result === 'retry') {
        // Pending until reclaimed. A subscription that is closing never gives up on an entry:
        // another instance (or this one after a restart) takes it over.
        if (!lastAttempt || this.closed) return;
        this.d.log('warn', `redis streams: message ${e.id} on ${this.where} still failing after ${attempt} attempt(s) (maxRetries ${maxRetries}); acknowledged and not redelivered`);
      }
      await this.ack(e.id);
    } finally {
      this.d.slots.release();
    }
  }

  private async ack(id: string): Promise<void> {
    try {
      await this.d.client.xack(this.d.topic, this.d.settings.consumerId, id);
    } catch (err) {
      // Still pending: it is delivered again after processingTimeout (at least once).
      this.d.log('error', `redis streams: error acknowledging message ${id} on ${this.where}: ${(err as Error).message}`);
    }
  }

  private scheduleReclaim(delayMs: number): void {
    this.reclaimTimer = setTimeout(() => {
      this.reclaiming = this.reclaim()
        .catch((err: unknown) => this.d.log('error', `redis streams: error reclaiming pending messages of ${this.where}: ${(err as Error).message}`))
        .finally(() => {
          this.reclaiming = undefined;
          if (!this.closed) this.scheduleReclaim(this.d.settings.redeliverIntervalMs);
        });
    }, delayMs);
  }

  /** One pass over the group's pending entries, a page of `queueDepth` at a time. */
  private async reclaim(): Promise<void> {
    const { client, topic, settings } = this.d;
    const { consumerId: group, processingTimeoutMs: idle, queueDepth } = settings;
    let start = '-';
    while (!this.closed) {
      const page = pendingEntries(await this.pending(start));
      if (page.length === 0) return;
      const due = page.filter((p) => p.idleMs >= idle && !this.held.has(p.id));
      const room = queueDepth - this.held.size;
      const ids = due.slice(0, Math.max(room, 0)).map((p) => p.id);
      if (ids.length > 0) {
        const deliveries = new Map(due.map((p) => [p.id, p.deliveries]));
        // min-idle-time makes the claim atomic across instances: one of them wins each entry.
        const claimed = claimedEntries(await client.callBuffer('XCLAIM', topic, group, group, idle, ...ids));
        if (this.closed) return; // claimed but not delivered: pending again after processingTimeout
        for (const e of claimed) this.dispatch(e, (deliveries.get(e.id) ?? 0) + 1);
      }
      if (page.length < queueDepth || room <= ids.length) return;
      start = nextStreamId(page[page.length - 1]!.id);
    }
  }

  private async pending(start: string): Promise<unknown> {
    const { client, topic, settings } = this.d;
    const { consumerId: group, processingTimeoutMs: idle, queueDepth } = settings;
    if (this.idleFilter) {
      try {
        return await client.call('XPENDING', topic, group, 'IDLE', idle, start, '+', queueDepth);
      } catch (err) {
        // Before 6.2, IDLE is taken for the start ID (or refused as a syntax error).
        if (!/syntax|wrong number|invalid stream id/i.test((err as Error).message)) throw err;
        this.idleFilter = false;
      }
    }
    return client.call('XPENDING', topic, group, start, '+', queueDepth);
  }

  /** Stops reading and reclaiming; entries not yet handed over stay pending; waits for the rest. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stop.abort();
      clearTimeout(this.reclaimTimer);
      this.d.reader.disconnect(); // ends a blocked XREADGROUP at once
      this.wakeReader?.();
      this.d.onClose(this);
    }
    await this.readLoop;
    await this.reclaiming;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
