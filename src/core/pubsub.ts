// The publish API, once for both protocols: validate as daprd does (in its order), wrap the
// body in a CloudEvent unless `metadata.rawPayload` says otherwise, check the topic scopes,
// and hand the bytes to the component. Bulk publish publishes every entry and reports the
// ones that failed.
import { create } from '@bufbuild/protobuf';
import { DaprError } from '../errors/table.js';
import type { PubSub } from '../components/types.js';
import {
  BulkPublishResponseSchema,
  type BulkPublishRequest,
  type BulkPublishResponse,
  type PublishEventRequest,
} from '../gen/dapr/proto/runtime/v1/pubsub_pb.js';
import type { CoreContext } from './context.js';
import { CloudEventError, envelopeBytes, traceContext, type TraceContext } from './pubsub-cloudevents.js';
import { topicAllowed, topicRules } from './pubsub-scopes.js';

/** The caller's W3C trace headers (HTTP headers or gRPC metadata), if any. */
export interface IncomingTrace {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** Bulk publish where some entries failed: the HTTP adapter answers with them. */
export class BulkPublishError extends DaprError {
  constructor(message: string, readonly failedEntries: ReadonlyArray<{ readonly entryId: string; readonly error: string }>) {
    super('ERR_PUBSUB_PUBLISH_MESSAGE', message);
  }
}

interface Target {
  readonly pubsub: PubSub;
  readonly name: string;
  readonly topic: string;
  readonly rawPayload: boolean;
}

// Go's strconv.ParseBool, which daprd uses for rawPayload.
const GO_BOOL: Readonly<Record<string, boolean>> = { '1': true, t: true, T: true, TRUE: true, true: true, True: true, '0': false, f: false, F: false, FALSE: false, false: false, False: false };

function metaValue(md: Readonly<Record<string, string>>, key: string): string | undefined {
  const want = key.toLowerCase();
  for (const [k, v] of Object.entries(md)) if (k.toLowerCase() === want && v !== '') return v;
  return undefined;
}

/** `metadata.rawPayload`, strictly: a value that is not a boolean is refused, as in daprd. */
export function rawPayloadOf(name: string, md: Readonly<Record<string, string>>): boolean {
  const v = metaValue(md, 'rawPayload');
  if (v === undefined) return false;
  const b = GO_BOOL[v];
  if (b === undefined) {
    throw new DaprError('ERR_PUBSUB_REQUEST_METADATA', `failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is '${v}'`, md, { resource: name });
  }
  return b;
}

/** `metadata.ttlInSeconds` (or `ttl`) in ms; undefined when absent. `name`: the pub/sub, for the error. */
export function ttlOf(md: Readonly<Record<string, string>>, name = ''): number | undefined {
  const v = metaValue(md, 'ttlInSeconds') ?? metaValue(md, 'ttl');
  if (v === undefined) return undefined;
  const n = /^[0-9]+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new DaprError('ERR_PUBSUB_REQUEST_METADATA', `failed deserializing metadata. Error: ttlInSeconds must be a whole number of seconds higher than zero: actual is '${v}'`, md, { resource: name });
  }
  return n * 1000;
}

function target(ctx: CoreContext, name: string, topic: string, md: Readonly<Record<string, string>>): Target {
  // daprd names the request's metadata in these (its gRPC API drops it for the first and third)
  const subject = { resource: name };
  if (!ctx.components.hasPubSub()) throw new DaprError('ERR_PUBSUB_NOT_CONFIGURED', `pubsub ${name} is not configured`, md, subject);
  if (name === '') throw new DaprError('ERR_PUBSUB_EMPTY', 'pubsub name is empty', md, subject);
  const pubsub = ctx.components.pubsub(name);
  if (!pubsub) throw new DaprError('ERR_PUBSUB_NOT_FOUND', `pubsub ${name} is not found`, md, subject);
  if (topic === '') throw new DaprError('ERR_TOPIC_NAME_EMPTY', `topic is empty in pubsub ${name}`, md, subject);
  const rawPayload = rawPayloadOf(name, md);
  const rules = topicRules(ctx.components.metadataOf(name) ?? {}, ctx.appId);
  if (!topicAllowed(topic, rules, rules.publishing)) {
    const msg = `topic ${topic} is not allowed for app id ${ctx.appId}`;
    throw new DaprError('ERR_PUBSUB_FORBIDDEN', msg, { topic, error: msg }, subject);
  }
  return { pubsub, name, topic, rawPayload };
}

