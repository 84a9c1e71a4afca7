// App channel to an HTTP app over HTTP/2 cleartext with prior knowledge (--app-protocol h2c),
// as daprd's http2.Transport{AllowHTTP} does: the same HTTP requests as the HTTP/1.1 channel,
// multiplexed on one connection. HTTP/2 forbids connection-specific headers, so those are left
// out, and `host` travels as :authority.
import http2 from 'node:http2';
import { abortFailure, AppChannelError, connectFailure, type AppChannel, type AppRequest, type AppResponse } from './channel.js';
import { responseHeaders } from './http-channel.js';
import { sessionSource, type SessionSource } from './h2-session.js';

export interface H2cChannelOptions {
  readonly host: string;
  readonly port: number;
  /** cap on the app's answer, so a runaway app cannot exhaust the sidecar's memory */
  readonly maxResponseBytes: number;
}

// Not allowed on an HTTP/2 request (RFC 9113 §8.2.2), or set here from the message itself.
const NOT_H2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'http2-settings']);

export function createH2cChannel(o: H2cChannelOptions): AppChannel {
  const sessions = sessionSource(o.host, o.port);
  return {
    protocol: 'http',
    close: () => sessions.destroy(),
    invoke: (req) => call(sessions, o, req),
  };
}

/** The request's header pairs as an HTTP/2 header object (repeated names become arrays). */
export function h2RequestHeaders(req: AppRequest): http2.OutgoingHttpHeaders {
  const path = '/' + req.method + (req.query ? '?' + req.query : '');
  const out: http2.OutgoingHttpHeaders = { ':method': req.verb, ':path': path };
  for (const [k, v] of req.headers) {
    const name = k.toLowerCase();
    if (NOT_H2.has(name) || name.startsWith(':')) continue;
    const prev = out[name];
    out[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
  }
  return out;
}

/** An HTTP/2 response header object as the flat name/value list responseHeaders() filters. */
function rawOf(h: http2.IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) raw.push(k, String(one));
  }
  return raw;
}

function call(sessions: SessionSource, o: H2cChannelOptions, req: AppRequest): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortFailure(req.signal));
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    let stream: http2.ClientHttp2Stream;
    try {
      stream = sessions.get().request(h2RequestHeaders(req), { endStream: req.body.length === 0 });
    } catch (err) {
      // the code only: Node's message may quote a header value, i.e. the app token
      return reject(new AppChannelError('failed', `the call to the app failed (${(err as NodeJS.ErrnoException).code ?? 'the request could not be made'})`));
    }
    const onAbort = (): void => {
      settle(() => reject(abortFailure(req.signal!)));
      stream.close(http2.constants.NGHTTP2_CANCEL);
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    let status = 0;
    let headers: Array<[string, string]> = [];
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (h) => {
      status = Number(h[':status'] ?? 0);
      headers = responseHeaders(rawOf(h));
    });
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > o.maxResponseBytes) {
        settle(() => reject(new AppChannelError('failed', `the app's answer is larger than ${o.maxResponseBytes} bytes`)));
        stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
      chunks.push(c);
    });
    stream.on('error', (err: NodeJS.ErrnoException) => {
      settle(() => reject(connectFailure(err)));
    });
    stream.on('close', () => settle(() => {
      if (!status) return reject(new AppChannelError('failed', 'the app closed the stream without answering'));
      resolve({ status, headers, body: Buffer.concat(chunks, size) });
    }));
    if (req.body.length) stream.end(req.body);
  });
}
