// gRPC adapter of service invocation: Dapr/InvokeService. The InvokeRequest's HTTP extension
// gives verb and query string, `data` the body, `content_type` the Content-Type; incoming
// metadata becomes headers (as daprd relays it). A gRPC app's status is passed through; an
// HTTP app's non-2xx answer becomes a gRPC error carrying the HTTP status and body.
import { STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http2';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { InvokeResponseSchema, type InvokeResponse } from '../../gen/dapr/proto/common/v1/common_pb.js';
import type { InvokeServiceRequest } from '../../gen/dapr/proto/runtime/v1/invoke_pb.js';
import type { CoreContext } from '../../core/context.js';
import { invokeMethod } from '../../core/invoke.js';
import { verbOfExtension } from '../../appchannel/channel.js';
import { GrpcCode } from '../../errors/table.js';
import type { CallContext } from './server.js';
import { GrpcStatusError } from './status.js';
import { parseGrpcTimeout } from './timeout.js';

// HTTP status of an HTTP app → gRPC code for a gRPC caller (the inverse of grpc-gateway's table).
const GRPC_OF_HTTP: Readonly<Record<number, GrpcCode>> = {
  400: GrpcCode.INVALID_ARGUMENT, 401: GrpcCode.UNAUTHENTICATED, 403: GrpcCode.PERMISSION_DENIED, 404: GrpcCode.NOT_FOUND,
  408: GrpcCode.DEADLINE_EXCEEDED, 409: GrpcCode.ABORTED, 429: GrpcCode.RESOURCE_EXHAUSTED, 499: GrpcCode.CANCELLED,
  501: GrpcCode.UNIMPLEMENTED, 503: GrpcCode.UNAVAILABLE, 504: GrpcCode.DEADLINE_EXCEEDED,
};
const MAX_ERROR_BODY = 4096;

export async function invokeService(ctx: CoreContext, req: InvokeServiceRequest, call: CallContext): Promise<InvokeResponse> {
  const msg = req.message;
  const ext = msg?.httpExtension;
  const verb = verbOfExtension(ext);
  const headers = metadataHeaders(call.metadata);
  if (msg?.contentType) headers.push(['content-type', msg.contentType]);
  const res = await invokeMethod(ctx, {
    appId: req.id,
    method: (msg?.method ?? '').replace(/^\/+/, ''),
    verb,
    query: ext?.querystring ?? '',
    headers,
    body: msg?.data?.value ?? new Uint8Array(),
    signal: call.signal,
    timeoutMs: parseGrpcTimeout(call.metadata['grpc-timeout']),
  });
  if (res.grpcStatus) throw new GrpcStatusError(res.grpcStatus.code as GrpcCode, res.grpcStatus.message);
  if (res.status < 200 || res.status > 299) {
    const text = Buffer.from(res.body.subarray(0, MAX_ERROR_BODY)).toString('utf8');
    throw new GrpcStatusError(GRPC_OF_HTTP[res.status] ?? GrpcCode.UNKNOWN, STATUS_CODES[res.status] ?? `HTTP status ${res.status}`, {
      reason: 'ERR_DIRECT_INVOKE',
      domain: 'dapr.io',
      metadata: { 'http.code': String(res.status), 'http.error_message': text },
    });
  }
  const contentType = res.headers.find(([k]) => k === 'content-type')?.[1] ?? '';
  return create(InvokeResponseSchema, { data: create(AnySchema, { value: res.body }), contentType });
}

/** Caller metadata as headers for the app: transport keys (pseudo-headers, grpc-*, the
 * application/grpc content type, te) are not the caller's data. */
function metadataHeaders(md: IncomingHttpHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(md)) {
    if (v === undefined || k.startsWith(':') || k.startsWith('grpc-') || k === 'content-type' || k === 'te') continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, String(one)]);
  }
  return out;
}
