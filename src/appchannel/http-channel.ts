// App channel to an HTTP app: node:http with a keep-alive agent, so a steady stream of
// invocations reuses connections instead of paying a TCP handshake per call. With `tls`
// (--app-protocol https) the same over node:https, HTTP/1.1 as daprd's https transport.
import http from 'node:http';
import https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { abortFailure, AppChannelError, type AppChannel, type AppRequest, type AppResponse, type HeaderPairs } from './channel.js';

export interface HttpChannelOptions {
  readonly host: string;
  readonly port: number;
  /** cap on the app's answer, so a runaway app cannot exhaust the sidecar's memory */
  readonly maxResponseBytes: number;
  /** speak TLS to the app (see tls.ts: verification only with --app-ca-file) */
  readonly tls?: ConnectionOptions;
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
  const keep = { keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 };
  const agent = o.tls ? new https.Agent({ ...keep, ...o.tls }) : new http.Agent(keep);
  const hostHeader = o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  return {
    protocol: 'http',
    close: () => agent.destroy(),
    invoke: (req) => call(agent, o, hostHeader, req),
  };
}

function call(agent: http.Agent, o: HttpChannelOptions, hostHeader: string, req: AppRequest): Promise<AppResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortFailure(req.signal));
    const headers = toOutgoing(req.headers);
    headers.push(['host', hostHeader]);
    // A bodiless GET stays bodiless on the wire; anything else states its length.
    if (req.body.length || !BODILESS.has(req.verb)) headers.push(['content-length', String(req.body.length)]);
    const path = '/' + req.method + (req.query ? '?' + req.query : '');
    let settled = false;
    const fail = (e: AppChannelError): void => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    const out = (o.tls ? https : http).request({ agent, host: o.host, port: o.port, method: req.verb, path, headers: headers.flat(), setHost: false });
    const onAbort = (): void => {
      fail(abortFailure(req.signal!));
      out.destroy();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => req.signal?.removeEventListener('abort', onAbort);
    out.on('error', (err: NodeJS.ErrnoException) => {
      done();
      const refused = err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENOTFOUND';
      fail(new AppChannelError(refused ? 'unreachable' : 'failed', `${refused ? 'the app is not reachable' : 'the call to the app failed'} (${err.code ?? err.message})`));
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

/** Outgoing pairs (HeaderPairs are readonly; node wants a flat mutable list). */
function toOutgoing(h: HeaderPairs): Array<[string, string]> {
  return h.map(([k, v]) => [k, v]);
}
