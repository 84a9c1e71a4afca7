// Shapes shared by the HTTP adapter's pieces: a route table entry and the request/response
// the universal handler wrapper passes to and from route handlers.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { CallSignal } from '../../util/call-signal.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS' | 'TRACE';

export interface HttpRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** headers with the API token removed */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly peer: string;
  /** the request target as received (path and query, not decoded) */
  readonly url: string;
  /** header name/value pairs as received (names as sent), the API token already removed */
  readonly rawHeaders: readonly string[];
  /** aborted when the caller goes away (its connection closes) before the answer was sent,
   * so work done on its behalf (a call to the app) can stop */
  readonly signal?: CallSignal;
  /** routes with `streamBody` only: the body as it arrives (limited to --max-body-size; an
   * error on it is the reason to answer with), instead of `body`; undefined when none was sent */
  readonly bodyStream?: Readable;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | string[]>>;
  readonly body?: string | Uint8Array;
  /** instead of `body`: relayed as it arrives, with backpressure; destroyed if the caller goes away */
  readonly stream?: Readable;
  /** the length of `stream` when known (sent as Content-Length; otherwise chunked) */
  readonly length?: number;
  /** the caller's error when `stream` fails before its first byte (the head not sent yet) */
  readonly streamFailure?: (err: unknown) => unknown;
}

/** Serves requests no route matches when `matches` says so (the dapr-app-id header form of
 * service invocation); otherwise such requests get daprd's 404. */
export interface FallbackRoute {
  readonly def: RouteDef;
  matches(rawHeaders: readonly string[]): boolean;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse> | HttpResponse;

export interface RouteDef {
  readonly method: HttpMethod;
  /** find-my-way pattern, e.g. /v1.0/state/:storeName/:key */
  readonly path: string;
  readonly handler: HttpHandler;
  /** the only routes that skip the API token: decided on the matched route, never on text */
  readonly authExempt?: boolean;
  /** label for metrics/logs (Dapr API group), e.g. "state" */
  readonly group: string;
  /** the handler gets the body as a stream (`bodyStream`), not read whole beforehand */
  readonly streamBody?: boolean;
}

export const NO_CONTENT: HttpResponse = Object.freeze({ status: 204 });

export function json(status: number, value: unknown, headers?: Record<string, string>): HttpResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}
