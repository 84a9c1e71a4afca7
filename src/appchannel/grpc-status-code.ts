// Reading the grpc-status a gRPC app sent. The spec's grammar is `1*DIGIT`; anything else is
// a malformed status, which grpc-go (daprd's client) reports as INTERNAL "transport: malformed
// grpc-status" instead of the app's status. Digits naming no code (e.g. 99) become UNKNOWN, as
// grpc-js does, so callers only ever see the 17 codes every gRPC library knows.

const INTERNAL = 13;
const UNKNOWN = 2;
/** UNAUTHENTICATED, the highest code gRPC defines */
const MAX_CODE = 16;

export interface AppGrpcStatus {
  readonly code: number;
  readonly message: string;
}

/** The status to report for the app's grpc-status `raw` and (decoded) grpc-message. */
export function appGrpcStatus(raw: string, message: string): AppGrpcStatus {
  if (!/^[0-9]+$/.test(raw)) {
    return { code: INTERNAL, message: `malformed grpc-status ${JSON.stringify(raw)} from the app${message ? ` (grpc-message: ${message})` : ''}` };
  }
  const code = Number(raw);
  return code <= MAX_CODE ? { code, message } : { code: UNKNOWN, message };
}

/** grpc-message is percent-encoded; a malformed one is shown as sent rather than thrown. */
export function decodeGrpcMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The gRPC spec's "HTTP to gRPC status code mapping"; any other non-200 status is UNKNOWN. */
const HTTP_TO_GRPC: Readonly<Record<number, number>> = { 400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14 };

/** A gRPC app's answer with an HTTP status other than 200, as grpc-go's client reports it to
 * daprd (404 → UNIMPLEMENTED, …). */
export function nonGrpcAnswer(httpStatus: number | string): AppGrpcStatus {
  return { code: HTTP_TO_GRPC[Number(httpStatus)] ?? UNKNOWN, message: `unexpected HTTP status code received from server: ${httpStatus}` };
}
