// What CallLocal and CallLocalStream share on the callee side: the calling sidecar's identity
// (from its mTLS certificate — never from a header), the call for the own app built from the
// request head, and the answer's head built from the app's status and headers.
import { STATUS_CODES } from 'node:http';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import type { CallContext } from '../api/grpc/server.js';
import { parseGrpcTimeout } from '../api/grpc/timeout.js';
import { verbOfExtension, type HeaderPairs } from '../appchannel/channel.js';
import type { CoreContext } from '../core/context.js';
import type { Caller, InvokeCall } from '../core/invoke.js';
import { DaprError } from '../errors/table.js';
import {
  InternalInvokeResponseSchema, ListStringValueSchema,
  type InternalInvokeRequest, type InternalInvokeResponse, type ListStringValue,
} from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import type { SidecarIdentity } from './spiffe.js';

/** Trailer keys carrying a gRPC app's status through CallLocal (Pillion's convention; present
 * on every answer of a gRPC app, "0" when it succeeded, next to the app's own trailers). */
export const APP_GRPC_STATUS = 'grpc-status';
export const APP_GRPC_MESSAGE = 'grpc-message';

const EMPTY = new Uint8Array();

/** The calling sidecar's app, as its certificate proves it. */
export function callerOf(call: CallContext): Caller {
  const id = call.peerIdentity as SidecarIdentity | undefined;
  if (!id) throw new DaprError('ERR_DIRECT_INVOKE', 'failed to invoke: the calling sidecar has no identity');
  return { appId: id.appId, namespace: id.namespace };
}

/** The request head as a call of the own app: metadata become headers (the invocation core
 * filters them again: tokens, identities and connection-scoped names never pass). */
export function incomingCall(ctx: CoreContext, req: InternalInvokeRequest, call: CallContext, body: Uint8Array = req.message?.data?.value ?? EMPTY): InvokeCall {
  const msg = req.message;
  const ext = msg?.httpExtension;
  const headers: Array<[string, string]> = [];
  for (const [k, list] of Object.entries(req.metadata)) {
    const name = k.toLowerCase();
    if (name.startsWith(':') || name.startsWith('grpc-') || name === 'content-type') continue;
    for (const v of list.values) headers.push([name, v]);
  }
  if (msg?.contentType) headers.push(['content-type', msg.contentType]);
  return {
    appId: ctx.appId,
    method: (msg?.method ?? '').replace(/^\/+/, ''),
    verb: verbOfExtension(ext),
    query: ext?.querystring ?? '',
    headers,
    body,
    signal: call.signal,
    timeoutMs: parseGrpcTimeout(call.metadata['grpc-timeout']),
  };
}

export interface AnswerHead {
  readonly status: number;
  readonly headers: HeaderPairs;
  readonly grpcStatus?: { readonly code: number; readonly message: string };
  /** a gRPC app's trailer metadata (AppResponse.trailers) */
  readonly trailers?: HeaderPairs;
}

/** The app's answer as an InternalInvokeResponse; `length`: a known body length, sent as the
 * content-length header (daprd relays the app's Content-Length the same way). */
export function responseOf(res: AnswerHead, body: Uint8Array = EMPTY, length?: number): InternalInvokeResponse {
  const out: Record<string, ListStringValue> = {};
  let contentType = '';
  for (const [k, v] of res.headers) {
    if (k === 'content-type') contentType = v;
    (out[k] ??= create(ListStringValueSchema, { values: [] })).values.push(v);
  }
  if (length !== undefined) out['content-length'] = create(ListStringValueSchema, { values: [String(length)] });
  const trailers: Record<string, ListStringValue> = {};
  for (const [k, v] of res.trailers ?? []) (trailers[k] ??= create(ListStringValueSchema, { values: [] })).values.push(v);
  if (res.grpcStatus || res.trailers) {
    trailers[APP_GRPC_STATUS] = create(ListStringValueSchema, { values: [String(res.grpcStatus?.code ?? 0)] });
    trailers[APP_GRPC_MESSAGE] = create(ListStringValueSchema, { values: [res.grpcStatus?.message ?? ''] });
  }
  return create(InternalInvokeResponseSchema, {
    status: { code: res.status, message: STATUS_CODES[res.status] ?? '' },
    headers: out,
    trailers,
    message: { data: create(AnySchema, { value: body }), contentType },
  });
}
