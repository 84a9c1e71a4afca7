// Input binding events to the own app, as daprd sends them:
//   HTTP app: `OPTIONS /<route>` first (2xx or 405 = the app takes this binding), then each
//             event as `POST /<route>`, body = the event's data, content-type
//             application/json, the event's metadata as headers; a non-2xx answer fails it.
//   gRPC app: AppCallback/ListInputBindings once (the names the app takes), then each event as
//             AppCallback/OnBindingEvent; a non-OK status fails it.
// Every call carries the app token (APP_API_TOKEN) under its header; nothing else of the
// sidecar's credentials. The caller passes the channel; this file never builds one.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import {
  BindingEventRequestSchema,
  BindingEventResponseSchema,
  ListInputBindingsResponseSchema,
  type BindingEventResponse,
} from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import type { BindingEvent } from '../components/types.js';
import { AppChannelError, type AppChannel } from './channel.js';

const LIST_INPUT_BINDINGS = '/dapr.proto.runtime.v1.AppCallback/ListInputBindings';
const ON_BINDING_EVENT = '/dapr.proto.runtime.v1.AppCallback/OnBindingEvent';
// Headers the channel (or HTTP itself) owns: event metadata never sets them.
const RESERVED = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'expect']);

export interface AppCredentials {
  /** the current app token, if any */
  readonly token: string | undefined;
  /** lower-case header name that carries it */
  readonly header: string;
}

export interface DeliveryLimits {
  readonly signal?: AbortSignal;
}

/** The app answered with a non-OK gRPC status. */
export class AppGrpcStatusError extends Error {
  constructor(readonly code: number, readonly grpcMessage: string) {
    super(`the app answered gRPC status ${code}${grpcMessage ? `: ${grpcMessage}` : ''}`);
    this.name = 'AppGrpcStatusError';
  }
}

/** One unary AppCallback call through the channel (its concurrency limit and timeout apply). */
async function appUnary(channel: AppChannel, path: string, message: Uint8Array, cred: AppCredentials, limits: DeliveryLimits): Promise<Uint8Array> {
  if (!channel.unary) throw new AppChannelError('failed', 'the app channel is not gRPC');
  const r = await channel.unary({ path, message, metadata: tokenPairs(cred), signal: limits.signal });
  if (r.code !== 0) throw new AppGrpcStatusError(r.code, r.statusMessage);
  return r.message!;
}

function tokenPairs(cred: AppCredentials): Array<[string, string]> {
  return cred.token ? [[cred.header, cred.token]] : [];
}

/** Event metadata as lower-case header pairs; pairs HTTP cannot carry, the reserved ones and
 * the app token's header are left out (the token is set by the sidecar alone). */
export function eventHeaders(metadata: Readonly<Record<string, string>>, tokenHeader: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(metadata)) {
    const name = k.toLowerCase();
    if (RESERVED.has(name) || name === tokenHeader || name.startsWith(':')) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, v);
    } catch {
      continue;
    }
    out.push([name, v]);
  }
  return out;
}

/** HTTP app: does it answer OPTIONS /<route> with 2xx or 405? (daprd's subscription check) */
export async function httpAppTakesBinding(channel: AppChannel, route: string, cred: AppCredentials, signal?: AbortSignal): Promise<boolean> {
  const res = await channel.invoke({
    verb: 'OPTIONS',
    method: route.replace(/^\/+/, ''),
    query: '',
    headers: [['content-type', 'application/json'], ...tokenPairs(cred)],
    body: new Uint8Array(),
    signal,
  });
  return Math.floor(res.status / 100) === 2 || res.status === 405;
}

/** gRPC app: the binding names ListInputBindings returns. */
export async function grpcAppInputBindings(channel: AppChannel, cred: AppCredentials, limits: DeliveryLimits): Promise<string[]> {
  const bytes = await appUnary(channel, LIST_INPUT_BINDINGS, toBinary(EmptySchema, create(EmptySchema)), cred, limits);
  return fromBinary(ListInputBindingsResponseSchema, bytes).bindings;
}

/** HTTP app: POST /<route>; resolves with the app's answer body, rejects on a non-2xx answer. */
export async function postBindingEvent(channel: AppChannel, route: string, event: BindingEvent, cred: AppCredentials, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await channel.invoke({
    verb: 'POST',
    method: route.replace(/^\/+/, ''),
    query: '',
    headers: [...eventHeaders(event.metadata, cred.header), ['content-type', 'application/json'], ...tokenPairs(cred)],
    body: event.data,
    signal,
  });
  if (res.status < 200 || res.status > 299) {
    const text = Buffer.from(res.body.subarray(0, 512)).toString('utf8');
    throw new Error(`fails to send binding event to http app channel, status code: ${res.status} body: ${text}`);
  }
  return res.body;
}

/** gRPC app: OnBindingEvent; resolves with the app's answer, rejects on a non-OK status. */
export async function sendBindingEvent(channel: AppChannel, name: string, event: BindingEvent, cred: AppCredentials, limits: DeliveryLimits): Promise<BindingEventResponse> {
  const message = toBinary(BindingEventRequestSchema, create(BindingEventRequestSchema, { name, data: event.data, metadata: { ...event.metadata } }));
  const bytes = await appUnary(channel, ON_BINDING_EVENT, message, cred, limits);
  return fromBinary(BindingEventResponseSchema, bytes);
}
