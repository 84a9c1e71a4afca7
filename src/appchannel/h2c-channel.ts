// App channel to an HTTP app over HTTP/2 cleartext with prior knowledge (--app-protocol h2c),
// as daprd's http2.Transport{AllowHTTP} does: the same HTTP requests as the HTTP/1.1 channel,
// multiplexed on one connection. HTTP/2 forbids connection-specific headers, so those are left
// out, and `host` travels as :authority. Invocation streams both bodies (invokeStreaming), as
// the HTTP/1.1 channel does; HTTP/2 flow control carries the backpressure.
import http2 from 'node:http2';
import { pipeline, type Transform } from 'node:stream';
import { abortFailure, AppChannelError, connectFailure, limitedAnswer, requestTarget, requestVerb, STREAM_ABOVE_BYTES, type AppChannel, type AppRequest, type AppResponse, type StreamedAppResponse } from './channel.js';
import { responseHeaders } from './http-channel.js';
import { cutAndRetire, sessionSource, type SessionSource } from './h2-session.js';

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
    invokeStreaming: (req) => callStreaming(sessions, o, req),
  };
}

/** The request's header pairs as an HTTP/2 header object (repeated names become arrays). */
export function h2RequestHeaders(req: AppRequest): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':method': requestVerb(req.verb), ':path': requestTarget(req) };
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
    let session: http2.ClientHttp2Session;
    let stream: http2.ClientHttp2Stream;
    try {
      session = sessions.get();
      stream = session.request(h2RequestHeaders(req), { endStream: req.body.length === 0 });
    } catch (err) {
      if (err instanceof AppChannelError) return reject(err);
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
        cutAndRetire(sessions, session, stream);
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

/** The request's stream to the app; a failure to open it names Node's code only (its message
 * may quote a header value, i.e. the app token). */
function open(sessions: SessionSource, req: AppRequest, endStream: boolean, signal: AbortSignal): { session: http2.ClientHttp2Session; stream: http2.ClientHttp2Stream } {
  try {
    const session = sessions.get();
    return { session, stream: session.request(h2RequestHeaders(req), { endStream, signal }) };
  } catch (err) {
    if (err instanceof AppChannelError) throw err;
    throw new AppChannelError('failed', `the call to the app failed (${(err as NodeJS.ErrnoException).code ?? 'the request could not be made'})`);
  }
}

/**
 * Like call(), but nothing is held whole: the caller's body (req.bodyStream) is piped to the
 * app as it arrives, and the call resolves once the answer's head is in, with the app's body
 * as a stream (a paused stream stops the app through HTTP/2 flow control). An answer declaring
 * at most STREAM_ABOVE_BYTES comes back whole. --max-body-size still caps the answer: a
 * declared length above it fails the call, a body growing past it is cut off.
 */
function callStreaming(sessions: SessionSource, o: H2cChannelOptions, req: AppRequest): Promise<AppResponse | StreamedAppResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortFailure(req.signal));
    const source = req.bodyStream;
    let settled = false;
    let body: Transform | undefined;
    let complete = false;
    // Before the answer's head: reject the call. After: fail its body stream, unless all of
    // it is in (a late error, e.g. the rest of the request meeting a closed stream, is moot).
    const fail = (e: Error): void => {
      if (!settled) {
        settled = true;
        req.signal?.removeEventListener('abort', onAbort);
        reject(e);
      } else if (!complete) {
        body?.destroy(e);
      }
    };
    const done = (value: AppResponse | StreamedAppResponse): void => {
      settled = true;
      resolve(value);
    };
    // Cancelling through the request's own signal resets the stream (RST_STREAM CANCEL) and
    // nothing else: stream.close() would first end a body still being sent (END_STREAM), and
    // the app would take a cut-off upload for a complete one.
    const cancelling = new AbortController();
    let session: http2.ClientHttp2Session;
    let stream: http2.ClientHttp2Stream;
    try {
      ({ session, stream } = open(sessions, req, !source && req.body.length === 0, cancelling.signal));
    } catch (err) {
      return reject(err);
    }
    const cancel = (): void => void (stream.closed || stream.destroyed || cancelling.abort());
    // An answer cut for its size also retires the connection (see cutAndRetire).
    const cutTooLarge = (): void => {
      cancel();
      sessions.retire(session);
    };
    const onAbort = (): void => {
      fail(abortFailure(req.signal!));
      cancel();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('error', (err: NodeJS.ErrnoException) => fail(connectFailure(err)));
    stream.on('response', (h) => {
      if (settled) return cancel();
      const status = Number(h[':status'] ?? 0);
      const headers = responseHeaders(rawOf(h));
      const declared = h['content-length'] === undefined ? undefined : Number(h['content-length']);
      if (declared !== undefined && declared > o.maxResponseBytes) {
        fail(new AppChannelError('failed', `the app's answer is larger than ${o.maxResponseBytes} bytes`));
        return cutTooLarge();
      }
      if (declared !== undefined && declared <= STREAM_ABOVE_BYTES) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (settled) return;
          req.signal?.removeEventListener('abort', onAbort);
          done({ status, headers, body: Buffer.concat(chunks) });
        });
        return;
      }
      let tooLarge = false;
      body = limitedAnswer(o.maxResponseBytes, () => (tooLarge = true));
      // Destroying the body (the caller went away) cancels the app's stream with it.
      pipeline(stream, body, (err) => {
        req.signal?.removeEventListener('abort', onAbort);
        complete = !err;
        if (!stream.readableEnded) (tooLarge ? cutTooLarge : cancel)();
      });
      done({ status, headers, body, length: Number.isInteger(declared) ? declared : undefined });
    });
    stream.on('close', () => {
      if (!settled) fail(new AppChannelError('failed', 'the app closed the stream without answering'));
    });
    if (!source) {
      if (req.body.length) stream.end(req.body);
      return;
    }
    // The caller's body failing (too large, connection lost) ends the call with that error.
    source.once('error', (err) => {
      fail(err);
      cancel();
    });
    source.pipe(stream);
  });
}
