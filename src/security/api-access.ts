// Which API a call belongs to, as data: the API group of every Dapr gRPC method (HTTP routes
// carry theirs in RouteDef.group), and Dapr's Configuration `spec.api.allowed` / `denied`
// lists. Both protocols ask the same questions of the same tables.
//
// Group names are Dapr's API allow-list names (state, invoke, publish, bindings, secrets,
// actors, metadata, configuration, lock, workflows, shutdown, …); they are also the
// vocabulary of a JWT's `scope` claim.

/** One access rule of a Configuration's spec.api.allowed / spec.api.denied. */
export interface ApiRule {
  readonly name: string;
  readonly version: string;
  /** http (also when empty, as in daprd) or grpc */
  readonly protocol?: string;
}

export interface ApiAccessRules {
  readonly allowed: readonly ApiRule[];
  readonly denied: readonly ApiRule[];
}

/** What the token check needs to know about the called API. */
export interface CallTarget {
  /** API group: the scope a JWT needs, e.g. "state" */
  readonly group: string;
  /** true when the Configuration's API allow/deny lists exclude this API */
  readonly apiDenied: boolean;
}

export type Protocol = 'http' | 'grpc';

export const DAPR_RUNTIME_PREFIX = '/dapr.proto.runtime.v1.Dapr/';

// Dapr gRPC method → [allow-list name, version], as daprd groups them.
const GRPC_METHODS: Record<string, readonly [string, string]> = {};
const add = (name: string, version: string, methods: string): void => {
  for (const m of methods.split(' ')) GRPC_METHODS[m] = [name, version];
};
add('invoke', 'v1', 'InvokeService');
add('state', 'v1', 'GetState GetBulkState SaveState DeleteState DeleteBulkState ExecuteStateTransaction');
add('state', 'v1alpha1', 'QueryStateAlpha1');
add('publish', 'v1', 'PublishEvent BulkPublishEvent');
add('publish', 'v1alpha1', 'BulkPublishEventAlpha1');
add('subscribe', 'v1alpha1', 'SubscribeTopicEventsAlpha1');
add('bindings', 'v1', 'InvokeBinding');
add('secrets', 'v1', 'GetSecret GetBulkSecret');
add('actors', 'v1', 'RegisterActorTimer UnregisterActorTimer RegisterActorReminder UnregisterActorReminder UnregisterActorRemindersByType ListActorReminders GetActorState GetActorReminder ExecuteActorStateTransaction InvokeActor');
add('metadata', 'v1', 'GetMetadata SetMetadata');
add('configuration', 'v1alpha1', 'GetConfigurationAlpha1 SubscribeConfigurationAlpha1 UnsubscribeConfigurationAlpha1');
add('configuration', 'v1', 'GetConfiguration SubscribeConfiguration UnsubscribeConfiguration');
add('lock', 'v1alpha1', 'TryLockAlpha1');
add('unlock', 'v1alpha1', 'UnlockAlpha1');
add('crypto', 'v1alpha1', 'EncryptAlpha1 DecryptAlpha1');
add('subtlecrypto', 'v1alpha1', 'SubtleGetKeyAlpha1 SubtleEncryptAlpha1 SubtleDecryptAlpha1 SubtleWrapKeyAlpha1 SubtleUnwrapKeyAlpha1 SubtleSignAlpha1 SubtleVerifyAlpha1');
add('workflows', 'v1alpha1', 'StartWorkflowAlpha1 GetWorkflowAlpha1 PurgeWorkflowAlpha1 TerminateWorkflowAlpha1 PauseWorkflowAlpha1 ResumeWorkflowAlpha1 RaiseEventWorkflowAlpha1');
add('workflows', 'v1beta1', 'StartWorkflowBeta1 GetWorkflowBeta1 PurgeWorkflowBeta1 TerminateWorkflowBeta1 PauseWorkflowBeta1 ResumeWorkflowBeta1 RaiseEventWorkflowBeta1');
add('jobs', 'v1alpha1', 'ScheduleJobAlpha1 GetJobAlpha1 DeleteJobAlpha1 DeleteJobsByPrefixAlpha1 ListJobsAlpha1');
add('shutdown', 'v1', 'Shutdown');
add('conversation', 'v1alpha1', 'ConverseAlpha1');
add('conversation', 'v1alpha2', 'ConverseAlpha2');

