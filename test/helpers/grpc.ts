// A raw gRPC client on node:http2: sends length-prefixed frames with exactly the metadata a
// test chooses and decodes grpc-status, grpc-message and grpc-status-details-bin, so tests
// see the wire, not what a client library makes of it.
import http2 from 'node:http2';
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { StatusSchema, type Status } from '../../src/gen/google/rpc/status_pb.js';
import { ErrorInfoSchema, type ErrorInfo } from '../../src/gen/google/rpc/error_details_pb.js';

export const DAPR_SERVICE = '/dapr.proto.runtime.v1.Dapr';

export function frame(message: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

export interface GrpcRawRequest {
  port: number;
  /** full path, e.g. /dapr.proto.runtime.v1.Dapr/GetState */
  path: string;
  /** metadata; array values are sent as repeated header fields */
  metadata?: Record<string, string | string[]>;
  /** request messages (each framed), or raw bytes written as they are */
  messages?: Uint8Array[];
  raw?: Buffer;
  /** false: keep the request stream open (bidi / unterminated upload) */
  endStream?: boolean;
  timeoutMs?: number;
  contentType?: string;
}

export interface GrpcRawResponse {
  httpStatus: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  /** grpc-status from trailers or (trailers-only) headers; undefined when absent */
  code: number | undefined;
  /** percent-decoded grpc-message */
  message: string;
  /** decoded grpc-status-details-bin */
  status?: Status;
  errorInfo?: ErrorInfo;
  /** response messages (unframed) */
  messages: Uint8Array[];
  /** every header and trailer value, for "never contains the token" checks */
  allHeaderText: string;
}

function pick(h: http2.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

export function decodeDetails(bin: string | undefined): { status?: Status; errorInfo?: ErrorInfo } {
  if (!bin) return {};
  const status = fromBinary(StatusSchema, Buffer.from(bin, 'base64'));
  let errorInfo: ErrorInfo | undefined;
  for (const d of status.details) {
    const info = anyUnpack(d, ErrorInfoSchema);
    if (info) errorInfo = info;
  }
  return { status, errorInfo };
}

export function grpcRaw(r: GrpcRawRequest): Promise<GrpcRawResponse> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${r.port}`);
    session.on('error', reject);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': r.path,
      'content-type': r.contentType ?? 'application/grpc',
      te: 'trailers',
      ...r.metadata,
    };
    const stream = session.request(headers, { endStream: false });
    let resHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      session.destroy();
      reject(new Error(`gRPC call ${r.path} timed out`));
    }, r.timeoutMs ?? 10_000);
    stream.on('response', (h) => (resHeaders = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {});
    stream.on('close', () => {
      clearTimeout(timer);
      session.close();
      const data = Buffer.concat(chunks);
      const messages: Uint8Array[] = [];
      let off = 0;
      while (off + 5 <= data.length) {
        const len = data.readUInt32BE(off + 1);
        messages.push(new Uint8Array(data.subarray(off + 5, off + 5 + len)));
        off += 5 + len;
      }
      const codeText = pick(trailers, 'grpc-status') ?? pick(resHeaders, 'grpc-status');
      const rawMsg = pick(trailers, 'grpc-message') ?? pick(resHeaders, 'grpc-message') ?? '';
      let message = rawMsg;
      try {
        message = decodeURIComponent(rawMsg);
      } catch {
        /* keep raw */
      }
      const bin = pick(trailers, 'grpc-status-details-bin') ?? pick(resHeaders, 'grpc-status-details-bin');
      let details: ReturnType<typeof decodeDetails> = {};
      try {
        details = decodeDetails(bin);
      } catch (err) {
        reject(new Error(`undecodable grpc-status-details-bin: ${(err as Error).message}`));
        return;
      }
      const allHeaderText = JSON.stringify([resHeaders, trailers]);
      resolve({
        httpStatus: Number(resHeaders[':status'] ?? 0),
        headers: resHeaders,
        trailers,
        code: codeText === undefined ? undefined : Number(codeText),
        message,
        ...details,
        messages,
        allHeaderText,
      });
    });
    if (r.raw) stream.write(r.raw);
    for (const m of r.messages ?? []) stream.write(frame(m));
    if (r.endStream !== false) stream.end();
  });
}

/** Decodes the single response message of a unary call. */
export function decodeOne<D extends DescMessage>(schema: D, res: GrpcRawResponse): MessageShape<D> {
  if (res.messages.length !== 1) throw new Error(`expected 1 response message, got ${res.messages.length} (status ${res.code} ${res.message})`);
  return fromBinary(schema, res.messages[0]!);
}

export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAUTHENTICATED: 16,
} as const;
