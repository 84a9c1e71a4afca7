// One pass over a request's raw headers for what the pipeline needs before routing: the API
// token (first value, as daprd reads it) and whether a body follows. Reading rawHeaders
// avoids building Node's lowercased `req.headers` object on the hot path; handlers that need
// headers get them lazily (see ApiRequest), with the token already removed.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { API_TOKEN_HEADER, AUTHORIZATION_HEADER } from '../../security/api-token.js';
import type { Readable } from 'node:stream';
import { isAppIdBasic } from './app-id-basic.js';
import type { HttpRequest } from './types.js';
import { Cancellation, type CallSignal } from '../../util/call-signal.js';

export interface RawScan {
  readonly token: string | undefined;
  /** first Authorization value; only looked for when `bearer` is on */
  readonly authorization: string | undefined;
  readonly hasBody: boolean;
}

const eq = (name: string, lower: string): boolean => name.length === lower.length && name.toLowerCase() === lower;

export function scanRawHeaders(raw: readonly string[], bearer = false): RawScan {
  let token: string | undefined;
  let authorization: string | undefined;
  let hasBody = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (token === undefined && eq(name, API_TOKEN_HEADER)) token = raw[i + 1];
    else if (!hasBody && (eq(name, 'content-length') ? raw[i + 1] !== '0' : eq(name, 'transfer-encoding'))) hasBody = true;
    else if (bearer && authorization === undefined && eq(name, AUTHORIZATION_HEADER)) authorization = raw[i + 1];
  }
  return { token, authorization, hasBody };
}

/** Removes every dapr-api-token (and, with --api-token-allow-bearer, every Authorization)
 * from the request, raw and parsed, so nothing downstream can read or forward it. The one
 * Authorization kept is daprd's Basic-auth form of the target app id (`dapr-app-id:<id>`):
 * it cannot be a token (only Bearer is), service invocation needs it to find the target,
 * and the invocation adapter never forwards it. */
export function stripToken(req: IncomingMessage, authorization = false): void {
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (eq(raw[i]!, API_TOKEN_HEADER) || (authorization && eq(raw[i]!, AUTHORIZATION_HEADER) && !isAppIdBasic(raw[i + 1]))) raw.splice(i, 2);
  }
}

/** The request handed to route handlers; `headers` is built only if a handler asks. */
export class ApiRequest implements HttpRequest {
  constructor(
    private readonly req: IncomingMessage,
    readonly method: string,
    readonly params: Readonly<Record<string, string | undefined>>,
    readonly query: URLSearchParams,
    readonly body: Buffer,
    private readonly stripAuthorization = false,
    private readonly res?: ServerResponse,
    readonly bodyStream?: Readable,
  ) {}

  private cancellation: Cancellation | undefined;

  /** Made on first use only (most handlers never ask): aborted when the response closes
   * before it finished — the caller hung up or its connection broke. */
  get signal(): CallSignal {
    if (!this.cancellation) {
      const c = (this.cancellation = new Cancellation());
      const res = this.res;
      if (res && !res.writableFinished) {
        if (this.req.socket.destroyed) c.abort();
        else res.once('close', () => res.writableFinished || c.abort());
      }
    }
    return this.cancellation;
  }

  get headers(): IncomingHttpHeaders {
    const h = this.req.headers;
    delete h[API_TOKEN_HEADER];
    if (this.stripAuthorization) delete h[AUTHORIZATION_HEADER];
    return h;
  }

  get peer(): string {
    return this.req.socket.remoteAddress ?? '';
  }

  get url(): string {
    return this.req.url ?? '/';
  }

  get rawHeaders(): readonly string[] {
    return this.req.rawHeaders;
  }
}
