// One app health probe, as daprd sends it: HTTP apps get `GET <path>` (any 2xx = healthy),
// gRPC apps `dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck` (status OK = healthy).
// Probes use their own connection, so they never wait behind --app-max-concurrency and a
// stuck invocation cannot make a live app look dead. Like daprd, no app token is sent unless
// the Pillion flag --app-health-probe-token asks for it. https / grpcs apps are probed over
// TLS and h2c apps over HTTP/2 cleartext, as daprd's probes share its app client.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { appGrpcStatus, decodeGrpcMessage } from './grpc-status-code.js';
import { sessionSource } from './h2-session.js';

export interface ProbeResult {
  readonly ok: boolean;
  /** the metric label: HTTP status code ("500" for a network error, as daprd) or the gRPC code name */
  readonly status: string;
  /** why it failed, in daprd's words; never contains a token */
  readonly reason?: string;
  readonly ms: number;
}

export interface ProbeTarget {
  readonly protocol: 'http' | 'grpc';
  readonly host: string;
  readonly port: number;
  /** HTTP only: normalised to one leading '/' */
  readonly path: string;
  readonly timeoutMs: number;
  /** header name and value to set on each probe (the app token), or undefined */
  readonly token: () => readonly [string, string] | undefined;
  /** speak TLS (https, grpcs; see tls.ts) */
  readonly tls?: ConnectionOptions;
  /** HTTP only: HTTP/2 cleartext with prior knowledge (h2c) */
  readonly h2c?: boolean;
}

export interface Prober {
  probe(): Promise<ProbeResult>;
  close(): void;
}

export const HEALTH_CHECK_METHOD = '/dapr.proto.runtime.v1.AppCallbackHealthCheck/HealthCheck';

export function createProber(t: ProbeTarget): Prober {
  if (t.protocol === 'grpc') return grpcProber(t);
  return t.h2c ? h2cProber(t) : httpProber(t);
}

function httpProber(t: ProbeTarget): Prober {
  const agent = t.tls ? new https.Agent({ keepAlive: true, maxSockets: 1, ...t.tls }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
  const path = '/' + t.path.replace(/^\/+/, '');
  return {
    close: () => agent.destroy(),
    probe: () => new Promise((resolve) => {
      const start = performance.now();
      const done = (ok: boolean, status: string, reason?: string): void => resolve({ ok, status, reason, ms: performance.now() - start });
      const token = t.token();
      const req = (t.tls ? https : http).request({ agent, host: t.host, port: t.port, method: 'GET', path, headers: token ? { [token[0]]: token[1] } : {}, signal: AbortSignal.timeout(t.timeoutMs) }, (res) => {
        res.resume(); // drained, so the connection is reused
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) done(true, String(code));
          else done(false, String(code), `Health check failed with status code: ${code}`);
        });
        res.on('error', () => done(false, '500', 'Network error: the app closed the connection while answering'));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const what = err.name === 'AbortError' ? `no answer within ${t.timeoutMs}ms` : (err.code ?? err.name);
        done(false, '500', `Network error: ${what}`);
      });
      req.end();
    }),
  };
}

// Go's names of the gRPC codes (daprd's metric label is codes.Code.String()).
const GRPC_CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];
// google.protobuf.Empty, framed: not compressed, length 0.
const EMPTY_FRAME = Buffer.alloc(5);

function grpcProber(t: ProbeTarget): Prober {
  const sessions = sessionSource(t.host, t.port, t.tls);
  const connect = (): http2.ClientHttp2Session => sessions.get();
  return {
    close: () => sessions.destroy(),
    probe: () => new Promise((resolve) => {
      const start = performance.now();
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const done = (code: number, reason?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const name = GRPC_CODE_NAMES[code] ?? 'Unknown';
        resolve({ ok: code === 0, status: name, reason: code === 0 ? undefined : `Health check failed: rpc error: code = ${name} desc = ${reason ?? ''}`, ms: performance.now() - start });
      };
      const token = t.token();
      let stream: http2.ClientHttp2Stream;
      try {
        stream = connect().request({
          ':method': 'POST', ':path': HEALTH_CHECK_METHOD, 'content-type': 'application/grpc', te: 'trailers',
          'grpc-timeout': `${t.timeoutMs}m`, ...(token ? { [token[0]]: token[1] } : {}),
        });
      } catch (err) {
        // the code only: Node's message may quote a header value, i.e. the token
        return done(14, (err as NodeJS.ErrnoException).code ?? 'the request could not be made');
      }
      timer = setTimeout(() => {
        done(4, 'context deadline exceeded');
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, t.timeoutMs);
      let status: string | undefined;
      let message = '';
      const read = (h: http2.IncomingHttpHeaders): void => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        if (h['grpc-message'] !== undefined) message = decodeGrpcMessage(String(h['grpc-message']));
      };
      stream.on('response', read);
      stream.on('trailers', read);
      stream.on('data', () => {}); // HealthCheckResponse is empty; only the status matters
      stream.on('error', (err: NodeJS.ErrnoException) => {
        const code = (err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? err.code;
        done(14, `connection error: ${code ?? err.message}`);
      });
      stream.on('close', () => {
        if (status === undefined) return done(14, 'the app ended the call without a gRPC status');
        const r = appGrpcStatus(status, message);
        done(r.code, r.message);
      });
      stream.end(EMPTY_FRAME);
    }),
  };
}

// h2c apps: the same GET as httpProber, on one HTTP/2 cleartext connection of its own.
function h2cProber(t: ProbeTarget): Prober {
  const sessions = sessionSource(t.host, t.port);
  const path = '/' + t.path.replace(/^\/+/, '');
  return {
    close: () => sessions.destroy(),
    probe: () => new Promise((resolve) => {
      const start = performance.now();
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const done = (ok: boolean, status: string, reason?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ok, status, reason, ms: performance.now() - start });
      };
      const token = t.token();
      let stream: http2.ClientHttp2Stream;
      try {
        stream = sessions.get().request({ ':method': 'GET', ':path': path, ...(token ? { [token[0]]: token[1] } : {}) }, { endStream: true });
      } catch (err) {
        // the code only: Node's message may quote a header value, i.e. the token
        return done(false, '500', `Network error: ${(err as NodeJS.ErrnoException).code ?? 'the request could not be made'}`);
      }
      timer = setTimeout(() => {
        done(false, '500', `Network error: no answer within ${t.timeoutMs}ms`);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, t.timeoutMs);
      let code = 0;
      stream.on('response', (h) => (code = Number(h[':status'] ?? 0)));
      stream.resume(); // the body does not matter; drained so the stream can end
      stream.on('error', (err: NodeJS.ErrnoException) => {
        const c = (err.code === 'ERR_HTTP2_STREAM_CANCEL' ? (err.cause as NodeJS.ErrnoException | undefined)?.code : undefined) ?? err.code;
        done(false, '500', `Network error: ${c ?? err.name}`);
      });
      stream.on('close', () => {
        if (code >= 200 && code < 300) done(true, String(code));
        else if (code) done(false, String(code), `Health check failed with status code: ${code}`);
        else done(false, '500', 'Network error: the app closed the stream without answering');
      });
    }),
  };
}
