// Topic scoping from a pub/sub component's metadata, with daprd's rules (pkg/scopes and
// pubsub.IsOperationAllowed): `publishingScopes` / `subscriptionScopes` are
// `app1=t1,t2;app2=t3` (an app listed with no topics may use none), `allowedTopics` limits
// every app, `protectedTopics` need an explicit scope. Names are matched case-insensitively.
// Pure.

export interface TopicRules {
  /** topics this app may publish to when scoped (empty = no scope for this app) */
  readonly publishing: readonly string[];
  readonly subscription: readonly string[];
  readonly allowed: readonly string[];
  readonly protected: readonly string[];
}

function param(metadata: Readonly<Record<string, string>>, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(metadata)) if (k.toLowerCase() === want) return v;
  return undefined;
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

export function scopedTopics(metadata: Readonly<Record<string, string>>, scope: 'publishingScopes' | 'subscriptionScopes', appId: string): string[] {
  const val = param(metadata, scope)?.replaceAll(' ', '');
  if (!val) return [];
  const out: string[] = [];
  for (const app of val.split(';')) {
    const parts = app.split('=');
    if (parts.length < 2 || parts[0] !== appId) continue;
    out.push(...parts[1]!.split(','));
  }
  return unique(out);
}

function listParam(metadata: Readonly<Record<string, string>>, name: string): string[] {
  const val = param(metadata, name)?.replaceAll(' ', '');
  return val ? unique(val.split(',')) : [];
}

export function topicRules(metadata: Readonly<Record<string, string>>, appId: string): TopicRules {
  return {
    publishing: scopedTopics(metadata, 'publishingScopes', appId),
    subscription: scopedTopics(metadata, 'subscriptionScopes', appId),
    allowed: listParam(metadata, 'allowedTopics'),
    protected: listParam(metadata, 'protectedTopics'),
  };
}

/** May this app publish (or subscribe) to `topic`, given the scope for that operation? */
export function topicAllowed(topic: string, rules: TopicRules, scoped: readonly string[]): boolean {
  if (rules.allowed.length > 0 && !rules.allowed.includes(topic)) return false;
  if (!rules.protected.includes(topic) && scoped.length === 0) return true;
  return scoped.includes(topic);
}
