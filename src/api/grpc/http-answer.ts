// An HTTP app's answer as a gRPC caller of InvokeService gets it, as daprd 1.18 gives it: the
// headers as response metadata (IANA's permanent header names get a `dapr-` prefix, so that
// Content-Type, Content-Length or Connection cannot be read as this call's own), the status in
// `dapr-http-status`, and a non-2xx status as a gRPC error (messaging/v1 CodeFromHTTPStatus).
// Pure.
import type { HeaderPairs } from '../../appchannel/channel.js';
import { GrpcCode } from '../../errors/table.js';
import { goStatusText } from '../../util/go-status-text.js';
import { GrpcStatusError } from './status.js';

const PERMANENT = new Set([
  'accept', 'accept-charset', 'accept-language', 'accept-ranges', 'connection', 'keep-alive', 'proxy-connection',
  'transfer-encoding', 'upgrade', 'cache-control', 'content-type', 'content-length', 'cookie', 'date', 'expect', 'from',
  'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-schedule-tag-match', 'if-unmodified-since',
  'max-forwards', 'origin', 'pragma', 'referer', 'via', 'warning',
]);

// A binary (-bin) header of an HTTP app is taken as the binary value itself, as daprd takes
// it: it goes out base64-encoded (unpadded, as grpc-go writes binary metadata).
const binaryMetadata = (value: string): string => Buffer.from(value, 'latin1').toString('base64').replace(/=+$/, '');

const GRPC_OF_HTTP: Readonly<Record<number, GrpcCode>> = {
  400: GrpcCode.INTERNAL, 401: GrpcCode.UNAUTHENTICATED, 403: GrpcCode.PERMISSION_DENIED, 404: GrpcCode.NOT_FOUND,
  408: GrpcCode.CANCELLED, 409: GrpcCode.ALREADY_EXISTS, 429: GrpcCode.RESOURCE_EXHAUSTED, 500: GrpcCode.UNKNOWN,
  501: GrpcCode.UNIMPLEMENTED, 503: GrpcCode.UNAVAILABLE, 504: GrpcCode.DEADLINE_EXCEEDED,
};

/** How much of the app's error body goes in the ErrorInfo (daprd keeps 63 bytes; more helps). */
const MAX_ERROR_BODY = 4096;

export function httpAnswerMetadata(status: number, headers: HeaderPairs): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of headers) {
    out.push([PERMANENT.has(k) ? `dapr-${k}` : k, k.endsWith('-bin') ? binaryMetadata(v) : v]);
  }
  out.push(['dapr-http-status', String(status)]);
  return out;
}

/** The gRPC error for an HTTP app's status, or undefined for a 2xx. */
export function httpStatusError(status: number, body: Uint8Array): GrpcStatusError | undefined {
  if (status >= 200 && status <= 299) return undefined;
  const text = goStatusText(status);
  return new GrpcStatusError(GRPC_OF_HTTP[status] ?? GrpcCode.UNKNOWN, text, {
    reason: text,
    domain: 'dapr.io',
    metadata: { 'http.code': String(status), 'http.error_message': Buffer.from(body.subarray(0, MAX_ERROR_BODY)).toString('utf8') },
  });
}
