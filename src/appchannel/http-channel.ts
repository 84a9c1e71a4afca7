// App channel to an HTTP app: an undici connection pool, so a steady stream of invocations
// reuses keep-alive connections instead of paying a TCP handshake per call. undici rather than
// node:http's client: the same calls for ~10 % less CPU and ~35 % more requests per second
// through a proxy (bench/README.md "The app channel's HTTP client"). With `tls`
// (--app-protocol https) the same over TLS, HTTP/1.1 as daprd's https transport.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { Pool, type Dispatcher } from 'undici';
import { DaprError } from '../errors/table.js';
import { abortFailure, AppChannelError, connectFailure, limitedAnswer, STREAM_ABOVE_BYTES, type AppChannel, type AppRequest, type AppResponse, type StreamedAppResponse } from './channel.js';

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

/** undici's header object (lower-case names, repeated ones as arrays) as relayable pairs. */
function answerHeaders(h: Dispatcher.ResponseData['headers']): Array<[string, string]> {
  const raw: string[] = [];
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) raw.push(k, one);
  }
  return responseHeaders(raw);
}

export function createHttpChannel(o: HttpChannelOptions): AppChannel {
  const bare = o.host.includes(':') ? `[${o.host}]` : o.host;
  const pool = new Pool(`${o.tls ? 'https' : 'http'}://${bare}:${o.port}`, {
    connections: null, // no cap: --app-max-concurrency is the limit (channel.ts)
    // The call's own deadline (resiliency, grpc-timeout) applies, not undici's 300 s defaults.
    headersTimeout: 0,
    bodyTimeout: 0,
    // Idle connections live until the app's keep-alive hint says it will close them (undici
    // closes them first, so no call is sent on a connection the app is closing), else 60 s.
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    connect: o.tls ? { ...o.tls } : undefined,
  });
  const hostHeader = o.hostHeader ?? `${bare}:${o.port}`;
  return {
    protocol: 'http',
    close: () => void pool.destroy().catch(() => {}),
    invoke: (req) => call(pool, o, hostHeader, req),
    invokeStreaming: (req) => callStreaming(pool, o, hostHeader, req),
  };
}

/**
 * Like call(), but nothing is held whole: the caller's body (req.bodyStream) is relayed to the
 * app as it arrives, and the answer resolves as soon as its head is in, with the app's body
 * as a stream (backpressure reaches the app). The --max-body-size cap on the answer still
 * holds: a declared length above it fails the call before anything is relayed; a body that
 * grows past it while streaming is cut off (the stream errors).
 */
async function callStreaming(pool: Pool, o: HttpChannelOptions, hostHeader: string, req: AppRequest): Promise<AppResponse | StreamedAppResponse> {
  const res = await send(pool, hostHeader, req);
  const declared = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
  if (declared !== undefined && declared > o.maxResponseBytes) {
    res.body.destroy();
    throw new AppChannelError('failed', `the app's answer is larger than ${o.maxResponseBytes} bytes`);
  }
  if (declared !== undefined && declared <= STREAM_ABOVE_BYTES) return whole(res, o.maxResponseBytes, req.signal);
  const body = limitedAnswer(o.maxResponseBytes);
  // Destroying the body (the caller went away) tears the app's answer down with it.
  pipeline(res.body, body, () => {});
  return { status: res.statusCode, headers: answerHeaders(res.headers), body, length: Number.isInteger(declared) ? declared : undefined };
}

async function call(pool: Pool, o: HttpChannelOptions, hostHeader: string, req: AppRequest): Promise<AppResponse> {
  return whole(await send(pool, hostHeader, req), o.maxResponseBytes, req.signal);
}

/** Sends the request; resolves with the answer's head, its body still to be read. */
async function send(pool: Pool, hostHeader: string, req: AppRequest): Promise<Dispatcher.ResponseData> {
  if (req.signal?.aborted) throw abortFailure(req.signal);
  const headers: string[] = [];
  // An Expect: 100-continue was answered to the caller by the sidecar; the app gets the body at once.
  for (const [k, v] of req.headers) if (k !== 'expect') headers.push(k, v);
  headers.push('host', hostHeader);
  let body: Uint8Array | Readable | undefined;
  if (req.bodyStream) {
    // Without a declared length a streamed body goes chunked.
    if (req.bodyLength !== undefined) headers.push('content-length', String(req.bodyLength));
    body = req.bodyStream;
  } else if (req.body.length || !BODILESS.has(req.verb)) {
    // A bodiless GET stays bodiless on the wire; anything else states its length.
    headers.push('content-length', String(req.body.length));
    if (req.body.length) body = req.body;
  }
  try {
    return await pool.request({ method: req.verb as Dispatcher.HttpMethod, path: '/' + req.method + (req.query ? '?' + req.query : ''), headers, body, signal: req.signal });
  } catch (err) {
    // The caller's body failing (too large, the caller gone) ends the call with its own
    // error. (undici also fails the body with ITS errors, so this is told by type.)
    if (err instanceof DaprError) throw err;
    if (req.signal?.aborted) throw abortFailure(req.signal);
    throw connectFailure(err as NodeJS.ErrnoException);
  }
}

/** Reads an answer whole, up to `max` bytes. */
function whole(res: Dispatcher.ResponseData, max: number, signal: AbortSignal | undefined): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.body.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) return void res.body.destroy(new AppChannelError('failed', `the app's answer is larger than ${max} bytes`));
      chunks.push(c);
    });
    res.body.once('error', (err) => {
      if (err instanceof AppChannelError) reject(err);
      else if (signal?.aborted) reject(abortFailure(signal));
      else reject(new AppChannelError('failed', 'the app closed the connection while answering'));
    });
    res.body.once('end', () => resolve({ status: res.statusCode, headers: answerHeaders(res.headers), body: Buffer.concat(chunks, size) }));
  });
}
