// One outgoing HTTP(S) request as Go's http.Client makes it for bindings.http: redirects
// followed (at most 10; 301/302/303 turn into GET without a body, 307/308 repeat the method
// and body), credentials dropped when a redirect leaves the original host, a 15 s connect
// limit, and the answer read up to a size cap — beyond it the body is cut short, not refused,
// as Go's io.LimitReader does.
import http from 'node:http';
import https from 'node:https';

export interface CallRequest {
  readonly method: string;
  readonly url: URL;
  /** header pairs in order; names as the caller wrote them */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array;
  /** header names (lower-case) that must not follow a redirect to another host */
  readonly sensitive: ReadonlySet<string>;
  readonly signal?: AbortSignal;
}

export interface CallResponse {
  readonly status: number;
  readonly statusText: string;
  /** name/value pairs as received */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface CallAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
}

const MAX_REDIRECTS = 10;
const CONNECT_TIMEOUT_MS = 15_000;
// Go sends these itself (or never): a caller's value is not used.
const NOT_FROM_CALLER = new Set(['host', 'content-length', 'transfer-encoding', 'trailer']);
// Go's list of headers that only follow a redirect within the same host (or a subdomain).
const CREDENTIALS = new Set(['authorization', 'www-authenticate', 'cookie', 'cookie2', 'proxy-authorization']);

/** The URL without credentials, for messages. */
export function showUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

export async function httpCall(req: CallRequest, agents: CallAgents, maxBodyBytes: number): Promise<CallResponse> {
  let { method, url, body } = req;
  let headers = req.headers.filter(([k]) => !NOT_FROM_CALLER.has(k.toLowerCase()));
  const firstHost = url.hostname;
  for (let hop = 0; ; hop++) {
    const res = await once(method, url, headers, body, agents, maxBodyBytes, req.signal);
    // A 3xx without a Location is an answer like any other (Go returns it as is).
    const location = headerValue(res.rawHeaders, 'location');
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    if (hop === MAX_REDIRECTS) throw new Error(`${method} ${showUrl(req.url)}: stopped after ${MAX_REDIRECTS} redirects`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new Error(`${method} ${showUrl(url)}: the answer redirects to an unreadable location`);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new Error(`${method} ${showUrl(url)}: redirect to unsupported protocol ${next.protocol}`);
    if (res.status <= 303 && method !== 'GET' && method !== 'HEAD') {
      method = 'GET';
      body = undefined;
      headers = headers.filter(([k]) => k.toLowerCase() !== 'content-type');
    }
    if (!sameOrSubdomain(next.hostname, firstHost)) {
      headers = headers.filter(([k]) => !CREDENTIALS.has(k.toLowerCase()) && !req.sensitive.has(k.toLowerCase()));
    }
    url = next;
  }
}

function sameOrSubdomain(host: string, original: string): boolean {
  return host === original || host.endsWith('.' + original);
}

function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

function once(
  method: string, url: URL, headers: ReadonlyArray<readonly [string, string]>, body: Uint8Array | undefined,
  agents: CallAgents, maxBodyBytes: number, signal?: AbortSignal,
): Promise<CallResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(method, url, signal));
    const secure = url.protocol === 'https:';
    const list: string[] = headers.flatMap(([k, v]) => [k, v]);
    list.push('Host', url.host);
    if (body !== undefined) list.push('Content-Length', String(body.length));
    // Credentials in the URL become Basic auth unless the caller set Authorization (Go does the same).
    if ((url.username || url.password) && !headers.some(([k]) => k.toLowerCase() === 'authorization')) {
      const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      list.push('Authorization', `Basic ${Buffer.from(user).toString('base64')}`);
    }
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };
    let out: http.ClientRequest;
    try {
      out = (secure ? https : http).request({
        agent: secure ? agents.https : agents.http,
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (secure ? 443 : 80),
        method,
        path: url.pathname + url.search,
        headers: list,
        setHost: false,
      });
    } catch (err) {
      return reject(new Error(`${method} ${showUrl(url)}: ${(err as Error).message}`));
    }
    const onAbort = (): void => {
      fail(abortError(method, url, signal!));
      out.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let connectTimer: NodeJS.Timeout | undefined;
    const cleanup = (): void => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(connectTimer);
    };
    out.on('socket', (sock) => {
      if (!sock.connecting) return;
      connectTimer = setTimeout(() => {
        fail(new Error(`${method} ${showUrl(url)}: dial tcp ${url.host}: no connection within ${CONNECT_TIMEOUT_MS / 1000}s`));
        out.destroy();
      }, CONNECT_TIMEOUT_MS);
      sock.once('connect', () => clearTimeout(connectTimer));
    });
    out.on('error', (err: NodeJS.ErrnoException) => fail(new Error(`${method} ${showUrl(url)}: ${err.code ?? err.message}`)));
    out.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let cut = false;
      res.on('data', (c: Buffer) => {
        if (cut) return;
        if (maxBodyBytes > 0 && size + c.length >= maxBodyBytes) {
          chunks.push(c.subarray(0, maxBodyBytes - size));
          size = maxBodyBytes;
          cut = true;
          return;
        }
        chunks.push(c);
        size += c.length;
      });
      res.on('error', () => fail(new Error(`${method} ${showUrl(url)}: the connection closed while the answer was read`)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', rawHeaders: res.rawHeaders, body: Buffer.concat(chunks, size) });
      });
    });
    out.end(body && body.length ? body : undefined);
  });
}

function abortError(method: string, url: URL, signal: AbortSignal): Error {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return new Error(`${method} ${showUrl(url)}: ${timedOut ? 'no answer within responseTimeout' : 'the call was cancelled'}`);
}
