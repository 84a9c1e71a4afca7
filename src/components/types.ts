// Contracts between the runtime and component implementations. Components never import the
// API layer; they only see these shapes. Values are raw bytes end to end: the adapters decide
// how bytes map to HTTP bodies and gRPC fields, the store keeps them byte-for-byte.
import type { CallSignal } from '../util/call-signal.js';

/** A component definition as parsed from Dapr's YAML (`kind: Component`). */
export interface ComponentSpec {
  readonly name: string;
  readonly namespace?: string;
  /** e.g. `state.sqlite`, `secretstores.local.file` */
  readonly type: string;
  /** e.g. `v1` */
  readonly version: string;
  /** metadata entries with secretKeyRef already resolved */
  readonly metadata: Readonly<Record<string, string>>;
  /** app-ids allowed to use this component (`scopes:`); empty = all */
  readonly scopes: readonly string[];
  /** where it came from, for error messages (`<embedded default>` for built-ins) */
  readonly source: string;
}

export type Concurrency = 'first-write' | 'last-write';
export type Consistency = 'eventual' | 'strong';

export interface StateItem {
  readonly key: string;
  readonly value: Uint8Array;
  /** expected ETag; undefined = no ETag given */
  readonly etag?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly concurrency?: Concurrency;
  readonly consistency?: Consistency;
}

export interface StateDelete {
  readonly key: string;
  readonly etag?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly concurrency?: Concurrency;
  readonly consistency?: Consistency;
}

