// Delivering one event to the own app, with daprd's status semantics:
//   HTTP app — POST <route> with the CloudEvent (application/cloudevents+json). 2xx with an
//   empty/unreadable body or {"status":"SUCCESS"|""} = success; {"status":"RETRY"} = retry;
//   {"status":"DROP"} = drop (warning); another status = retry; 404 = drop (error);
//   any other status = retry.
//   gRPC app — AppCallback/OnTopicEvent. SUCCESS / RETRY / DROP as answered; UNIMPLEMENTED =
//   drop (warning); any other error = retry.
// A failed call (app unreachable, timeout) is a retry. The app token is SET on every call.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { JsonObject } from '@bufbuild/protobuf';
import type { AppChannel } from '../appchannel/channel.js';
import type { DeliveryResult } from '../components/types.js';
import {
  TopicEventRequestSchema,
  TopicEventResponseSchema,
  TopicEventResponse_TopicEventResponseStatus as Status,
  type TopicEventRequest,
} from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { goJsonMarshal } from '../core/go-json.js';
import { CLOUDEVENT_CONTENT_TYPE, ceString, isCloudEventContentType, isJsonContentType, isStringContentType, type CloudEvent } from '../core/pubsub-cloudevents.js';
import { goJsonField } from '../core/go-json.js';
import { goHeaderValue, isHeaderName } from '../util/header-chars.js';

export const ON_TOPIC_EVENT = '/dapr.proto.runtime.v1.AppCallback/OnTopicEvent';

export interface Delivery {
  readonly pubsubName: string;
  readonly topic: string;
  readonly route: string;
  readonly cloudEvent: CloudEvent;
  /** the bytes an HTTP app receives */
  readonly body: Uint8Array;
  /** the message's metadata, passed on as headers / gRPC metadata */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface Outcome {
  readonly result: DeliveryResult;
  /** what happened, for the log line ('' for a plain success) */
  readonly detail: string;
  /** how loudly to log it */
  readonly level: 'debug' | 'warn' | 'error';
}

export interface AppAccess {
  readonly channel: AppChannel;
  readonly token: string | undefined;
  readonly tokenHeader: string;
}

// Never passed from message metadata to the app: connection-scoped headers, what the channel
// sets itself, and anything that could pose as the sidecar's app token.
const NOT_PASSED = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'content-type', 'dapr-api-token', 'authorization', 'traceparent', 'tracestate']);

/** Message metadata as header pairs, plus pubsubname and the trace context, then the token. */
export function deliveryHeaders(d: Delivery, access: Pick<AppAccess, 'token' | 'tokenHeader'>): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(d.metadata)) {
    const name = k.toLowerCase();
    if (NOT_PASSED.has(name) || name === access.tokenHeader || name === 'pubsubname' || !isHeaderName(name)) continue;
    // as daprd's Go client sends it; one node cannot send is left out rather than failing the delivery
    const value = goHeaderValue(v);
    if (value !== undefined) out.push([name, value]);
  }
  out.push(['pubsubname', d.pubsubName]);
  const traceparent = ceString(d.cloudEvent, 'traceparent') || ceString(d.cloudEvent, 'traceid');
  if (traceparent) out.push(['traceparent', traceparent]);
  const tracestate = ceString(d.cloudEvent, 'tracestate');
  if (tracestate) out.push(['tracestate', tracestate]);
  if (access.token) out.push([access.tokenHeader, access.token]);
  return out;
}

const id = (d: Delivery): string => ceString(d.cloudEvent, 'id');

export async function deliverHttp(d: Delivery, access: AppAccess, signal?: AbortSignal): Promise<Outcome> {
  let res;
  try {
    res = await access.channel.invoke({
      verb: 'POST',
      method: d.route.replace(/^\/+/, ''),
      query: '',
      headers: [['content-type', CLOUDEVENT_CONTENT_TYPE], ...deliveryHeaders(d, access)],
      body: d.body,
      signal,
    });
  } catch (err) {
    return { result: 'retry', level: 'warn', detail: `error returned from app channel while sending pub/sub event ${id(d)} to app: ${(err as Error).message}` };
  }
  if (res.status >= 200 && res.status <= 299) {
    let status: unknown;
    try {
      const doc: unknown = JSON.parse(Buffer.from(res.body).toString('utf8'));
      // daprd decodes {"status": string} with Go's encoding/json: the key matched whatever its
      // case, and anything but a string or null there is a decoding error — read as success.
      status = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? goJsonField(doc as Record<string, unknown>, 'status') : undefined;
    } catch {
      return { result: 'success', level: 'debug', detail: '' }; // empty or unreadable body: success, as daprd
    }
    if (typeof status !== 'string' || status === '' || status === 'SUCCESS') return { result: 'success', level: 'debug', detail: '' };
    if (status === 'RETRY') return { result: 'retry', level: 'warn', detail: `RETRY status returned from app while processing pub/sub event ${id(d)}` };
    if (status === 'DROP') return { result: 'drop', level: 'warn', detail: `DROP status returned from app while processing pub/sub event ${id(d)}` };
    return { result: 'retry', level: 'warn', detail: `unknown status returned from app while processing pub/sub event ${id(d)}, status: ${String(status)}` };
  }
  const body = Buffer.from(res.body.subarray(0, 1024)).toString('utf8');
  if (res.status === 404) {
    return { result: 'drop', level: 'error', detail: `non-retriable error returned from app while processing pub/sub event ${id(d)}: ${body}. status code returned: 404` };
  }
  return { result: 'retry', level: 'warn', detail: `retriable error returned from app while processing pub/sub event ${id(d)}, topic: ${d.topic}, body: ${body}. status code returned: ${res.status}` };
}

