// The sidecar's one call for pub/sub subscriptions: read the Subscription resources (logging
// every one that cannot be used) and build the manager that starts once the app is reachable.
import type { OtherResource } from '../components/resource-schema.js';
import type { CoreContext } from '../core/context.js';
import type { Logger } from '../observability/logger.js';
import { createSubscriptionManager, type SubscriptionManager } from './manager.js';
import { loadMatchEngine } from './match.js';

/** Resource kinds this module consumes (the sidecar does not report them as unused). */
export const PUBSUB_RESOURCE_KINDS: readonly string[] = ['Subscription'];

export async function setupSubscriptions(ctx: CoreContext, others: readonly OtherResource[], logger: Logger, namespace?: string): Promise<SubscriptionManager> {
  // The Subscription schema (and zod under it) and the CEL library for `match` rules are loaded
  // only when there are Subscriptions.
  const d = others.some((o) => o.kind === 'Subscription')
    ? (await Promise.all([import('./declarative.js'), loadMatchEngine()]))[0].declarativeSubscriptions(others, ctx.appId, namespace)
    : { problems: [], subscriptions: [] };
  for (const p of d.problems) logger.error(p);
  for (const s of d.subscriptions) logger.info(`Declarative subscription loaded: ${s.source}`);
  return createSubscriptionManager(ctx, d.subscriptions, logger);
}
