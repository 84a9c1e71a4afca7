// A message from a component, read the way daprd's subscription reads it: the CloudEvent
// (or, for a `rawPayload` subscription, a CloudEvent made around the bytes), the trace
// context from the metadata when the event has none, expiry, and the route. Pure.
import { goJsonMarshal } from '../core/go-json.js';
import { fromRawPayload, hasExpired, type CloudEvent } from '../core/pubsub-cloudevents.js';
import type { PubSubMessage } from '../components/types.js';
import { MatchEvalError } from './match.js';
import { routeFor, type Subscription } from './subscription.js';

export type Inbound =
  | { readonly kind: 'deliver'; readonly cloudEvent: CloudEvent; readonly body: Uint8Array; readonly route: string }
  /** nothing to deliver: the event expired, or no routing rule matched */
  | { readonly kind: 'skip'; readonly cloudEvent: CloudEvent; readonly reason: 'expired' | 'no-route' }
  /** unreadable: not a CloudEvent, bad subscription metadata, or a match rule that failed to evaluate */
  | { readonly kind: 'invalid'; readonly reason: string };

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The subscription's `rawPayload` metadata as Go's strconv.ParseBool reads it; a string is the problem. */
export function rawPayloadSetting(md: Readonly<Record<string, string>>): boolean | string {
  const v = Object.entries(md).find(([k]) => k.toLowerCase() === 'rawpayload')?.[1];
  if (v === undefined || v === '') return false;
  if (GO_TRUE.has(v)) return true;
  if (GO_FALSE.has(v)) return false;
  return `rawPayload value must be a valid boolean: actual is '${v}'`;
}

export function readInbound(msg: PubSubMessage, sub: Subscription, now: number): Inbound {
  const raw = rawPayloadSetting(sub.metadata);
  if (typeof raw === 'string') return { kind: 'invalid', reason: `error deserializing pubsub metadata: ${raw}` };
  let ce: CloudEvent;
  let body: Uint8Array;
  if (raw) {
    ce = fromRawPayload(msg.data, msg.topic, sub.pubsubName, msg.metadata);
    body = Buffer.from(goJsonMarshal(ce));
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(msg.data).toString('utf8'));
    } catch (err) {
      return { kind: 'invalid', reason: `error deserializing cloud event in pubsub ${sub.pubsubName} and topic ${msg.topic}: ${(err as Error).message}` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { kind: 'invalid', reason: `error deserializing cloud event in pubsub ${sub.pubsubName} and topic ${msg.topic}: not a JSON object` };
    }
    ce = parsed as CloudEvent;
    // The app gets the bytes as published; the trace context below is for routing and headers.
    body = msg.data;
    const md = msg.metadata;
    if (!('traceid' in ce) && md.traceid) ce.traceid = md.traceid;
    if (!('traceparent' in ce) && md.traceparent) ce.traceparent = ce.traceid = md.traceparent;
    if (!('tracestate' in ce) && md.tracestate) ce.tracestate = md.tracestate;
  }
  if (hasExpired(ce, now)) return { kind: 'skip', cloudEvent: ce, reason: 'expired' };
  let route: string | undefined;
  try {
    route = routeFor(sub, ce);
  } catch (err) {
    // daprd: a rule that fails to evaluate routes nowhere; the event is retried or dead-lettered.
    if (!(err instanceof MatchEvalError)) throw err;
    return { kind: 'invalid', reason: `error finding matching route for event ${String(ce.id)} in pubsub ${sub.pubsubName} and topic ${msg.topic}: ${err.message}` };
  }
  if (route === undefined) return { kind: 'skip', cloudEvent: ce, reason: 'no-route' };
  return { kind: 'deliver', cloudEvent: ce, body, route };
}
