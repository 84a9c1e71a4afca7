// The one table of Dapr API errors. Every error response on either protocol is built from an
// entry here: error code (as in Dapr's API reference), HTTP status and gRPC status code.
// Adapters call toHttp / toGrpc (see api/http/errors.ts, api/grpc/errors.ts); nothing else
// writes error responses.

/** gRPC status codes used by Dapr (numeric, as on the wire). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/**
 * The "rich" shape daprd 1.17 gives an error it builds with dapr/kit's error builder
 * (pkg/api/errors): details on both protocols, in this order — a Help link or a BadRequest
 * field violation (state), a ResourceInfo, then an ErrorInfo. Entries without `kit` are
 * built the legacy way in daprd: plain `{errorCode, message}` over HTTP.
 */
export interface KitShape {
  /** ErrorInfo.reason: the GrpcCode column of daprd's pkg/messages/errorcodes */
  readonly reason: string;
  /**
   * ResourceInfo.resource_type; resource_name is the DaprError's `resource`. Pub/sub errors
   * describe it with the message, state errors leave the description empty (as daprd).
   */
  readonly resource?: 'state' | 'pubsub';
  /** daprd's gRPC call site passes no metadata (HTTP passes the request's / the app id) */
  readonly grpcMetadata?: false;
  /** a google.rpc.Help link before the other details */
  readonly help?: { readonly url: string; readonly description: string };
  /** a google.rpc.BadRequest field violation (field = DaprError's `field`, description = message) */
  readonly fieldViolation?: true;
}

interface Entry {
  readonly http: number;
  readonly grpc: GrpcCode;
  /** the errorCode on the wire when it differs from the entry's name (same code, other status) */
  readonly wire?: string;
  /** set where daprd builds this error with dapr/kit (see KitShape) */
  readonly kit?: KitShape;
}

const STATE_STORES_DOC = {
  url: 'https://docs.dapr.io/reference/components-reference/supported-state-stores/',
  description: 'Check the list of state stores and the features they support',
} as const;

