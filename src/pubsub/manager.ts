// Subscriptions for the own app: read them once the app is reachable (declarative ones from
// the resource files, programmatic ones from the app), subscribe on the components, and
// deliver each message through the app channel. Deliveries pause while the app is not
// healthy; retries are the component's (its budget ends in `lastAttempt`), after which a
// message goes to the subscription's dead-letter topic if it has one. Stopping closes every
// subscription and waits for deliveries in flight, up to the graceful-shutdown timeout.
// A bulk subscription gathers its messages into batches first (bulk-subscriber.ts).
// A streaming subscription (a client's SubscribeTopicEventsAlpha1 stream) lives as long as its
// stream: same reading, retries, dead-letter and metrics, but delivered down the stream
// (streaming-connection.ts) instead of to the app, so it neither needs nor waits for an app.
import { setMaxListeners } from 'node:events';
import type { CoreContext } from '../core/context.js';
import type { DeliveryResult, PubSubMessage, PubSubSubscription } from '../components/types.js';
import { topicAllowed, topicRules } from '../core/pubsub-scopes.js';
import { ceString } from '../core/pubsub-cloudevents.js';
import type { Logger } from '../observability/logger.js';
import { DaprError } from '../errors/table.js';
import { deliverGrpc, deliverHttp, type AppAccess, type Delivery, type Outcome } from './delivery.js';
import { fetchAppConfig, fetchSubscriptions } from './app-discovery.js';
import { createBulkHandler, type BulkHandler } from './bulk-subscriber.js';
import { readInbound } from './inbound.js';
import { subscriptionKey, type Subscription } from './subscription.js';

export interface SubscriptionManager {
  /** reads the subscriptions and subscribes; call once the app port answered */
  start(): Promise<void>;
  /** the active subscriptions (for the metadata API and logs) */
  active(): readonly Subscription[];
  /** closes every subscription; deliveries in flight get up to graceMs */
  stop(graceMs: number): Promise<void>;
  /**
   * A streaming subscription: subscribes on the component and delivers through `via` until
   * the returned close(). `onStop` is called when the manager stops first (the stream should
   * end). Throws daprd's refusal: DaprError, or a plain Error for daprd's plain errors.
   */
  subscribeStream(sub: Subscription, via: StreamDeliver, onStop: () => void): Promise<StreamSubscription>;
}

export interface StreamSubscription {
  /** the stream ended: unsubscribe (waits for the component's deliveries in flight) */
  close(): Promise<void>;
  /** the client answered an event nobody waits for (logged, as daprd does) */
  unexpectedAnswer(id: string): void;
}

/** What the gRPC API needs of the manager for SubscribeTopicEventsAlpha1. */
export type StreamSubscriber = Pick<SubscriptionManager, 'subscribeStream'>;

/** Sends one event to a streaming subscriber and resolves with its answer. */
export type StreamDeliver = (d: Delivery, signal: AbortSignal) => Promise<Outcome>;

