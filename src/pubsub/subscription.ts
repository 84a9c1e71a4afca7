// A subscription as the runtime uses it, whichever way it was declared (the app's
// /dapr/subscribe or ListTopicSubscriptions answer, or a Subscription resource), and the
// route choice for one event. Pure.
import { compileMatch, type Matcher } from './match.js';

export interface Rule {
  /** the expression as written ('' = always) */
  readonly match: string;
  readonly test?: Matcher;
  /** the app route (HTTP path, or the gRPC TopicEventRequest.path) */
  readonly path: string;
}

/** streaming: a client's SubscribeTopicEventsAlpha1 stream, for as long as the stream lives */
export type SubscriptionKind = 'programmatic' | 'declarative' | 'streaming';

export interface Subscription {
  readonly pubsubName: string;
  readonly topic: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** tried in order; the first that matches wins (the default route is last, without match) */
  readonly rules: readonly Rule[];
  readonly deadLetterTopic: string;
  readonly kind: SubscriptionKind;
  /** where it was declared, for log lines */
  readonly source: string;
  /** bulk delivery (daprd's bulkSubscribe): events gathered into one call; undefined = one at a time */
  readonly bulkSubscribe: BulkSettings | undefined;
}

/** When a gathered batch is delivered: at maxMessagesCount events, or maxAwaitDurationMs after its first. */
export interface BulkSettings {
  readonly maxMessagesCount: number;
  readonly maxAwaitDurationMs: number;
}

export const BULK_DEFAULTS: BulkSettings = Object.freeze({ maxMessagesCount: 100, maxAwaitDurationMs: 1000 });

/** daprd's reading of `bulkSubscribe`: only `enabled: true` turns it on; a limit that is unset or not positive takes its default. */
export function bulkSettings(b: { enabled?: boolean; maxMessagesCount?: number; maxAwaitDurationMs?: number } | undefined | null): BulkSettings | undefined {
  if (b?.enabled !== true) return undefined;
  const positive = (v: number | undefined, fallback: number): number => (v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback);
  return {
    maxMessagesCount: positive(b.maxMessagesCount, BULK_DEFAULTS.maxMessagesCount),
    maxAwaitDurationMs: positive(b.maxAwaitDurationMs, BULK_DEFAULTS.maxAwaitDurationMs),
  };
}

/** Rules from `routes: {rules, default}` or a single `route` (v1 form); throws on a bad match. */
export function buildRules(rules: ReadonlyArray<{ match?: string; path?: string }>, defaultPath: string | undefined, route: string | undefined): Rule[] {
  const out: Rule[] = [];
  for (const r of rules) {
    const match = (r.match ?? '').trim();
    out.push(match ? { match, test: compileMatch(match), path: r.path ?? '' } : { match: '', path: r.path ?? '' });
  }
  if (defaultPath) out.push({ match: '', path: defaultPath });
  else if (route) out.push({ match: '', path: route });
  return out;
}

/** The route for an event, or undefined when no rule matches (the event is then dropped). */
export function routeFor(s: Subscription, event: Readonly<Record<string, unknown>>): string | undefined {
  for (const r of s.rules) if (!r.test || r.test(event)) return r.path;
  return undefined;
}

/** `pubsub||topic`: one subscription per pair; the first declared wins, as in daprd. */
export const subscriptionKey = (s: { pubsubName: string; topic: string }): string => `${s.pubsubName}||${s.topic}`;
