// What a bulk subscription sends its app, read the way daprd 1.17's bulk handler reads a batch
// (pkg/runtime/subscription/bulksubscription.go): each message becomes an entry with a fresh
// entry id — a CloudEvent (or, with `rawPayload`, the bytes base64-encoded) routed by the
// subscription's rules — and entries are grouped by route, one call per route. Unlike the
// single-event path, daprd's bulk path copies no trace context from the message metadata into
// the event; neither does this. Pure.
import { create, toBinary } from '@bufbuild/protobuf';
import type { PubSubMessage } from '../components/types.js';
import { goJsonMarshal } from '../core/go-json.js';
import { CLOUDEVENT_CONTENT_TYPE, ceString, hasExpired, type CloudEvent } from '../core/pubsub-cloudevents.js';
import {
  TopicEventBulkRequestSchema,
  TopicEventBulkRequestEntrySchema,
  TopicEventCERequestSchema,
} from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { cloudEventFields } from './delivery.js';
import { MatchEvalError } from './match.js';
import { routeFor, type Subscription } from './subscription.js';

export const BULK_EVENT_TYPE = 'com.dapr.event.sent.bulk';
/** the batch metadata daprd adds (and sends as a header / gRPC metadata) */
export const METADATA_KEY_PUBSUB = 'pubsubName';
const RAW_CONTENT_TYPE = 'application/octet-stream';

export interface BulkEntry {
  readonly entryId: string;
  readonly msg: PubSubMessage;
  /** the app route (HTTP path, or the gRPC request's path) */
  readonly path: string;
  /** the event as read; undefined for a rawPayload subscription */
  readonly cloudEvent: CloudEvent | undefined;
}

export type PreparedEntry =
  | { readonly kind: 'deliver'; readonly entry: BulkEntry }
  /** acknowledged without a delivery (and dead-lettered when the subscription has a topic for it) */
  | { readonly kind: 'skip'; readonly reason: 'expired' | 'no-route'; readonly detail: string }
  /** cannot be delivered: retried, or dead-lettered at once when there is a dead-letter topic */
  | { readonly kind: 'invalid'; readonly detail: string };

/** The route for a raw payload: daprd evaluates the rules with `event` being the payload as a string. */
function routeForRaw(sub: Subscription, payload: string): string | undefined {
  for (const r of sub.rules) if (!r.test || r.test(payload as unknown as Readonly<Record<string, unknown>>)) return r.path;
  return undefined;
}

/** One message of a batch; `raw` is the subscription's (already valid) rawPayload setting. */
export function prepareEntry(msg: PubSubMessage, sub: Subscription, raw: boolean, entryId: string, now: number): PreparedEntry {
  const where = `pubsub ${sub.pubsubName} and topic ${msg.topic}`;
  let ce: CloudEvent | undefined;
  if (!raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(msg.data).toString('utf8'));
    } catch (err) {
      return { kind: 'invalid', detail: `error deserializing one of the messages in bulk cloud event in ${where}: ${(err as Error).message}` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { kind: 'invalid', detail: `error deserializing one of the messages in bulk cloud event in ${where}: not a JSON object` };
    }
    ce = parsed as CloudEvent;
    if (hasExpired(ce, now)) {
      return { kind: 'skip', reason: 'expired', detail: `dropping expired pub/sub event ${ceString(ce, 'id')} as of ${ceString(ce, 'expiration')}` };
    }
  }
  let path: string | undefined;
  try {
    path = ce ? routeFor(sub, ce) : routeForRaw(sub, Buffer.from(msg.data).toString('utf8'));
  } catch (err) {
    if (!(err instanceof MatchEvalError)) throw err;
    return { kind: 'invalid', detail: `error finding matching route for event in bulk subscribe ${sub.pubsubName} and topic ${msg.topic} for entry id ${entryId}: ${err.message}` };
  }
  if (path === undefined) return { kind: 'skip', reason: 'no-route', detail: `no matching route for event in ${where}; skipping` };
  return { kind: 'deliver', entry: { entryId, msg, path, cloudEvent: ce } };
}

/** Entries by route, routes in the order their first entry came (one app call each). */
export function groupByPath(entries: readonly BulkEntry[]): Array<[string, BulkEntry[]]> {
  const groups = new Map<string, BulkEntry[]>();
  for (const e of entries) {
    const g = groups.get(e.path);
    if (g) g.push(e);
    else groups.set(e.path, [e]);
  }
  return [...groups];
}

export interface BulkCall {
  /** a fresh UUID per call */
  readonly id: string;
  readonly pubsubName: string;
  readonly topic: string;
  readonly path: string;
  readonly entries: readonly BulkEntry[];
}

/** The batch metadata: daprd's bulk subscriber starts from none and adds the pubsub name. */
export const batchMetadata = (pubsubName: string): Record<string, string> => ({ [METADATA_KEY_PUBSUB]: pubsubName });

/**
 * The JSON body of the HTTP call, byte for byte as daprd writes it: the envelope is a Go map
 * (keys sorted), each entry a Go struct (fields in declaration order, contentType omitted
 * when empty), the event the CloudEvent as decoded and re-encoded (keys sorted, numbers as
 * float64) or, for a raw payload, the bytes in base64.
 */
export function bulkHttpBody(call: BulkCall): Uint8Array {
  const entries = call.entries.map((e) => {
    const event = e.cloudEvent ? goJsonMarshal(e.cloudEvent) : goJsonMarshal(Buffer.from(e.msg.data).toString('base64'));
    const contentType = e.cloudEvent ? CLOUDEVENT_CONTENT_TYPE : RAW_CONTENT_TYPE;
    return `{"entryId":${goJsonMarshal(e.entryId)},"event":${event},"metadata":${goJsonMarshal(e.msg.metadata)},"contentType":${goJsonMarshal(contentType)}}`;
  });
  return Buffer.from(
    `{"entries":[${entries.join(',')}],"id":${goJsonMarshal(call.id)},"metadata":${goJsonMarshal(batchMetadata(call.pubsubName))},` +
    `"pubsubname":${goJsonMarshal(call.pubsubName)},"topic":${goJsonMarshal(call.topic)},"type":${goJsonMarshal(BULK_EVENT_TYPE)}}`,
  );
}

/**
 * The TopicEventBulkRequest of the gRPC call. daprd fills each entry's content_type from the
 * broker's message, which pubsub.in-memory and pubsub.redis never set: it is empty, as there.
 */
export function bulkGrpcRequest(call: BulkCall): Uint8Array {
  return toBinary(TopicEventBulkRequestSchema, create(TopicEventBulkRequestSchema, {
    id: call.id,
    entries: call.entries.map((e) => create(TopicEventBulkRequestEntrySchema, {
      entryId: e.entryId,
      event: e.cloudEvent
        ? { case: 'cloudEvent', value: create(TopicEventCERequestSchema, cloudEventFields(e.cloudEvent)) }
        : { case: 'bytes', value: e.msg.data },
      contentType: '',
      metadata: { ...e.msg.metadata },
    })),
    metadata: batchMetadata(call.pubsubName),
    topic: call.topic,
    pubsubName: call.pubsubName,
    type: BULK_EVENT_TYPE,
    path: call.path,
  }));
}
