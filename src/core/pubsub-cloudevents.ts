// CloudEvents 1.0 envelopes as daprd builds them (components-contrib pubsub/envelope.go):
// the publisher's sidecar wraps the body, the subscriber's sidecar reads it back. Pure
// functions; the envelope is serialised the Go way (keys sorted) so apps see daprd's bytes.
import { randomBytes, randomUUID } from 'node:crypto';
import { goJsonMarshal, goJsonParse } from './go-json.js';
import { rfc3339 } from '../util/go-time.js';

export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json';
export const DEFAULT_EVENT_TYPE = 'com.dapr.event.sent';
export const SPEC_VERSION = '1.0';
const DEFAULT_SOURCE = 'Dapr';
const DEFAULT_DATA_CONTENT_TYPE = 'text/plain';

export type CloudEvent = Record<string, unknown>;

/** `application/json; charset=utf-8` is application/json: compared without parameters. */
export function isContentType(contentType: string, expected: string): boolean {
  const lower = contentType.toLowerCase();
  const semi = lower.indexOf(';');
  return (semi >= 0 ? lower.slice(0, semi) : lower) === expected;
}
export const isJsonContentType = (ct: string): boolean => isContentType(ct, 'application/json');
export const isCloudEventContentType = (ct: string): boolean => isContentType(ct, CLOUDEVENT_CONTENT_TYPE);
export const isBinaryContentType = (ct: string): boolean => isContentType(ct, 'application/octet-stream');
export const isStringContentType = (ct: string): boolean => ct.toLowerCase().startsWith('text/') || isContentType(ct, 'application/xml');

export interface TraceContext {
  readonly traceParent: string;
  readonly traceState: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The W3C trace context the event carries: a new span of the caller's trace when the request
 * had a valid `traceparent`, else a new trace (not sampled, as daprd without tracing config).
 */
export function traceContext(incoming?: string, incomingState?: string): TraceContext {
  const m = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  const span = randomHex(8);
  if (m && m[1] !== 'ff' && !/^0+$/.test(m[2]!)) return { traceParent: `00-${m[2]}-${span}-${m[4]}`, traceState: incomingState ?? '' };
  return { traceParent: `00-${randomHex(16)}-${span}-00`, traceState: '' };
}

const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export interface NewEvent {
  readonly source: string;
  readonly topic: string;
  readonly pubsubName: string;
  readonly dataContentType: string;
  readonly data: Uint8Array;
  readonly trace: TraceContext;
}

/** Thrown when an `application/cloudevents+json` body is not a JSON object. */
export class CloudEventError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'CloudEventError';
  }
}

// `cloudevent.<field>` request metadata overrides these envelope fields (daprd decodes the
// metadata onto its CloudEvent struct case-insensitively).
const OVERRIDABLE = ['id', 'source', 'type', 'subject', 'traceid', 'traceparent', 'tracestate'] as const;

function overrides(metadata: Readonly<Record<string, string>>): Partial<Record<(typeof OVERRIDABLE)[number], string>> {
  const out: Partial<Record<(typeof OVERRIDABLE)[number], string>> = {};
  for (const [k, v] of Object.entries(metadata)) {
    const key = k.toLowerCase();
    if (!key.startsWith('cloudevent.')) continue;
    const field = key.slice('cloudevent.'.length) as (typeof OVERRIDABLE)[number];
    if ((OVERRIDABLE as readonly string[]).includes(field) && v !== '') out[field] = v;
  }
  return out;
}

/**
 * The envelope bytes for a publish. A body that already is a CloudEvent is kept and completed
 * (topic, pubsubname, defaults); anything else becomes `data` (JSON), `data_base64`
 * (application/octet-stream) or a string. `expiresAt` (ms) adds `expiration` (TTL).
 */
