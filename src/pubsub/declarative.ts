// Declarative subscriptions: `kind: Subscription` documents from the resource paths, in
// daprd's two forms — dapr.io/v2alpha1 (`spec.routes: {rules, default}`) and dapr.io/v1alpha1
// (`spec.route`) — with `scopes` (app ids; empty = every app). A document that cannot be used
// is skipped with a problem line naming the file and field, as daprd skips it with an error.
import { z } from 'zod';
import { schemaProblems, type OtherResource } from '../components/resource-schema.js';
import { buildRules, bulkSettings, type Subscription } from './subscription.js';

const rule = z.object({ match: z.string().nullish(), path: z.string().min(1) });
const stringValues = z.record(z.string(), z.unknown()).nullish()
  .transform((m) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)])));
// daprd's Subscription CRD types the bulk limits as int32.
const int32 = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);
const common = {
  kind: z.literal('Subscription'),
  metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }),
  scopes: z.array(z.string()).nullish(),
};
const specCommon = {
  pubsubname: z.string().min(1),
  topic: z.string().min(1),
  metadata: stringValues,
  deadLetterTopic: z.string().nullish(),
  bulkSubscribe: z.object({ enabled: z.boolean().optional(), maxMessagesCount: int32.optional(), maxAwaitDurationMs: int32.optional() }).passthrough().nullish(),
};
const v2 = z.object({
  ...common,
  apiVersion: z.literal('dapr.io/v2alpha1'),
  spec: z.object({ ...specCommon, routes: z.object({ rules: z.array(rule).nullish(), default: z.string().nullish() }) }),
});
const v1 = z.object({
  ...common,
  apiVersion: z.literal('dapr.io/v1alpha1'),
  spec: z.object({ ...specCommon, route: z.string().min(1) }),
});

export interface DeclarativeResult {
  readonly subscriptions: Subscription[];
  readonly problems: string[];
  /** names of Subscription documents scoped to other apps (skipped silently, as daprd does) */
  readonly outOfScope: string[];
}

export function declarativeSubscriptions(others: readonly OtherResource[], appId: string, namespace?: string): DeclarativeResult {
  const subscriptions: Subscription[] = [];
  const problems: string[] = [];
  const outOfScope: string[] = [];
  for (const o of others) {
    if (o.kind !== 'Subscription' || !o.doc) continue;
    const value = o.doc.value as { apiVersion?: unknown } | null;
    const schema = value?.apiVersion === 'dapr.io/v1alpha1' ? v1 : v2;
    const parsed = schema.safeParse(o.doc.value);
    if (!parsed.success) {
      problems.push(...schemaProblems(o.doc, parsed.error).map((p) => `${p} (Subscription skipped)`));
      continue;
    }
    const d = parsed.data;
    const scopes = d.scopes ?? [];
    if ((scopes.length > 0 && !scopes.includes(appId)) || (namespace && d.metadata.namespace && d.metadata.namespace !== namespace)) {
      outOfScope.push(d.metadata.name);
      continue;
    }
    const routes = 'routes' in d.spec ? d.spec.routes : undefined;
    const route = 'route' in d.spec ? d.spec.route : undefined;
    try {
      const rules = buildRules((routes?.rules ?? []).map((r) => ({ match: r.match ?? '', path: r.path })), routes?.default ?? undefined, route);
      if (rules.length === 0) {
        problems.push(`${o.source}: spec.routes: Subscription ${d.metadata.name} has no route (Subscription skipped)`);
        continue;
      }
      subscriptions.push({
        pubsubName: d.spec.pubsubname,
        topic: d.spec.topic,
        metadata: d.spec.metadata,
        rules,
        deadLetterTopic: d.spec.deadLetterTopic ?? '',
        kind: 'declarative',
        source: `Subscription ${d.metadata.name} (${o.source})`,
        bulkSubscribe: bulkSettings(d.spec.bulkSubscribe),
      });
    } catch (err) {
      problems.push(`${o.source}: spec.routes.rules: ${(err as Error).message} (Subscription skipped)`);
    }
  }
  return { subscriptions, problems, outOfScope };
}
