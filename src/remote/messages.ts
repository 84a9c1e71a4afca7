// The pure mappings of remote invocation: an invocation as CallLocal's request message and
// the answer back, and how failures on the way become Dapr errors (daprd's wording).
import { STATUS_CODES } from 'node:http';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { NO_VERB, type AppRequest, type AppResponse } from '../appchannel/channel.js';
import { appGrpcStatus } from '../appchannel/grpc-status-code.js';
import { DaprError, ERRORS, GrpcCode, type ErrorCode } from '../errors/table.js';
import { HTTPExtension_Verb } from '../gen/dapr/proto/common/v1/common_pb.js';
import { APIVersion } from '../gen/dapr/proto/internals/v1/apiversion_pb.js';
import { InternalInvokeRequestSchema, ListStringValueSchema, type InternalInvokeRequest, type InternalInvokeResponse, type ListStringValue } from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { RemoteConnectionError, RemoteStatusError } from './errors.js';
import { APP_GRPC_MESSAGE, APP_GRPC_STATUS } from './internal-call.js';

/** A connection failure that says the resolved address no longer serves the target. */
export const isStale = (err: unknown): boolean => err instanceof RemoteConnectionError && (err.kind === 'unreachable' || err.kind === 'identity');

/** AppRequest → CallLocal's message: headers become metadata, verb and query the HTTP extension. */
export function toInternal(req: AppRequest): InternalInvokeRequest {
  const metadata: Record<string, ListStringValue> = {};
  let contentType = '';
  for (const [k, v] of req.headers) {
    if (k === 'content-type') {
      contentType = v;
      continue;
    }
    (metadata[k] ??= create(ListStringValueSchema, { values: [] })).values.push(v);
  }
  const verb = HTTPExtension_Verb[req.verb.toUpperCase() as keyof typeof HTTPExtension_Verb];
  return create(InternalInvokeRequestSchema, {
    ver: APIVersion.V1,
    metadata,
    message: {
      method: req.method,
      data: create(AnySchema, { value: req.body }),
      contentType,
      httpExtension: req.verb === NO_VERB ? undefined : { verb: typeof verb === 'number' ? verb : HTTPExtension_Verb.POST, querystring: req.query },
    },
  });
}

/** CallLocal's answer → the AppResponse the adapters relay (as if the app were local). */
export function fromInternal(res: InternalInvokeResponse, body: Uint8Array = res.message?.data?.value ?? new Uint8Array()): AppResponse {
  const headers: Array<[string, string]> = [];
  for (const [k, list] of Object.entries(res.headers)) for (const v of list.values) headers.push([k, v]);
  const contentType = res.message?.contentType;
  if (contentType && !headers.some(([k]) => k === 'content-type')) headers.push(['content-type', contentType]);
  const status = res.status?.code || 200;
  const grpc = res.trailers[APP_GRPC_STATUS]?.values[0];
  if (grpc === undefined) return { status, headers, body };
  // a gRPC app's answer: its status, and its own trailers beside it
  const trailers: Array<[string, string]> = [];
  for (const [k, list] of Object.entries(res.trailers)) {
    if (k !== APP_GRPC_STATUS && k !== APP_GRPC_MESSAGE) for (const v of list.values) trailers.push([k, v]);
  }
  const grpcStatus = appGrpcStatus(grpc, res.trailers[APP_GRPC_MESSAGE]?.values[0] ?? '');
  return { status, headers, body, trailers, grpcStatus: grpcStatus.code === 0 ? undefined : grpcStatus };
}

/** A failure on the way to or in the remote sidecar, as a Dapr error for the caller. */
export function remoteFailure(raw: string, err: unknown): Error {
  if (err instanceof RemoteStatusError) {
    // The remote sidecar's own Dapr error (its app unreachable, not ready, timed out): same
    // code and message as if the caller had asked it directly.
    const code = err.reason && err.reason.startsWith('ERR_DIRECT_INVOKE') && err.reason in ERRORS ? (err.reason as ErrorCode) : 'ERR_DIRECT_INVOKE';
    if (err.code === GrpcCode.DEADLINE_EXCEEDED) return new DaprError('ERR_DIRECT_INVOKE_TIMEOUT', err.message.startsWith('failed to invoke') ? err.message : `failed to invoke, id: ${raw}, err: ${err.message}`);
    return new DaprError(code, err.message.startsWith('failed to invoke') || code !== 'ERR_DIRECT_INVOKE' ? err.message : `failed to invoke, id: ${raw}, err: ${err.message}`);
  }
  if (err instanceof RemoteConnectionError) {
    if (err.kind === 'timeout') return new DaprError('ERR_DIRECT_INVOKE_TIMEOUT', `failed to invoke, id: ${raw}, err: ${err.message}`);
    return new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${raw}, err: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export const statusText = (code: number): string => STATUS_CODES[code] ?? '';
