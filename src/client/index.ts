// A small client for Pillion (and daprd) over both protocols, sending the API token on every
// call: HTTP on node:http (keep-alive), gRPC unary on node:http2 with the sidecar's own
// framing. Import it as `pillion/client`.
//
//   const c = createClient({ tokenFile: '/var/run/secrets/dapr/token' });
//   await c.http('GET', '/v1.0/state/statestore/order-1');
//   await c.grpc(Dapr.method.getState, { storeName: 'statestore', key: 'order-1' });
//   c.close();
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { create, fromBinary, toBinary, type DescMessage, type DescMethodUnary, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { encodeFrame, FrameDecoder } from '../api/grpc/framing.js';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { StatusSchema } from '../gen/google/rpc/status_pb.js';
import { ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import { tokenProvider, type TokenOptions, type TokenProvider } from './token.js';
import { headerForm } from '../util/header-chars.js';

export type { TokenOptions, TokenProvider };

export interface ClientOptions extends TokenOptions {
  /** default 127.0.0.1 */
  readonly host?: string;
  /** default DAPR_HTTP_PORT, else 3500 */
  readonly httpPort?: number;
  /** default DAPR_GRPC_PORT, else 50001 */
  readonly grpcPort?: number;
  /** send the token as Authorization: Bearer (needs --api-token-allow-bearer) instead of dapr-api-token */
  readonly bearer?: boolean;
  /** per-call timeout, ms (default 10 000) */
  readonly timeoutMs?: number;
  /** reach the HTTP API on this Unix socket instead of host:httpPort (sidecar --unix-domain-socket) */
  readonly httpSocketPath?: string;
  /** reach the gRPC API on this Unix socket instead of host:grpcPort */
  readonly grpcSocketPath?: string;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  json<T = unknown>(): T;
}

/** A gRPC call that ended with a status other than OK. */
export class GrpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** the Dapr error code (google.rpc.ErrorInfo reason in grpc-status-details-bin), when the sidecar sent one */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'GrpcCallError';
  }
}

/** The ErrorInfo reason of a grpc-status-details-bin value; undefined when absent or unreadable. */
function errorReason(bin: string | string[] | undefined): string | undefined {
  if (typeof bin !== 'string' || !bin) return undefined;
  try {
    for (const d of fromBinary(StatusSchema, Buffer.from(bin, 'base64')).details) {
      const info = anyUnpack(d, ErrorInfoSchema);
      if (info?.reason) return info.reason;
    }
  } catch {
    // not a google.rpc.Status: no reason to report
  }
  return undefined;
}

export interface PillionClient {
  http(method: string, path: string, body?: string | Uint8Array | object, headers?: Record<string, string>): Promise<HttpResult>;
  grpc<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageInitShape<I>): Promise<MessageShape<O>>;
  close(): void;
}

export function createClient(o: ClientOptions = {}): PillionClient {
  const env = o.env ?? process.env;
  const host = o.host ?? '127.0.0.1';
  const httpPort = o.httpPort ?? (Number(env.DAPR_HTTP_PORT) || 3500);
  const grpcPort = o.grpcPort ?? (Number(env.DAPR_GRPC_PORT) || 50001);
  const timeoutMs = o.timeoutMs ?? 10_000;
  const token = tokenProvider(o);
  const agent = new http.Agent({ keepAlive: true });
  let session: http2.ClientHttp2Session | undefined;

  const authHeaders = async (): Promise<Record<string, string>> => {
    const t = await token();
    if (!t) return {};
    const wire = headerForm(t); // a token that is not ASCII goes as its UTF-8 bytes
    return o.bearer ? { authorization: `Bearer ${wire}` } : { 'dapr-api-token': wire };
  };
  const grpcSession = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = o.grpcSocketPath
      ? http2.connect('http://localhost', { createConnection: () => net.connect(o.grpcSocketPath!) })
      : http2.connect(`http://${host}:${grpcPort}`);
    s.on('error', () => {});
    s.on('close', () => session === s && (session = undefined));
    return (session = s);
  };

  return {
    async http(method, path, body, headers = {}) {
      const payload = body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
      const h: Record<string, string> = { ...headers, ...(await authHeaders()) };
      if (payload !== undefined) {
        h['content-length'] = String(Buffer.byteLength(payload));
        if (typeof body === 'object' && !(body instanceof Uint8Array)) h['content-type'] ??= 'application/json';
      }
      return new Promise((resolve, reject) => {
        const where = o.httpSocketPath ? { socketPath: o.httpSocketPath } : { host, port: httpPort };
        const req = http.request({ ...where, method, path, headers: h, agent, timeout: timeoutMs }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const buf = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: <T>() => JSON.parse(buf.toString('utf8')) as T });
          });
        });
        req.on('timeout', () => req.destroy(new Error(`HTTP ${method} ${path} timed out`)));
        req.on('error', reject);
        req.end(payload);
      });
    },

    async grpc(method, input) {
      const metadata = await authHeaders();
      const frame = encodeFrame(toBinary(method.input, create(method.input, input)));
      return new Promise((resolve, reject) => {
        const s = grpcSession();
        const stream = s.request({
          ':method': 'POST', ':path': `/${method.parent.typeName}/${method.name}`, 'content-type': 'application/grpc', te: 'trailers', ...metadata,
        });
        const decoder = new FrameDecoder(64 << 20, undefined);
        const messages: Uint8Array[] = [];
        let status: string | undefined;
        let message = '';
        let reason: string | undefined;
        const pick = (h: http2.IncomingHttpHeaders): void => {
          if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
          if (h['grpc-message'] !== undefined) message = decodeURIComponent(String(h['grpc-message']));
          reason ??= errorReason(h['grpc-status-details-bin']);
        };
        stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        stream.on('response', pick);
        stream.on('trailers', pick);
        stream.on('data', (c: Buffer) => {
          try {
            messages.push(...decoder.push(c));
          } catch (err) {
            reject(err);
          }
        });
        stream.on('error', reject);
        stream.on('close', () => {
          if (status === undefined) return reject(new GrpcCallError(1, `call ${method.name} ended without a status`));
          if (status !== '0') return reject(new GrpcCallError(Number(status), message, reason));
          if (messages.length !== 1) return reject(new GrpcCallError(13, `expected one response message, got ${messages.length}`));
          resolve(fromBinary(method.output, messages[0]!));
        });
        stream.end(frame);
      });
    },

    close() {
      agent.destroy();
      session?.close();
    },
  };
}

/** The Dapr gRPC service descriptor, for `client.grpc(Dapr.method.getState, …)`. */
export { Dapr } from '../gen/dapr/proto/runtime/v1/dapr_pb.js';
