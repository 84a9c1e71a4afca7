// Error → gRPC status trailers. Every gRPC error leaves through toGrpcTrailers, built from the
// one error table (DaprError) or from a plain transport-level status (GrpcStatusError).
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { BadRequestSchema, ErrorInfoSchema, HelpSchema, ResourceInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../gen/google/rpc/status_pb.js';
import { errorDetails, type ErrorDetail } from '../../errors/details.js';
import { asDaprError, DaprError, GrpcCode } from '../../errors/table.js';

/** A transport-level gRPC status that has no Dapr error code (framing, unknown method…). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: GrpcCode,
    message: string,
    readonly details?: { reason: string; domain: string; metadata: Record<string, string> },
  ) {
    super(message);
    this.name = 'GrpcStatusError';
  }
}

export type GrpcTrailers = Record<string, string | string[]>;

/**
 * grpc-message is percent-encoded. The gRPC spec lets space and printable ASCII except '%'
 * go as is; everything else is sent as %XX of its UTF-8 bytes. A space at either end is
 * encoded too: HTTP/2 forbids leading and trailing whitespace in a field value, and Node's
 * HTTP/2 (nghttp2) drops such a header, so a client would see an empty message. Decoders
 * decode any %XX, so "%20" reads back as the space. Pure.
 */
export function encodeGrpcMessage(msg: string): string {
  const body = msg.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''),
  );
  return body.replace(/^ | $/g, '%20');
}

/** One detail as a google.protobuf.Any (type.googleapis.com/google.rpc.<kind>). */
function pack(d: ErrorDetail): Any {
  switch (d.kind) {
    case 'ErrorInfo':
      return anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: d.reason, domain: d.domain, metadata: { ...(d.metadata ?? {}) } }));
    case 'ResourceInfo':
      return anyPack(ResourceInfoSchema, create(ResourceInfoSchema, { resourceType: d.resourceType, resourceName: d.resourceName, owner: d.owner, description: d.description }));
    case 'Help':
      return anyPack(HelpSchema, create(HelpSchema, { links: d.links.map((l) => ({ ...l })) }));
    case 'BadRequest':
      return anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: d.fieldViolations.map((v) => ({ ...v })) }));
  }
}

function detailsBin(code: number, message: string, details: readonly ErrorDetail[]): string {
  const status = create(StatusSchema, { code, message, details: details.map(pack) });
  return Buffer.from(toBinary(StatusSchema, status)).toString('base64').replace(/=+$/, '');
}

export function toGrpcTrailers(err: unknown): GrpcTrailers {
  if (err instanceof GrpcStatusError) {
    const t: GrpcTrailers = { 'grpc-status': String(err.code), 'grpc-message': encodeGrpcMessage(err.message) };
    if (err.details) t['grpc-status-details-bin'] = detailsBin(err.code, err.message, [{ kind: 'ErrorInfo', ...err.details }]);
    return t;
  }
  const e: DaprError = asDaprError(err);
  return {
    'grpc-status': String(e.grpc),
    'grpc-message': encodeGrpcMessage(e.message),
    'grpc-status-details-bin': detailsBin(e.grpc, e.message, errorDetails(e, 'grpc')),
  };
}
