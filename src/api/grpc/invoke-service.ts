// gRPC adapter of service invocation: Dapr/InvokeService. The InvokeRequest's HTTP extension
// gives verb and query string, `data` the body, `content_type` the Content-Type; incoming
// metadata becomes headers (as daprd relays it). A gRPC app's status and metadata are passed
// through; an HTTP app's headers come back as metadata and its non-2xx answer becomes a gRPC
// error carrying the HTTP status and body (http-answer.ts).
import type { IncomingHttpHeaders } from 'node:http2';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { InvokeResponseSchema, type InvokeResponse } from '../../gen/dapr/proto/common/v1/common_pb.js';
import type { InvokeServiceRequest } from '../../gen/dapr/proto/runtime/v1/invoke_pb.js';
import type { CoreContext } from '../../core/context.js';
import { invokeMethod } from '../../core/invoke.js';
import { isGrpcAnswer, verbOfExtension } from '../../appchannel/channel.js';
import { httpAnswerMetadata, httpStatusError } from './http-answer.js';
import { GrpcCode } from '../../errors/table.js';
import type { CallContext } from './server.js';
import { GrpcStatusError } from './status.js';
import { parseGrpcTimeout } from './timeout.js';

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
  const contentType = res.headers.find(([k]) => k === 'content-type')?.[1] ?? '';
  if (isGrpcAnswer(res)) {
    // A gRPC app's metadata comes back as it sent it, its status unchanged.
    call.setHeader(res.headers);
    call.setTrailer(res.trailers!);
    if (res.grpcStatus) throw new GrpcStatusError(res.grpcStatus.code as GrpcCode, res.grpcStatus.message);
  } else {
    call.setHeader(httpAnswerMetadata(res.status, res.headers));
    const failure = httpStatusError(res.status, res.body);
    if (failure) throw failure;
  }
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