export interface StoredValue {
  readonly value: Uint8Array;
  readonly etag: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export type TransactionOp =
  | { readonly operation: 'upsert'; readonly request: StateItem }
  | { readonly operation: 'delete'; readonly request: StateDelete };

/**
 * Thrown by a state store when an ETag check fails (wrong ETag, or an ETag given for a key
 * that does not exist). The core maps it to ERR_STATE_SAVE / ERR_STATE_DELETE with HTTP 409
 * and gRPC Aborted, as daprd does.
 */
export class ETagMismatchError extends Error {
  constructor(readonly key: string) {
    // daprd's words (state.ETagError with no inner error); the key stays a property: its
    // stored form carries the app-id prefix, which is not the caller's business
    super('possible etag mismatch. error from state store');
    this.name = 'ETagMismatchError';
  }
}

/** Thrown when an ETag is syntactically invalid for the store (daprd: 400 / InvalidArgument). */
export class ETagInvalidError extends Error {
  constructor(readonly key: string, detail: string) {
    super(`invalid etag value for key ${key}: ${detail}`);
    this.name = 'ETagInvalidError';
  }
}

/** A scalar a query filter compares with (values must be JSON for querying). */
export type QueryScalar = string | number | boolean | null;

/**
 * Comparisons compare only values of the same JSON type (1 never equals "1"); NEQ is the
 * negation of EQ, so it also matches documents without the field.
 */
export type QueryComparison = 'EQ' | 'NEQ' | 'GT' | 'GTE' | 'LT' | 'LTE';

/** Dapr's state query filter, parsed: paths are the dot-separated field names, split. */
export type QueryFilter =
  | { readonly op: QueryComparison; readonly path: readonly string[]; readonly value: QueryScalar }
  | { readonly op: 'IN'; readonly path: readonly string[]; readonly values: readonly QueryScalar[] }
  | { readonly op: 'AND' | 'OR'; readonly filters: readonly QueryFilter[] };

export interface QuerySort {
  readonly path: readonly string[];
  readonly order: 'ASC' | 'DESC';
}

/** A validated state query (see src/core/state-query.ts for the JSON form). */
export interface StateQuery {
  readonly filter?: QueryFilter;
  readonly sort: readonly QuerySort[];
  /** 0 = no limit */
  readonly limit: number;
  /** rows to skip (decoded page token) */
  readonly offset: number;
}

export interface QueryResult {
  /** full stored keys (with the prefix) */
  readonly items: ReadonlyArray<{ readonly key: string; readonly value: Uint8Array; readonly etag: string }>;
  /** offset of the next page; undefined when this page is the last */
  readonly nextOffset?: number;
}

export interface StateStore {
  readonly kind: 'state';
  /** Dapr feature names reported by the metadata API, e.g. ETAG, TRANSACTIONAL, TTL */
  readonly features: readonly string[];
  get(key: string, opts?: { consistency?: Consistency; metadata?: Readonly<Record<string, string>> }): Promise<StoredValue | undefined>;
  bulkGet(keys: readonly string[]): Promise<Array<StoredValue | undefined>>;
  set(item: StateItem): Promise<void>;
  delete(req: StateDelete): Promise<void>;
  /** all-or-nothing */
  transact(ops: readonly TransactionOp[]): Promise<void>;
  /**
   * The state query API (feature QUERY_API): JSON values among the keys starting with
   * `keyPrefix`. Stores without it leave it out.
   */
  query?(keyPrefix: string, q: StateQuery): Promise<QueryResult>;
  close(): Promise<void>;
}

export interface SecretStore {
  readonly kind: 'secretstores';
  readonly features: readonly string[];
  /** undefined when the secret does not exist */
  get(name: string, metadata?: Readonly<Record<string, string>>): Promise<Record<string, string> | undefined>;
  bulkGet(metadata?: Readonly<Record<string, string>>): Promise<Record<string, Record<string, string>>>;
  close(): Promise<void>;
}

/** A message as a pub/sub component hands it to a subscriber. */
export interface PubSubMessage {
  readonly topic: string;
  /** the bytes as published (a CloudEvent JSON document unless published raw) */
  readonly data: Uint8Array;
  /** what the publisher passed along (trace context for raw payloads, …) */
  readonly metadata: Readonly<Record<string, string>>;
  /** 1 on first delivery, counting up with every redelivery */
  readonly attempt: number;
  /** true when a 'retry' now will not be redelivered (the component's retry budget is spent) */
  readonly lastAttempt: boolean;
}

/**
 * What a subscriber decided: 'success' acks, 'drop' acks without processing, 'retry' asks the
 * component to redeliver (within its retry budget). A handler that throws counts as 'retry'.
 */
export type DeliveryResult = 'success' | 'retry' | 'drop';
export type PubSubHandler = (msg: PubSubMessage) => Promise<DeliveryResult>;

export interface SubscribeOptions {
  /**
   * How many messages the subscription may hand to the handler before the earlier ones are
   * finished (default 1 where the component delivers in order). A bulk subscription sets it
   * to its batch size: its handler only finishes once a whole batch was delivered. A
   * component with a concurrency setting of its own (pubsub.redis) keeps to that instead.
   */
  readonly maxInFlight?: number;
}

/** One live subscription; close() stops new deliveries and waits for the one in flight. */
export interface PubSubSubscription {
  close(): Promise<void>;
}

/**
 * A message broker. Retries belong to the component (a broker such as Redis Streams keeps
 * unacknowledged messages and redelivers them), so each one documents its own retry settings.
 */
export interface PubSub {
  readonly kind: 'pubsub';
  /** Dapr feature names reported by the metadata API, e.g. SUBSCRIBE_WILDCARDS, MESSAGE_TTL */
  readonly features: readonly string[];
  /** resolves once the broker accepted the message */
  publish(topic: string, data: Uint8Array, metadata: Readonly<Record<string, string>>): Promise<void>;
  /** messages published after this resolves reach `handler` */
  subscribe(topic: string, handler: PubSubHandler, metadata?: Readonly<Record<string, string>>, options?: SubscribeOptions): Promise<PubSubSubscription>;
  /** stops every subscription (waiting for deliveries in flight) and releases the broker */
  close(): Promise<void>;
}

/** Thrown by publish/subscribe after close(). */
export class PubSubClosedError extends Error {
  constructor() {
    super('component is closed');
    this.name = 'PubSubClosedError';
  }
}

/** An output binding call (daprd's bindings.InvokeRequest). */
export interface BindingInvokeRequest {
  readonly operation: string;
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
  /** fires when the caller went away or its deadline passed */
  readonly signal?: CallSignal;
}

export interface BindingInvokeResponse {
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * A failed output binding call that still has an answer to show: bindings.http reports the
 * status and headers of a non-2xx reply, and daprd returns that metadata with the error.
 */
export class BindingInvokeError extends Error {
  constructor(message: string, readonly response?: BindingInvokeResponse) {
    super(message);
    this.name = 'BindingInvokeError';
  }
}

/** The output side of a binding component. */
export interface OutputBinding {
  /** the operations `invoke` accepts (daprd refuses any other before calling the component) */
  readonly operations: readonly string[];
  /** undefined = nothing to answer (the HTTP API then replies 204) */
  invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined>;
}

/** One event an input binding read from its source. */
export interface BindingEvent {
  readonly data: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Hands an event to the app; resolves with the app's answer, rejects when the app failed. */
export type BindingEventHandler = (event: BindingEvent) => Promise<Uint8Array>;

/** The input side of a binding component: reads events from its source while started. */
export interface InputBinding {
  start(handler: BindingEventHandler): void;
  /** no new events after this; resolves when the events in flight have been handled */
  stop(): Promise<void>;
}

/**
 * A binding (`bindings.*`). Which sides exist depends on the type and on the component's
 * `direction` metadata, as in daprd; `features` lists them as daprd's metadata API does.
 */
export interface Binding {
  readonly kind: 'bindings';
  /** INPUT_BINDING and/or OUTPUT_BINDING */
  readonly features: readonly string[];
  readonly output?: OutputBinding;
  readonly input?: InputBinding;
  close(): Promise<void>;
}

export type Component = StateStore | SecretStore | PubSub | Binding;

/** What a factory gets besides the spec: nothing here reads process.env. */
export interface ComponentContext {
  readonly appId: string;
  /** directory for durable embedded data ($PILLION_HOME) */
  readonly dataDir: string;
  /** the environment, passed down explicitly (for secretstores.local.env) */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** directory of the YAML file, to resolve relative paths like secretsFile */
  readonly baseDir: string;
  /**
   * Where a component reports what goes wrong in the background, outside any request (a
   * broker connection lost, an unreadable message); unset = nowhere. Never given secrets.
   */
  readonly log?: ComponentLog;
}

export type ComponentLog = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;

/** A factory validates `spec.metadata` and throws ComponentConfigError naming the field. */
export type ComponentFactory = (spec: ComponentSpec, ctx: ComponentContext) => Promise<Component>;

export class ComponentConfigError extends Error {
  constructor(readonly source: string, readonly field: string, detail: string) {
    super(`${source}: ${field}: ${detail}`);
    this.name = 'ComponentConfigError';
  }
}

/**
 * Everything wrong with a set of resource files, reported at once: one line per problem, each
 * starting with `file[:line]: field: ` so the user can fix them all in one pass.
 */
export class ResourcesError extends Error {
  constructor(readonly problems: readonly string[], what = 'component resources') {
    super(
      `invalid ${what} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ResourcesError';
  }
}
