// App channel to an HTTP app: node:http with a keep-alive agent, so a steady stream of
// invocations reuses connections instead of paying a TCP handshake per call. With `tls`
// (--app-protocol https) the same over node:https, HTTP/1.1 as daprd's https transport.
import http from 'node:http';
import https from 'node:https';
import { pipeline, type Transform } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { abortFailure, AppChannelError, connectFailure, limitedAnswer, requestTarget, requestVerb, STREAM_ABOVE_BYTES, type AppChannel, type AppRequest, type AppResponse, type StreamedAppResponse } from './channel.js';

export interface HttpChannelOptions {
  readonly host: string;
  readonly port: number;
  /** cap on the app's answer, so a runaway app cannot exhaust the sidecar's memory */
  readonly maxResponseBytes: number;
  /** speak TLS to the app (see tls.ts: verification only with --app-ca-file) */
  readonly tls?: ConnectionOptions;
  /** the Host header (default host:port) — an endpoint outside Dapr gets its URL's host */
  readonly hostHeader?: string;
}

// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never relayed.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization']);

/** The app's headers as the caller should get them (content-length is set again on the way out). */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);

export function responseHeaders(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !name.startsWith('proxy-') && name !== 'content-length') out.push([name, raw[i + 1]!]);
  }
  return out;
}

export function createHttpChannel(o: HttpChannelOptions): AppChannel {
  // noDelay: a small request must not wait for the ACK of the previous one (Nagle)
  const keep = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256, noDelay: true };
  const agent = o.tls ? new https.Agent({ ...keep, ...o.tls }) : new http.Agent(keep);
  const hostHeader = o.hostHeader ?? (o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`);
  return {
    protocol: 'http',
    close: () => agent.destroy(),
    invoke: (req) => call(agent, o, hostHeader, req),
    invokeStreaming: (req) => callStreaming(agent, o, hostHeader, req),
  };
}

/**
 * Like call(), but nothing is held whole: the caller's body (req.bodyStream) is piped to the
 * app as it arrives, and the answer resolves as soon as its head is in, with the app's body
 * as a stream (backpressure reaches the app). The --max-body-size cap on the answer still
 * holds: a declared length above it fails the call before anything is relayed; a body that
 * grows past it while streaming is cut off (the stream errors).
 */
function callStreaming(agent: http.Agent, o: HttpChannelOptions, hostHeader: string, req: AppRequest): Promise<AppResponse | StreamedAppResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortFailure(req.signal));
    const source = req.bodyStream;
    let settled = false;
    let body: Transform | undefined;
    // Before the answer's head: reject the call. After: fail its body stream.
    const fail = (e: Error): void => {
      if (!settled) {
        settled = true;
        req.signal?.removeEventListener('abort', onAbort);
        reject(e);
      } else {
        body?.destroy(e);
      }
    };
    const out = request(agent, o, hostHeader, req);
    const onAbort = (): void => {
      fail(abortFailure(req.signal!));
      out.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    out.on('error', (err: NodeJS.ErrnoException) => {
      fail(connectFailure(err));
    });
    out.on('response', (res) => {
      if (settled) return void res.destroy();
      const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
      if (declared !== undefined && declared > o.maxResponseBytes) {
        fail(new AppChannelError('failed', `the app's answer is larger than ${o.maxResponseBytes} bytes`));
        res.destroy();
        out.destroy();
        return;
      }
      if (declared !== undefined && declared <= STREAM_ABOVE_BYTES) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => fail(new AppChannelError('failed', 'the app closed the connection while answering')));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          req.signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 502, headers: responseHeaders(res.rawHeaders), body: Buffer.concat(chunks) });
        });
        return;
      }
      body = limitedAnswer(o.maxResponseBytes);
      // Destroying the body (the caller went away) tears the app's response down with it.
      pipeline(res, body, () => {
        req.signal?.removeEventListener('abort', onAbort);
        if (!res.complete) out.destroy();
      });
      settled = true;
      resolve({ status: res.statusCode ?? 502, headers: responseHeaders(res.rawHeaders), body, length: Number.isInteger(declared) ? declared : undefined });
    });
    if (!source) return void out.end(req.body.length ? req.body : undefined);
    // The caller's body failing (too large, connection lost) ends the call with that error.
    source.once('error', (err) => {
      fail(err);
      out.destroy();
    });
    source.pipe(out);
  });
}

function call(agent: http.Agent, o: HttpChannelOptions, hostHeader: string, req: AppRequest): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortFailure(req.signal));
    let settled = false;
    const fail = (e: AppChannelError): void => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    const out = request(agent, o, hostHeader, req);
    const onAbort = (): void => {
      fail(abortFailure(req.signal!));
      out.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => req.signal?.removeEventListener('abort', onAbort);
    out.on('error', (err: NodeJS.ErrnoException) => {
      done();
      fail(connectFailure(err));
    });
    out.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > o.maxResponseBytes) {
          fail(new AppChannelError('failed', `the app's answer is larger than ${o.maxResponseBytes} bytes`));
          res.destroy();
          out.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('error', () => fail(new AppChannelError('failed', 'the app closed the connection while answering')));
      res.on('end', () => {
        done();
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode ?? 502, headers: responseHeaders(res.rawHeaders), body: Buffer.concat(chunks, size) });
      });
    });
    out.end(req.body.length ? req.body : undefined);
  });
}

/** The request to the app, head only: the caller's headers, Host, and the body's length. */
function request(agent: http.Agent, o: HttpChannelOptions, hostHeader: string, req: AppRequest): http.ClientRequest {
  const headers: string[] = [];
  for (const [k, v] of req.headers) headers.push(k, v);
  headers.push('host', hostHeader);
  if (req.bodyStream) {
    // Without a declared length a streamed body goes chunked, said explicitly: node chunks
    // by default only for verbs that usually carry a body, and would write a GET's or a
    // DELETE's body bytes unframed — read by the app as the next request on the connection.
    headers.push(...(req.bodyLength !== undefined ? ['content-length', String(req.bodyLength)] : ['transfer-encoding', 'chunked']));
  } else if (req.body.length || !BODILESS.has(req.verb)) {
    // A bodiless GET stays bodiless on the wire; anything else states its length.
    headers.push('content-length', String(req.body.length));
  }
  const method = requestVerb(req.verb);
  const path = requestTarget(req);
  return (o.tls ? https : http).request({ agent, host: o.host, port: o.port, method, path, headers, setHost: false });
}