/** The scope a token needs for an allow-list API name ("unlock" is part of "lock"). */
const scopeOf = (name: string): string => (name === 'unlock' ? 'lock' : name);

/** The allow-list [name, version] of a Dapr gRPC method path, if it is one. */
export function grpcApiOf(path: string): readonly [string, string] | undefined {
  return path.startsWith(DAPR_RUNTIME_PREFIX) ? GRPC_METHODS[path.slice(DAPR_RUNTIME_PREFIX.length)] : undefined;
}

/** daprd's rule: an API is reachable unless denied, and, when an allow list exists for the
 * protocol, only if it is on it. Rules for the other protocol do not count. */
export function createApiAccess(rules: ApiAccessRules | undefined): (protocol: Protocol, name: string, version: string) => boolean {
  const pick = (list: readonly ApiRule[] | undefined, p: Protocol): Set<string> =>
    new Set((list ?? []).filter((r) => (r.protocol ? r.protocol.toLowerCase() : 'http') === p).map((r) => `${r.name}/${r.version}`));
  const sets = {
    http: { allowed: pick(rules?.allowed, 'http'), denied: pick(rules?.denied, 'http') },
    grpc: { allowed: pick(rules?.allowed, 'grpc'), denied: pick(rules?.denied, 'grpc') },
  };
  return (protocol, name, version) => {
    const s = sets[protocol];
    const key = `${name}/${version}`;
    if (s.denied.has(key)) return false;
    return s.allowed.size === 0 || s.allowed.has(key);
  };
}

export const hasApiRules = (rules: ApiAccessRules | undefined): boolean => !!rules && (rules.allowed.length > 0 || rules.denied.length > 0);

/** Targets for every gRPC path: Dapr methods by the table; other services (the app proxy,
 * unknown services) are service invocation; server reflection is its own group. */
export function grpcTargets(allowed: (p: Protocol, name: string, version: string) => boolean): (path: string) => CallTarget {
  const known = new Map<string, CallTarget>();
  for (const [method, [name, version]] of Object.entries(GRPC_METHODS)) {
    known.set(DAPR_RUNTIME_PREFIX + method, Object.freeze({ group: scopeOf(name), apiDenied: !allowed('grpc', name, version) }));
  }
  const reflection: CallTarget = Object.freeze({ group: 'reflection', apiDenied: false });
  const invoke: CallTarget = Object.freeze({ group: 'invoke', apiDenied: false });
  // A Dapr method missing from the table (a newer Dapr API): with an allow list it is not on
  // it, as in daprd.
  const unlisted: CallTarget = Object.freeze({ group: 'unlisted', apiDenied: !allowed('grpc', '', '') });
  return (path) =>
    known.get(path) ??
    (path.startsWith('/grpc.reflection.') ? reflection : path.startsWith(DAPR_RUNTIME_PREFIX) ? unlisted : invoke);
}

/** Target of an HTTP route: its group, and the version from its path (/v1.0/…, /v1.0-alpha1/…). */
export function httpTarget(allowed: (p: Protocol, name: string, version: string) => boolean, group: string, path: string): CallTarget {
  const version = path.split('/')[1] ?? '';
  return Object.freeze({ group, apiDenied: !allowed('http', group, version) });
}

/** HTTP requests no route matches go to service invocation in daprd. */
export const HTTP_UNMATCHED: CallTarget = Object.freeze({ group: 'invoke', apiDenied: false });