// Fields that are TopicEventRequest fields of their own; the rest are extensions.
const CE_FIELDS = new Set(['id', 'source', 'datacontenttype', 'type', 'specversion', 'data', 'data_base64']);

/** A CloudEvent's fields as the gRPC messages carry them (TopicEventRequest, and the bulk
 * request's TopicEventCERequest): the data as bytes, everything else as extensions. */
export function cloudEventFields(ce: CloudEvent): { id: string; source: string; type: string; specVersion: string; dataContentType: string; data: Uint8Array; extensions: JsonObject } {
  const contentType = ceString(ce, 'datacontenttype');
  let data: Uint8Array = new Uint8Array();
  if (typeof ce.data_base64 === 'string') data = Buffer.from(ce.data_base64, 'base64');
  else if (ce.data !== undefined && ce.data !== null) {
    if (isStringContentType(contentType)) data = Buffer.from(typeof ce.data === 'string' ? ce.data : goJsonMarshal(ce.data));
    else if (isJsonContentType(contentType) || isCloudEventContentType(contentType)) data = Buffer.from(goJsonMarshal(ce.data));
  }
  const extensions: JsonObject = {};
  for (const [k, v] of Object.entries(ce)) if (!CE_FIELDS.has(k) && v !== undefined) extensions[k] = v as JsonObject[string];
  return {
    id: ceString(ce, 'id'),
    source: ceString(ce, 'source'),
    type: ceString(ce, 'type'),
    specVersion: ceString(ce, 'specversion'),
    dataContentType: contentType,
    data,
    extensions,
  };
}

/** The TopicEventRequest for a gRPC app or a streaming subscriber (daprd's
 * GRPCEnvelopeFromSubscriptionMessage serves both). */
export function topicEventMessage(d: Delivery): TopicEventRequest {
  return create(TopicEventRequestSchema, {
    ...cloudEventFields(d.cloudEvent),
    topic: d.topic,
    pubsubName: d.pubsubName,
    path: d.route,
  });
}

/** The same, encoded (the gRPC app channel sends bytes). */
export function topicEventRequest(d: Delivery): Uint8Array {
  return toBinary(TopicEventRequestSchema, topicEventMessage(d));
}

export const GRPC_UNIMPLEMENTED = 12;

export async function deliverGrpc(d: Delivery, access: AppAccess, signal?: AbortSignal): Promise<Outcome> {
  if (!access.channel.unary) return { result: 'retry', level: 'error', detail: 'the gRPC app channel cannot send topic events' };
  let res;
  try {
    res = await access.channel.unary({ path: ON_TOPIC_EVENT, message: topicEventRequest(d), metadata: deliveryHeaders(d, access), signal });
  } catch (err) {
    return { result: 'retry', level: 'warn', detail: `error returned from app while processing pub/sub event ${id(d)}: ${(err as Error).message}` };
  }
  if (res.code === GRPC_UNIMPLEMENTED) {
    return { result: 'drop', level: 'warn', detail: `non-retriable error returned from app while processing pub/sub event ${id(d)}: ${res.statusMessage}` };
  }
  if (res.code !== 0) {
    return { result: 'retry', level: 'warn', detail: `error returned from app while processing pub/sub event ${id(d)}: code ${res.code}: ${res.statusMessage}` };
  }
  let status: number;
  try {
    status = fromBinary(TopicEventResponseSchema, res.message ?? new Uint8Array()).status;
  } catch (err) {
    return { result: 'retry', level: 'warn', detail: `the app's answer to pub/sub event ${id(d)} is not a TopicEventResponse (${(err as Error).message})` };
  }
  return topicEventOutcome(status, id(d));
}

/** What a TopicEventResponse status means, for a gRPC app and a streaming subscriber alike
 * (an unset status is 0, SUCCESS; an unknown one is retried). */
export function topicEventOutcome(status: number, eventId: string): Outcome {
  if (status === Status.SUCCESS) return { result: 'success', level: 'debug', detail: '' };
  if (status === Status.RETRY) return { result: 'retry', level: 'warn', detail: `RETRY status returned from app while processing pub/sub event ${eventId}` };
  if (status === Status.DROP) return { result: 'drop', level: 'warn', detail: `DROP status returned from app while processing pub/sub event ${eventId}` };
  return { result: 'retry', level: 'warn', detail: `unknown status returned from app while processing pub/sub event ${eventId}, status: ${status}` };
}
