// `pubsub.in-memory`: a broker inside the sidecar process, for local development and tests.
// A message reaches the subscriptions that exist when it is published; nothing is stored, so
// nothing survives a restart and a message published to a topic without subscribers is gone
// (as with daprd's in-memory component). Each subscription delivers in publish order, one
// message at a time; a 'retry' is redelivered after a backoff, which holds the messages
// behind it (order is kept), until the retry budget is spent. A subscription that asks for
// `maxInFlight` > 1 (a bulk subscription) gets up to that many handed over in publish order
// without waiting for the earlier ones; a retried one then no longer holds the others.

import { MetadataReader } from './metadata-values.js';
import {
  PubSubClosedError,
  type ComponentContext,
  type ComponentSpec,
  type DeliveryResult,
  type PubSub,
  type PubSubHandler,
  type PubSubSubscription,
  type SubscribeOptions,
} from './types.js';

export interface InMemoryPubSubOptions {
  /** redeliveries after the first attempt when the subscriber answers 'retry' */
  readonly maxRetries: number;
  /** wait before the first redelivery; doubles on every further one */
  readonly retryInitialIntervalMs: number;
  /** cap on the wait between redeliveries */
  readonly retryMaxIntervalMs: number;
}

export const IN_MEMORY_PUBSUB_DEFAULTS: InMemoryPubSubOptions = Object.freeze({
  maxRetries: 3,
  retryInitialIntervalMs: 100,
  retryMaxIntervalMs: 10_000,
});

interface Queued {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

/** `orders.*` style: a trailing `*` matches every topic with that prefix (not the prefix itself). */
export function topicMatches(pattern: string, topic: string): boolean {
  if (!pattern.endsWith('*')) return pattern === topic;
  const prefix = pattern.slice(0, -1);
  return topic.startsWith(prefix) && topic !== prefix;
}

/** Wait before redelivery number `n` (1-based): initial × 2^(n-1), capped. */
export function backoffMs(n: number, o: InMemoryPubSubOptions): number {
  return Math.min(o.retryMaxIntervalMs, o.retryInitialIntervalMs * 2 ** Math.min(n - 1, 30));
}

class Subscriber implements PubSubSubscription {
  private readonly queue: Queued[] = [];
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly stop = new AbortController();

  constructor(
    readonly pattern: string,
    private readonly handler: PubSubHandler,
    private readonly opts: InMemoryPubSubOptions,
    private readonly onClose: (s: Subscriber) => void,
    private readonly maxInFlight = 1,
  ) {}

  push(m: Queued): void {
    if (this.closed) return;
    this.queue.push(m);
    this.kick();
  }

  /** Hands queued messages over while fewer than maxInFlight are in delivery; each one ending starts the next. */
  private kick(): void {
    while (!this.closed && this.running.size < this.maxInFlight && this.queue.length > 0) {
      const m = this.queue.shift()!;
      const p: Promise<void> = this.deliver(m).finally(() => {
        this.running.delete(p);
        this.kick();
      });
      this.running.add(p);
    }
  }

  private async deliver(m: Queued): Promise<void> {
    const max = this.opts.maxRetries;
    for (let attempt = 1; !this.closed; attempt++) {
      const lastAttempt = attempt > max;
      let result: DeliveryResult;
      try {
        result = await this.handler({ topic: m.topic, data: m.data, metadata: m.metadata, attempt, lastAttempt });
      } catch {
        result = 'retry';
      }
      if (result !== 'retry' || lastAttempt) return;
      await sleep(backoffMs(attempt, this.opts), this.stop.signal);
    }
  }

  /** Queued messages are discarded; the deliveries in flight finish first. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.queue.length = 0;
      this.stop.abort();
      this.onClose(this);
    }
    await Promise.all([...this.running]);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class InMemoryPubSub implements PubSub {
  readonly kind = 'pubsub' as const;
  readonly features = ['SUBSCRIBE_WILDCARDS'] as const;
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;

  constructor(private readonly opts: InMemoryPubSubOptions = IN_MEMORY_PUBSUB_DEFAULTS) {}

  async publish(topic: string, data: Uint8Array, metadata: Readonly<Record<string, string>>): Promise<void> {
    if (this.closed) throw new PubSubClosedError();
    // Each subscriber gets its own copy: the caller may reuse its buffer once we return.
    const m: Queued = { topic, data: new Uint8Array(data), metadata: { ...metadata } };
    for (const s of this.subscribers) if (topicMatches(s.pattern, topic)) s.push(m);
  }

  async subscribe(topic: string, handler: PubSubHandler, _metadata?: Readonly<Record<string, string>>, options?: SubscribeOptions): Promise<PubSubSubscription> {
    if (this.closed) throw new PubSubClosedError();
    const s = new Subscriber(topic, handler, this.opts, (x) => this.subscribers.delete(x), Math.max(1, Math.floor(options?.maxInFlight ?? 1)));
    this.subscribers.add(s);
    return s;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscribers].map((s) => s.close()));
  }
}

export async function createInMemoryPubSub(spec: ComponentSpec, _ctx: ComponentContext): Promise<InMemoryPubSub> {
  const md = new MetadataReader(spec);
  const d = IN_MEMORY_PUBSUB_DEFAULTS;
  const raw = md.optional('maxRetries');
  let maxRetries = d.maxRetries;
  if (raw !== undefined) {
    maxRetries = Number(raw);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) md.fail('maxRetries', `expected a whole number >= 0, got "${raw}"`);
  }
  const retryInitialIntervalMs = md.duration('retryInitialInterval', d.retryInitialIntervalMs);
  const retryMaxIntervalMs = md.duration('retryMaxInterval', d.retryMaxIntervalMs);
  if (retryInitialIntervalMs < 0) md.fail('retryInitialInterval', 'must not be negative');
  if (retryMaxIntervalMs < retryInitialIntervalMs) md.fail('retryMaxInterval', 'must not be shorter than retryInitialInterval');
  return new InMemoryPubSub({ maxRetries, retryInitialIntervalMs, retryMaxIntervalMs });
}