/** The bytes handed to the component, and the metadata that goes with them. */
function message(
  ctx: CoreContext, t: Target, data: Uint8Array, contentType: string, md: Readonly<Record<string, string>>, trace: TraceContext,
): { data: Uint8Array; metadata: Record<string, string> } {
  if (t.rawPayload) {
    // Unwrapped bytes: the trace context travels in the metadata instead (daprd's gRPC does so).
    return { data, metadata: { ...md, traceid: trace.traceParent, traceparent: trace.traceParent, tracestate: trace.traceState } };
  }
  const now = Date.now();
  const ttl = ttlOf(md, t.name);
  // Dapr enforces the TTL itself (an `expiration` the subscriber checks) unless the broker can.
  const expiresAt = ttl !== undefined && !t.pubsub.features.includes('MESSAGE_TTL') ? now + ttl : undefined;
  try {
    const bytes = envelopeBytes({ source: ctx.appId, topic: t.topic, pubsubName: t.name, dataContentType: contentType, data, trace }, md, now, expiresAt);
    return { data: bytes, metadata: { ...md } };
  } catch (err) {
    if (err instanceof CloudEventError) {
      throw new DaprError('ERR_PUBSUB_CLOUD_EVENTS_SER', 'cannot create cloudevent', { appID: ctx.appId, error: err.message }, { resource: t.name });
    }
    throw err;
  }
}

async function send(ctx: CoreContext, t: Target, m: { data: Uint8Array; metadata: Record<string, string> }): Promise<void> {
  try {
    await t.pubsub.publish(t.topic, m.data, m.metadata);
    ctx.pubsubObserver?.egress(t.name, t.topic, true);
  } catch (err) {
    ctx.pubsubObserver?.egress(t.name, t.topic, false);
    const detail = (err as Error)?.message ?? String(err);
    throw new DaprError('ERR_PUBSUB_PUBLISH_MESSAGE', `error when publishing to topic ${t.topic} in pubsub ${t.name}: ${detail}`, { topic: t.topic, error: detail }, { resource: t.name });
  }
}

export async function publishEvent(ctx: CoreContext, req: PublishEventRequest, incoming: IncomingTrace = {}): Promise<void> {
  const t = target(ctx, req.pubsubName, req.topic, req.metadata);
  const trace = traceContext(incoming.traceparent, incoming.tracestate);
  await send(ctx, t, message(ctx, t, req.data, req.dataContentType, req.metadata, trace));
}

export async function bulkPublishEvent(ctx: CoreContext, req: BulkPublishRequest, incoming: IncomingTrace = {}): Promise<BulkPublishResponse> {
  const t = target(ctx, req.pubsubName, req.topic, req.metadata);
  const seen = new Set<string>();
  for (const e of req.entries) {
    if (e.entryId === '' || seen.has(e.entryId)) {
      const error = 'entryId is duplicated or not present for entry';
      throw new DaprError(
        'ERR_PUBSUB_EVENTS_SER',
        `error marshaling events to bytes for topic ${t.topic} pubsub ${t.name}. error: ${error}`,
        { appID: ctx.appId, error },
        { resource: t.name },
      );
    }
    seen.add(e.entryId);
  }
  // Every entry is its own event: own id, own span of the caller's trace. Entry metadata
  // overrides the request's.
  const messages = req.entries.map((e) => {
    const md = { ...req.metadata, ...e.metadata };
    return message(ctx, t, e.event, e.contentType, md, traceContext(incoming.traceparent, incoming.tracestate));
  });
  const failed: Array<{ entryId: string; error: string }> = [];
  await Promise.all(messages.map(async (m, i) => {
    try {
      await send(ctx, t, m);
    } catch (err) {
      failed.push({ entryId: req.entries[i]!.entryId, error: (err as Error).message });
    }
  }));
  if (failed.length > 0) {
    throw new BulkPublishError(`error when publishing to topic ${t.topic} in pubsub ${t.name}: ${failed.length} of ${messages.length} entries failed`, failed);
  }
  return create(BulkPublishResponseSchema, { failedEntries: [] });
}

