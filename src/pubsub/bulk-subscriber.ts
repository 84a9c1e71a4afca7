// A bulk subscription's handler: the component hands over messages one by one (each call
// waiting for its message's result, so the component acks or redelivers it as for a single
// delivery), the batcher gathers them, and each batch is delivered as daprd's bulk handler
// does — entries read and routed, one app call per route, each entry's outcome reported,
// dead-lettered and returned to the component on its own. Retries stay the component's
// (bounded by its budget): a RETRY entry comes back in a later batch, with a new entry id.
import { randomUUID } from 'node:crypto';
import type { DeliveryResult, PubSubHandler, PubSubMessage } from '../components/types.js';
import type { Logger } from '../observability/logger.js';
import { Batcher } from './bulk-batcher.js';
import { deliverBulkGrpc, deliverBulkHttp, type GrpcBulkState } from './bulk-delivery.js';
import { groupByPath, prepareEntry, type BulkEntry } from './bulk-request.js';
import type { AppAccess } from './delivery.js';
import { rawPayloadSetting } from './inbound.js';
import type { BulkSettings, Subscription } from './subscription.js';

export interface BulkDeps {
  readonly log: Logger;
  /** the app once it can take calls; undefined when the sidecar is closing or has no app */
  app(): Promise<AppAccess | undefined>;
  /** publishes to the subscription's dead-letter topic; false when there is none or it failed */
  deadLetter(sub: Subscription, msg: PubSubMessage, why: string): Promise<boolean>;
  /** the ingress metric, as for single deliveries */
  ingress(sub: Subscription, topic: string, result: DeliveryResult): void;
  /** aborts app calls in flight (the graceful-shutdown timeout ran out) */
  readonly cancel: AbortSignal;
  /** shared by the manager's bulk subscriptions (one app) */
  readonly grpc: GrpcBulkState;
  readonly now?: () => number;
  readonly newId?: () => string;
}

export interface BulkHandler {
  readonly handler: PubSubHandler;
  /** no more batches: messages still gathering are handed back as 'retry' */
  close(): void;
}

interface Item {
  readonly msg: PubSubMessage;
  readonly resolve: (r: DeliveryResult) => void;
}

export function createBulkHandler(sub: Subscription, settings: BulkSettings, deps: BulkDeps): BulkHandler {
  const { log } = deps;
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  let closed = false;

  /** A message that could not be delivered: dead-lettered when it can be, else retried. */
  const failed = async (msg: PubSubMessage, why: string): Promise<DeliveryResult> => {
    deps.ingress(sub, msg.topic, 'retry');
    if (await deps.deadLetter(sub, msg, why)) return 'drop';
    if (msg.lastAttempt) log.error(`unreadable message on topic ${msg.topic} of pubsub ${sub.pubsubName}: retries exhausted, message dropped`);
    return 'retry';
  };

  /** The app's verdict on one entry, with the single path's dead-letter and retry-budget rules. */
  const settle = async (e: BulkEntry, result: DeliveryResult, deadLetter: boolean, detail: string): Promise<DeliveryResult> => {
    deps.ingress(sub, e.msg.topic, result);
    if (detail) log[result === 'drop' ? 'warn' : 'debug'](detail);
    if (result === 'drop') {
      if (deadLetter) await deps.deadLetter(sub, e.msg, detail);
      return 'drop';
    }
    if (result === 'retry' && e.msg.lastAttempt && !deps.cancel.aborted) {
      const why = `pub/sub event ${e.entryId} of a bulk delivery (pubsub ${sub.pubsubName}, topic ${e.msg.topic}) still failing after ${e.msg.attempt} attempt(s)`;
      if (await deps.deadLetter(sub, e.msg, why)) return 'drop';
      log.error(`${why}; retries exhausted, message dropped`);
    }
    return result;
  };

  const deliverBatch = async (items: readonly Item[]): Promise<DeliveryResult[]> => {
    const app = await deps.app();
    if (!app) return items.map(() => 'retry');
    const raw = rawPayloadSetting(sub.metadata);
    if (typeof raw === 'string') {
      const why = `error deserializing pubsub metadata: ${raw}`;
      log.error(why);
      return Promise.all(items.map((i) => failed(i.msg, why)));
    }
    const results: Array<Promise<DeliveryResult>> = [];
    const deliverable: BulkEntry[] = [];
    const slot = new Map<string, number>();
    for (const [n, item] of items.entries()) {
      const p = prepareEntry(item.msg, sub, raw, newId(), now());
      if (p.kind === 'deliver') {
        deliverable.push(p.entry);
        slot.set(p.entry.entryId, n);
        continue;
      }
      log[p.kind === 'skip' ? 'warn' : 'error'](p.detail);
      if (p.kind === 'skip') {
        deps.ingress(sub, item.msg.topic, 'drop');
        results[n] = deps.deadLetter(sub, item.msg, p.detail).then(() => 'success' as const);
      } else {
        results[n] = failed(item.msg, p.detail);
      }
    }
    for (const [path, entries] of groupByPath(deliverable)) {
      const call = { id: newId(), pubsubName: sub.pubsubName, topic: sub.topic, path, entries };
      const outcome = app.channel.protocol === 'grpc'
        ? await deliverBulkGrpc(call, app, deps.grpc, (line) => log.warn(line), deps.cancel)
        : await deliverBulkHttp(call, app, deps.cancel);
      if (outcome.detail) log[outcome.level](outcome.detail);
      for (const e of entries) {
        const o = outcome.entries.get(e.entryId) ?? { result: 'retry' as const, deadLetter: false, detail: '' };
        results[slot.get(e.entryId)!] = settle(e, o.result, o.deadLetter, o.detail);
      }
    }
    return Promise.all(results);
  };

  const batcher = new Batcher<Item>(settings, async (batch) => {
    let results: DeliveryResult[];
    try {
      results = await deliverBatch(batch);
    } catch (err) {
      log.error(`bulk delivery to topic ${sub.topic} of pubsub ${sub.pubsubName} failed: ${(err as Error).message}`);
      results = batch.map(() => 'retry');
    }
    batch.forEach((item, n) => item.resolve(results[n] ?? 'retry'));
  });

  return {
    handler: (msg) => new Promise<DeliveryResult>((resolve) => {
      if (closed) resolve('retry');
      else batcher.add({ msg, resolve });
    }),
    close() {
      closed = true;
      for (const item of batcher.close()) item.resolve('retry');
    },
  };
}