export function envelopeBytes(e: NewEvent, metadata: Readonly<Record<string, string>>, now: number, expiresAt?: number): Uint8Array {
  let fields: CloudEvent;
  let rawData: string | undefined;
  if (isCloudEventContentType(e.dataContentType)) {
    fields = fromCloudEvent(e.data, e.topic, e.pubsubName, e.trace, now);
  } else {
    const o = overrides(metadata);
    const trace = o.traceparent ?? o.traceid ?? e.trace.traceParent;
    const contentType = e.dataContentType || DEFAULT_DATA_CONTENT_TYPE;
    fields = {
      id: o.id ?? randomUUID(),
      specversion: SPEC_VERSION,
      datacontenttype: contentType,
      source: o.source ?? (e.source || DEFAULT_SOURCE),
      type: o.type ?? DEFAULT_EVENT_TYPE,
      topic: e.topic,
      pubsubname: e.pubsubName,
      traceid: trace,
      traceparent: trace,
      tracestate: o.tracestate ?? e.trace.traceState,
      time: rfc3339(now),
    };
    if (o.subject) fields.subject = o.subject;
    const text = Buffer.from(e.data).toString('utf8');
    if (isJsonContentType(contentType) && isJsonText(text)) rawData = text.trim();
    else if (isJsonContentType(contentType) || !isBinaryContentType(contentType)) fields.data = text;
    else fields.data_base64 = Buffer.from(e.data).toString('base64');
  }
  if (expiresAt !== undefined) fields.expiration = rfc3339(expiresAt);
  const rest = goJsonMarshal(fields);
  // JSON data goes in as the caller wrote it, so numbers beyond 2^53 keep their digits (daprd
  // decodes with UseNumber for the same reason).
  return Buffer.from(rawData === undefined ? rest : `{"data":${rawData}${rest === '{}' ? '}' : ',' + rest.slice(1)}`);
}

/** JSON as Go's decoder judges it, its nesting limit included (else the data goes as a string). */
function isJsonText(text: string): boolean {
  try {
    goJsonParse(text, true); // contrib's unmarshalPrecise: UseNumber
    return true;
  } catch {
    return false;
  }
}

/** An existing CloudEvent, completed as daprd does (contrib FromCloudEvent). */
export function fromCloudEvent(body: Uint8Array, topic: string, pubsubName: string, trace: TraceContext, now: number): CloudEvent {
  let m: unknown;
  try {
    m = goJsonParse(Buffer.from(body).toString('utf8'), true);
  } catch (err) {
    throw new CloudEventError((err as Error).message);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new CloudEventError('a CloudEvent must be a JSON object');
  const ce = m as CloudEvent;
  if (!('time' in ce)) ce.time = rfc3339(now);
  if (!('traceid' in ce)) {
    ce.traceid = trace.traceParent;
    ce.traceparent = trace.traceParent;
  }
  if (!('tracestate' in ce)) ce.tracestate = trace.traceState;
  ce.topic = topic;
  ce.pubsubname = pubsubName;
  ce.source ??= DEFAULT_SOURCE;
  ce.type ??= DEFAULT_EVENT_TYPE;
  ce.specversion ??= SPEC_VERSION;
  return ce;
}

/** What a subscriber with `rawPayload` sees: the bytes as `data_base64` (contrib FromRawPayload). */
export function fromRawPayload(data: Uint8Array, topic: string, pubsubName: string, metadata: Readonly<Record<string, string>>): CloudEvent {
  const ce: CloudEvent = {
    id: randomUUID(),
    specversion: SPEC_VERSION,
    datacontenttype: 'application/octet-stream',
    source: DEFAULT_SOURCE,
    type: DEFAULT_EVENT_TYPE,
    topic,
    pubsubname: pubsubName,
    data_base64: Buffer.from(data).toString('base64'),
  };
  if (metadata.traceid) ce.traceid = metadata.traceid;
  if (metadata.traceparent) ce.traceid = ce.traceparent = metadata.traceparent;
  if (metadata.tracestate) ce.tracestate = metadata.tracestate;
  return ce;
}

/** True once the event's `expiration` (RFC 3339) has passed; an unreadable one never expires. */
export function hasExpired(ce: CloudEvent, now: number): boolean {
  const e = ce.expiration;
  if (typeof e !== 'string' || e === '') return false;
  const t = Date.parse(e);
  return Number.isFinite(t) && t < now;
}

/** A string field of the event, '' when absent or not a string. */
export function ceString(ce: CloudEvent, field: string): string {
  const v = ce[field];
  return typeof v === 'string' ? v : '';
}
