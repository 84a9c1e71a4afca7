// The pub/sub part of a `pubsub.redis` component's metadata, as components-contrib reads it
// (common/component/redis settings for the pubsub type), plus Pillion's retry budget. Pure:
// everything the component needs is decided here, before any connection is opened.

import { randomUUID } from 'node:crypto';
import { parseDuration } from '../util/units.js';
import { MetadataReader } from './metadata-values.js';
import { metadataInteger } from './redis-connection.js';
import type { ComponentContext, ComponentSpec } from './types.js';

export interface RedisPubSubSettings {
  /** consumer group name, and the consumer name inside it (contrib uses the one for both) */
  readonly consumerId: string;
  /** how long an entry must be pending before it is reclaimed; 0 disables reclaiming */
  readonly processingTimeoutMs: number;
  /** how often the pending entries are checked; 0 disables reclaiming */
  readonly redeliverIntervalMs: number;
  /** entries read per XREADGROUP / XPENDING, and the most a subscription holds unprocessed */
  readonly queueDepth: number;
  /** handler calls running at once, over all subscriptions of the component */
  readonly concurrency: number;
  /** XADD … MAXLEN ~ n; 0 = no trimming */
  readonly maxLenApprox: number;
  /** redeliveries after the first delivery; -1 = no limit (contrib's behaviour) */
  readonly maxRetries: number;
}

export const REDIS_PUBSUB_DEFAULTS = Object.freeze({
  processingTimeoutMs: 60_000,
  redeliverIntervalMs: 15_000,
  queueDepth: 100,
  concurrency: 10,
  maxLenApprox: 0,
  maxRetries: -1,
});

/**
 * contrib's reading of processingTimeout / redeliverInterval: a bare whole number is
 * milliseconds (for legacy reasons), anything else a Go duration. Negative is refused.
 */
function millis(md: MetadataReader, field: string, fallback: number): number {
  const raw = md.optional(field);
  if (raw === undefined) return fallback;
  const t = raw.trim();
  const ms = /^\d+$/.test(t) ? Number(t) : parseDuration(t);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) md.fail(field, `expected milliseconds or a duration like "30s", got "${raw}"`);
  return Math.round(ms);
}

export interface ConsumerIdContext {
  readonly appId: string;
  /** daprd's NAMESPACE */
  readonly namespace?: string;
  /** daprd's POD_NAME */
  readonly podName?: string;
}

/**
 * daprd's metadata templates in consumerID: every `{uuid}` becomes a fresh UUID (one consumer
 * group per instance: each instance gets every message), `{podName}`, `{namespace}` (as
 * `<namespace>.<app-id>`) and `{appID}`. Undefined when `{podName}` has no value.
 */
export function expandConsumerId(raw: string, c: ConsumerIdContext, uuid: () => string = randomUUID): string | undefined {
  let v = raw;
  while (v.includes('{uuid}')) v = v.replace('{uuid}', uuid());
  if (v.includes('{podName}')) {
    if (!c.podName) return undefined;
    v = v.replaceAll('{podName}', c.podName);
  }
  return v.replaceAll('{namespace}', `${c.namespace ?? ''}.${c.appId}`).replaceAll('{appID}', c.appId);
}

export function redisPubSubSettings(spec: ComponentSpec, ctx: Pick<ComponentContext, 'appId' | 'env'>): RedisPubSubSettings {
  const md: MetadataReader = new MetadataReader(spec);
  const d = REDIS_PUBSUB_DEFAULTS;
  // daprd gives every pub/sub component consumerID = app id unless the YAML sets one.
  const rawConsumer = md.optional('consumerID')?.trim() || ctx.appId;
  const consumerId = expandConsumerId(rawConsumer, { appId: ctx.appId, namespace: ctx.env.NAMESPACE, podName: ctx.env.POD_NAME });
  if (consumerId === undefined) md.fail('consumerID', 'refers to {podName} but POD_NAME is not set');
  if (consumerId === '') md.fail('consumerID', 'must not be empty');
  return {
    consumerId,
    processingTimeoutMs: millis(md, 'processingTimeout', d.processingTimeoutMs),
    redeliverIntervalMs: millis(md, 'redeliverInterval', d.redeliverIntervalMs),
    queueDepth: metadataInteger(md, 'queueDepth', d.queueDepth, 1, 100_000),
    concurrency: metadataInteger(md, 'concurrency', d.concurrency, 1, 10_000),
    maxLenApprox: metadataInteger(md, 'maxLenApprox', d.maxLenApprox, 0, Number.MAX_SAFE_INTEGER),
    maxRetries: metadataInteger(md, 'maxRetries', d.maxRetries, -1, 1_000_000),
  };
}