export const ERRORS = {
  ERR_HEALTH_NOT_READY: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_HEALTH_APPID_NOT_MATCH: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_OUTBOUND_HEALTH_NOT_READY: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_MALFORMED_REQUEST: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT },
  ERR_BODY_READ: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT },
  ERR_BODY_TOO_LARGE: { http: 413, grpc: GrpcCode.RESOURCE_EXHAUSTED },
  ERR_INTERNAL: { http: 500, grpc: GrpcCode.INTERNAL },

  /** metadata `{appID}` over HTTP, except on query (daprd's universal API passes no app id) */
  ERR_STATE_STORE_NOT_FOUND: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_STATE_NOT_FOUND', grpcMetadata: false } },
  ERR_STATE_STORE_NOT_CONFIGURED: { http: 500, grpc: GrpcCode.FAILED_PRECONDITION, kit: { reason: 'DAPR_STATE_NOT_CONFIGURED', grpcMetadata: false } },
  /** transaction on a store without transactions */
  ERR_STATE_STORE_NOT_SUPPORTED: {
    http: 500, grpc: GrpcCode.UNIMPLEMENTED,
    kit: { reason: 'DAPR_STATE_TRANSACTIONS_NOT_SUPPORTED', resource: 'state', help: STATE_STORES_DOC },
  },
  /** a key containing `||` (daprd's HTTP API: kit-built, with a field violation) */
  ERR_STATE_ILLEGAL_KEY: {
    http: 400, grpc: GrpcCode.INVALID_ARGUMENT, wire: 'ERR_MALFORMED_REQUEST',
    kit: { reason: 'DAPR_STATE_ILLEGAL_KEY', resource: 'state', fieldViolation: true },
  },
  ERR_STATE_GET: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_STATE_BULK_GET: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_STATE_SAVE: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_STATE_DELETE: { http: 500, grpc: GrpcCode.INTERNAL },
  ERR_STATE_TRANSACTION: { http: 500, grpc: GrpcCode.INTERNAL },
  /** ETag mismatch (Dapr keeps the operation's code but answers 409 / Aborted). */
  ERR_STATE_SAVE_ETAG_MISMATCH: { http: 409, grpc: GrpcCode.ABORTED, wire: 'ERR_STATE_SAVE' },
  ERR_STATE_DELETE_ETAG_MISMATCH: { http: 409, grpc: GrpcCode.ABORTED, wire: 'ERR_STATE_DELETE' },
  /** ETag the store cannot parse (Dapr answers 400 / InvalidArgument). */
  ERR_STATE_SAVE_ETAG_INVALID: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT, wire: 'ERR_STATE_SAVE' },
  ERR_STATE_DELETE_ETAG_INVALID: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT, wire: 'ERR_STATE_DELETE' },
  ERR_STATE_QUERY: { http: 500, grpc: GrpcCode.INTERNAL, kit: { reason: 'DAPR_STATE_QUERY_FAILED', resource: 'state' } },
  /** query on a store without the query API (daprd: ERR_STATE_STORE_NOT_SUPPORTED, 500 / Internal) */
  ERR_STATE_QUERY_UNSUPPORTED: {
    http: 500, grpc: GrpcCode.INTERNAL, wire: 'ERR_STATE_STORE_NOT_SUPPORTED',
    kit: { reason: 'DAPR_STATE_QUERYING_NOT_SUPPORTED', resource: 'state' },
  },
  ERR_NOT_SUPPORTED_STATE_OPERATION: { http: 400, grpc: GrpcCode.UNIMPLEMENTED },

  ERR_SECRET_STORES_NOT_CONFIGURED: { http: 500, grpc: GrpcCode.FAILED_PRECONDITION },
  /** 401 is a Dapr quirk kept for compatibility (gRPC InvalidArgument). */
  ERR_SECRET_STORE_NOT_FOUND: { http: 401, grpc: GrpcCode.INVALID_ARGUMENT },
  ERR_SECRET_GET: { http: 500, grpc: GrpcCode.INTERNAL },

  /** a valid API token whose JWT `scope` claim does not include the called API */
  ERR_PERMISSION_DENIED: { http: 403, grpc: GrpcCode.PERMISSION_DENIED },

  /** no target app id: daprd's answer for every path no API route matches */
  ERR_DIRECT_INVOKE_NO_APP_ID: { http: 404, grpc: GrpcCode.NOT_FOUND, wire: 'ERR_DIRECT_INVOKE' },
  /** invocation failed: unknown target app, no app channel, app unreachable or broken answer */
  ERR_DIRECT_INVOKE: { http: 500, grpc: GrpcCode.INTERNAL },
  /** the app port has not accepted a connection yet (start-up) */
  ERR_DIRECT_INVOKE_NOT_READY: { http: 500, grpc: GrpcCode.INTERNAL },
  /** the app did not answer within --app-call-timeout or the caller's deadline */
  ERR_DIRECT_INVOKE_TIMEOUT: { http: 504, grpc: GrpcCode.DEADLINE_EXCEEDED, wire: 'ERR_DIRECT_INVOKE' },

  // Pub/sub: statuses and kit details as daprd 1.17 answers them (pkg/api/errors/pubsub.go),
  // quirks included. Metadata: the request's metadata where daprd passes it (HTTP: the
  // `metadata.*` query parameters), else what the throwing site names.
  /** no pub/sub with that name (daprd: 404 with gRPC InvalidArgument) */
  ERR_PUBSUB_NOT_FOUND: { http: 404, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_PUBSUB_NOT_FOUND', grpcMetadata: false } },
  /** no pub/sub component at all for this app */
  ERR_PUBSUB_NOT_CONFIGURED: { http: 400, grpc: GrpcCode.FAILED_PRECONDITION, kit: { reason: 'DAPR_PUBSUB_NOT_CONFIGURED', grpcMetadata: false } },
  ERR_PUBSUB_EMPTY: { http: 404, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_PUBSUB_NAME_EMPTY', resource: 'pubsub' } },
  ERR_TOPIC_NAME_EMPTY: { http: 404, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_PUBSUB_TOPIC_NAME_EMPTY', resource: 'pubsub' } },
  ERR_PUBSUB_FORBIDDEN: { http: 403, grpc: GrpcCode.PERMISSION_DENIED, kit: { reason: 'DAPR_PUBSUB_FORBIDDEN', resource: 'pubsub' } },
  ERR_PUBSUB_PUBLISH_MESSAGE: { http: 500, grpc: GrpcCode.INTERNAL, kit: { reason: 'DAPR_PUBSUB_PUBLISH_MESSAGE', resource: 'pubsub' } },
  ERR_PUBSUB_REQUEST_METADATA: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_PUBSUB_METADATA_DESERIALIZATION', resource: 'pubsub' } },
  /** a body sent as application/cloudevents+json that is not a JSON object */
  ERR_PUBSUB_CLOUD_EVENTS_SER: { http: 500, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_PUBSUB_CLOUD_EVENT_CREATION', resource: 'pubsub' } },
  /** bulk publish: an entry without / with a duplicate entryId */
  ERR_PUBSUB_EVENTS_SER: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT, kit: { reason: 'DAPR_PUBSUB_MARSHAL_EVENTS', resource: 'pubsub' } },
  /** bulk publish over HTTP: the body is not a JSON array of entries */
  ERR_PUBSUB_UNMARSHAL_EVENTS: {
    http: 400, grpc: GrpcCode.INVALID_ARGUMENT, wire: 'ERR_PUBSUB_EVENTS_SER',
    kit: { reason: 'DAPR_PUBSUB_UNMARSHAL_EVENTS', resource: 'pubsub' },
  },
  /** bulk publish over HTTP: an entry's event cannot be turned into bytes for its contentType */
  ERR_PUBSUB_MARSHAL_ENVELOPE: {
    http: 400, grpc: GrpcCode.INVALID_ARGUMENT, wire: 'ERR_PUBSUB_EVENTS_SER',
    kit: { reason: 'DAPR_PUBSUB_MARSHAL_ENVELOPE', resource: 'pubsub' },
  },

  // Bindings: daprd answers every output binding failure (unknown binding, missing or
  // unsupported operation, the component failed) with one code, 500 / Internal.
  ERR_INVOKE_OUTPUT_BINDING: { http: 500, grpc: GrpcCode.INTERNAL },
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof ERRORS;

/** What a kit-shaped error names besides its metadata (see KitShape). */
export interface ErrorSubject {
  /** ResourceInfo.resource_name: the state store or pub/sub */
  readonly resource?: string;
  /** BadRequest field violation: the offending field (a state key) */
  readonly field?: string;
}

/** A Dapr API error: the code picks status on both protocols from the table above. */
export class DaprError extends Error {
  readonly http: number;
  readonly grpc: GrpcCode;
  /** the errorCode clients see */
  readonly wire: string;
  /** daprd's kit shape for this code, when it has one */
  readonly kit: KitShape | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /**
     * ErrorInfo metadata (gRPC always; HTTP `details` for kit-shaped codes, where absent
     * shows as `null` and `{}` as `{}`, as Go's nil and empty maps). Never secrets or tokens.
     */
    readonly metadata?: Readonly<Record<string, string>>,
    readonly subject: ErrorSubject = {},
  ) {
    super(message);
    this.name = 'DaprError';
    const entry: Entry = ERRORS[code];
    this.http = entry.http;
    this.grpc = entry.grpc;
    this.wire = entry.wire ?? code;
    this.kit = entry.kit;
  }
}

/** Wraps anything thrown into a DaprError so adapters never leak stack traces. */
export function asDaprError(err: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): DaprError {
  if (err instanceof DaprError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DaprError(fallback, msg);
}