export function createSubscriptionManager(ctx: CoreContext, declarative: readonly Subscription[], logger: Logger): SubscriptionManager {
  const log = logger.child({ scope: 'pillion.runtime.pubsub' });
  const subs: Array<{ sub: Subscription; handle: PubSubSubscription; bulk?: BulkHandler; stream?: { onStop: () => void; close: () => Promise<void> } }> = [];
  // closing: no new deliveries, no more waiting (set when stop begins); cancel: calls still
  // in flight are cancelled (set when the grace period ends).
  const closing = new AbortController();
  const cancel = new AbortController();
  // Both are shared by every delivery in flight (each adds one listener and removes it when
  // answered): many unanswered events are not a leak, and must not print node's warning.
  setMaxListeners(0, closing.signal, cancel.signal);
  let started: Promise<void> | undefined;

  const access = (): AppAccess | undefined => {
    const channel = ctx.invocation.channel();
    return channel && { channel, token: ctx.invocation.appToken(), tokenHeader: ctx.invocation.tokenHeader };
  };

  /** Resolves once the app can take calls (at once when it can), or when closing. */
  const appHealthy = (): Promise<void> => {
    if (ctx.invocation.appHealthy() || closing.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        off();
        closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const off = ctx.invocation.onHealthChange((up) => up && done());
      closing.signal.addEventListener('abort', done, { once: true });
    });
  };

  const deadLetter = async (sub: Subscription, msg: PubSubMessage, why: string): Promise<boolean> => {
    if (!sub.deadLetterTopic) return false;
    try {
      await ctx.components.pubsub(sub.pubsubName)!.publish(sub.deadLetterTopic, msg.data, msg.metadata);
      log.warn(`${why}; sent to dead-letter topic ${sub.deadLetterTopic} (pubsub ${sub.pubsubName}, topic ${msg.topic})`);
      return true;
    } catch (err) {
      log.error(`error sending message to dead letter, origin topic: ${msg.topic} dead letter topic ${sub.deadLetterTopic} err: ${(err as Error).message}`);
      return false;
    }
  };

  const report = (sub: Subscription, topic: string, o: Outcome): void => {
    ctx.pubsubObserver?.ingress(sub.pubsubName, topic, o.result);
    if (o.detail) log[o.level](o.detail);
  };

  const handle = async (sub: Subscription, msg: PubSubMessage, via?: StreamDeliver): Promise<DeliveryResult> => {
    let deliver = via;
    if (!deliver) {
      await appHealthy();
      const app = access();
      if (app) deliver = (d, signal) => (app.channel.protocol === 'grpc' ? deliverGrpc(d, app, signal) : deliverHttp(d, app, signal));
    }
    if (closing.signal.aborted || !deliver) return 'retry';
    const inbound = readInbound(msg, sub, Date.now());
    if (inbound.kind === 'invalid') {
      log.error(inbound.reason);
      ctx.pubsubObserver?.ingress(sub.pubsubName, msg.topic, 'retry');
      if (await deadLetter(sub, msg, inbound.reason)) return 'drop';
      if (msg.lastAttempt) log.error(`unreadable message on topic ${msg.topic} of pubsub ${sub.pubsubName}: retries exhausted, message dropped`);
      return 'retry';
    }
    if (inbound.kind === 'skip') {
      const id = ceString(inbound.cloudEvent, 'id');
      const why = inbound.reason === 'expired'
        ? `dropping expired pub/sub event ${id} as of ${ceString(inbound.cloudEvent, 'expiration')}`
        : `no matching route for event ${id} in pubsub ${sub.pubsubName} and topic ${msg.topic}; skipping`;
      if (inbound.reason === 'expired') log.warn(why);
      else log.debug(why);
      ctx.pubsubObserver?.ingress(sub.pubsubName, msg.topic, 'drop');
      await deadLetter(sub, msg, why);
      return 'success';
    }
    const delivery = { pubsubName: sub.pubsubName, topic: msg.topic, route: inbound.route, cloudEvent: inbound.cloudEvent, body: inbound.body, metadata: msg.metadata };
    const outcome = await deliver(delivery, cancel.signal);
    report(sub, msg.topic, outcome);
    if (outcome.result === 'drop') {
      await deadLetter(sub, msg, outcome.detail);
      return 'drop';
    }
    if (outcome.result === 'retry' && msg.lastAttempt && !cancel.signal.aborted) {
      const why = `pub/sub event ${ceString(inbound.cloudEvent, 'id')} (pubsub ${sub.pubsubName}, topic ${msg.topic}) still failing after ${msg.attempt} attempt(s)`;
      if (await deadLetter(sub, msg, why)) return 'drop';
      log.error(`${why}; retries exhausted, message dropped`);
    }
    return outcome.result;
  };

  const bulkDeps = {
    log,
    app: async () => {
      await appHealthy();
      return closing.signal.aborted ? undefined : access();
    },
    deadLetter,
    ingress: (sub: Subscription, topic: string, result: DeliveryResult) => ctx.pubsubObserver?.ingress(sub.pubsubName, topic, result),
    cancel: cancel.signal,
    grpc: { v1Unimplemented: false },
  };

  const subscribeAll = async (all: readonly Subscription[]): Promise<void> => {
    const seen = new Set<string>();
    for (const sub of all) {
      const key = subscriptionKey(sub);
      const what = `${sub.kind} subscription to topic ${sub.topic} of pubsub ${sub.pubsubName} (${sub.source})`;
      if (seen.has(key)) {
        log.warn(`${what} duplicates an earlier subscription to the same topic; ignored`);
        continue;
      }
      const pubsub = ctx.components.pubsub(sub.pubsubName);
      if (!pubsub) {
        log.warn(`${what}: pubsub ${sub.pubsubName} is not found; ignored`);
        continue;
      }
      const rules = topicRules(ctx.components.metadataOf(sub.pubsubName) ?? {}, ctx.appId);
      if (!topicAllowed(sub.topic, rules, rules.subscription)) {
        log.warn(`${what}: subscribing to topic ${sub.topic} is not allowed for app id ${ctx.appId}; ignored`);
        continue;
      }
      seen.add(key);
      const bulk = sub.bulkSubscribe && createBulkHandler(sub, sub.bulkSubscribe, bulkDeps);
      try {
        const handleOne = bulk
          // The component may hand over a whole batch before the first message's result is known.
          ? await pubsub.subscribe(sub.topic, bulk.handler, sub.metadata, { maxInFlight: sub.bulkSubscribe!.maxMessagesCount })
          : await pubsub.subscribe(sub.topic, (msg) => handle(sub, msg), sub.metadata);
        subs.push({ sub, handle: handleOne, bulk });
        if (closing.signal.aborted) bulk?.close(); // stop() began while this subscribed
        const how = sub.bulkSubscribe ? `, bulk: up to ${sub.bulkSubscribe.maxMessagesCount} events or ${sub.bulkSubscribe.maxAwaitDurationMs} ms` : '';
        log.info(`Subscribed to topic ${sub.topic} on pubsub ${sub.pubsubName} (${sub.kind}, routes: ${sub.rules.map((r) => r.path || '""').join(', ')}${how})`);
      } catch (err) {
        bulk?.close();
        log.error(`${what}: subscribing failed: ${(err as Error).message}`);
      }
    }
  };

  return {
    start() {
      started ??= (async () => {
        const app = access();
        if (!app) {
          if (declarative.length) log.warn(`${declarative.length} declarative subscription(s) need an app to deliver to (--app-port); none started`);
          return;
        }
        if (app.channel.protocol === 'http') await fetchAppConfig(app, ctx.appId, log, closing.signal);
        const programmatic = await fetchSubscriptions(app, ctx.appId, log, closing.signal);
        if (closing.signal.aborted) return;
        await subscribeAll([...declarative, ...programmatic]);
      })();
      return started;
    },
    // daprd lists the app's subscriptions first, then the streams'.
    active: () => [...subs.filter((s) => !s.stream), ...subs.filter((s) => s.stream)].map((s) => s.sub),
    async subscribeStream(sub, via, onStop) {
      // daprd's quirky answer for a subscriber that is shutting down
      // (daprd: apierrors.PubSub("").WithMetadata(nil): no metadata, no pubsub named)
      if (closing.signal.aborted) throw new DaprError('ERR_PUBSUB_REQUEST_METADATA', 'failed deserializing metadata. Error: subscriber is closed', undefined, { resource: '' });
      const pubsub = ctx.components.pubsub(sub.pubsubName);
      if (!pubsub) throw new DaprError('ERR_PUBSUB_NOT_FOUND', `pubsub ${sub.pubsubName} is not found`, undefined, { resource: sub.pubsubName });
      const failed = (why: string): Error => new Error(`failed to create subscription for ${sub.pubsubName}: ${why}`);
      const rules = topicRules(ctx.components.metadataOf(sub.pubsubName) ?? {}, ctx.appId);
      if (!topicAllowed(sub.topic, rules, rules.subscription)) throw failed(`subscription to topic '${sub.topic}' on pubsub '${sub.pubsubName}' is not allowed`);
      let handleOne: PubSubSubscription;
      try {
        handleOne = await pubsub.subscribe(sub.topic, (msg) => handle(sub, msg, via), sub.metadata);
      } catch (err) {
        throw failed(`failed to subscribe to topic ${sub.topic}: ${(err as Error).message}`);
      }
      let closed: Promise<void> | undefined;
      const entry = {
        sub,
        handle: handleOne,
        stream: {
          onStop,
          close: () => (closed ??= (async () => {
            const i = subs.indexOf(entry);
            if (i >= 0) subs.splice(i, 1);
            await handleOne.close();
            log.info(`Unsubscribed from pubsub '${sub.pubsubName}' topic '${sub.topic}' (${sub.source})`);
          })()),
        },
      };
      subs.push(entry);
      log.info(`Subscribing to pubsub '${sub.pubsubName}' topic '${sub.topic}' (${sub.source})`);
      if (closing.signal.aborted) onStop(); // stop() began while this subscribed
      return {
        close: entry.stream.close,
        unexpectedAnswer: (id) => log.error(`no client stream expecting publish response for id ${id} (${sub.source})`),
      };
    },
    async stop(graceMs) {
      // In-flight deliveries may finish; after graceMs their app calls are cancelled.
      closing.abort();
      // Streams end (their events in flight become retries); their subscriptions close below.
      for (const s of [...subs]) s.stream?.onStop();
      // Messages still gathering for a batch go back to their component undelivered.
      for (const s of subs) s.bulk?.close();
      const timer = setTimeout(() => cancel.abort(), Math.max(0, graceMs));
      try {
        await started?.catch(() => {});
        await Promise.all([...subs].map((s) => s.stream?.close() ?? s.handle.close()));
      } finally {
        clearTimeout(timer);
        cancel.abort();
      }
    },
  };
}
