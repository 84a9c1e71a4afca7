// `pubsub.redis`: Dapr's Redis Streams pub/sub (components-contrib pubsub/redis). A topic is
// a stream; publish is XADD (`MAXLEN ~ maxLenApprox` when set) of contrib's fields, so daprd
// and Pillion sidecars publish to and consume from the same streams. Every subscribing app is
// one consumer group named by its consumerID (the app id unless the YAML says otherwise),
// created at the start of the stream (`0`) as contrib does: instances of one app share the
// messages, different apps each get all of them. Delivery, acks and redelivery are in
// pubsub-redis-subscription.ts; connection metadata is redis-connection.ts'.

import type { Redis } from 'ioredis';
import { entryFields } from './pubsub-redis-entry.js';
import { redisPubSubSettings, type RedisPubSubSettings } from './pubsub-redis-settings.js';
import { Slots } from './pubsub-redis-slots.js';
import { RedisSubscription } from './pubsub-redis-subscription.js';
import { closeRedis, connectRedis, redisSettings, type RedisSettings } from './redis-connection.js';
import {
  PubSubClosedError,
  type ComponentContext,
  type ComponentLog,
  type ComponentSpec,
  type PubSub,
  type PubSubHandler,
  type PubSubSubscription,
} from './types.js';

/** BLOCK of a read when readTimeout is 0 (none): long, but a dead connection still shows. */
const DEFAULT_BLOCK_MS = 3_000;

export class RedisStreamsPubSub implements PubSub {
  readonly kind = 'pubsub' as const;
  // contrib's Redis Streams component declares no features (no wildcards, no native TTL).
  readonly features: readonly string[] = [];
  private readonly subscriptions = new Set<RedisSubscription>();
  private readonly slots: Slots;
  private closed = false;

  constructor(
    private readonly spec: ComponentSpec,
    private readonly client: Redis,
    private readonly connection: RedisSettings,
    readonly settings: RedisPubSubSettings,
    private readonly log: ComponentLog,
  ) {
    this.slots = new Slots(settings.concurrency);
  }

  async publish(topic: string, data: Uint8Array, metadata: Readonly<Record<string, string>>): Promise<void> {
    if (this.closed) throw new PubSubClosedError();
    const trim = this.settings.maxLenApprox > 0 ? ['MAXLEN', '~', this.settings.maxLenApprox] : [];
    try {
      await this.client.call('XADD', topic, ...trim, '*', ...entryFields(data, metadata));
    } catch (err) {
      throw new Error(`redis streams: error from publish: ${(err as Error).message}`);
    }
  }

  async subscribe(topic: string, handler: PubSubHandler): Promise<PubSubSubscription> {
    if (this.closed) throw new PubSubClosedError();
    const ensureGroup = () => this.ensureGroup(topic);
    await ensureGroup();
    const { readTimeoutMs } = this.connection;
    const blockMs = readTimeoutMs > 0 ? readTimeoutMs : DEFAULT_BLOCK_MS;
    const reader = await connectRedis(this.spec, {
      ...this.connection,
      // The read waits up to BLOCK on the server; the timeout covers that plus the round trip.
      options: { ...this.connection.options, commandTimeout: blockMs + Math.max(readTimeoutMs, DEFAULT_BLOCK_MS), connectionName: `${this.connection.options.connectionName}-sub` },
    });
    if (this.closed) {
      reader.disconnect();
      throw new PubSubClosedError();
    }
    const sub = new RedisSubscription({
      topic, handler, client: this.client, reader, settings: this.settings, slots: this.slots, blockMs,
      log: this.log, ensureGroup, onClose: (s) => this.subscriptions.delete(s),
    });
    this.subscriptions.add(sub);
    sub.start();
    return sub;
  }

  /** XGROUP CREATE <topic> <consumerID> 0 MKSTREAM; a group that exists is fine. */
  private async ensureGroup(topic: string): Promise<void> {
    try {
      await this.client.xgroup('CREATE', topic, this.settings.consumerId, '0', 'MKSTREAM');
    } catch (err) {
      if (!(err as Error).message.startsWith('BUSYGROUP')) {
        throw new Error(`redis streams: cannot create consumer group ${this.settings.consumerId} on stream ${topic}: ${(err as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await closeRedis(this.client);
  }
}

export async function createRedisPubSub(spec: ComponentSpec, ctx: ComponentContext): Promise<RedisStreamsPubSub> {
  // Validate everything before connecting, so a bad file fails fast and names the field.
  const settings = redisPubSubSettings(spec, ctx);
  const connection = redisSettings(spec);
  const client = await connectRedis(spec, connection);
  return new RedisStreamsPubSub(spec, client, connection, settings, ctx.log ?? (() => {}));
}
