// `bindings.http` (output): calls the configured URL, as components-contrib 1.17's binding
// does. Operation = HTTP method (`create` = POST); metadata `path` is appended to the URL;
// request metadata whose name starts with a capital letter becomes a request header (plus
// traceparent / tracestate / baggage); the answer's status and headers come back as metadata
// (`statusCode`, `status`, canonical header names), and a non-2xx status is an error unless
// `errorIfNot2XX` is false. Nothing else is sent: the sidecar's API token and the app token
// never reach this URL, because only the request's own metadata becomes headers.
import { readFile } from 'node:fs/promises';
import http, { validateHeaderName, validateHeaderValue } from 'node:http';
import https from 'node:https';
import { isAbsolute, resolve } from 'node:path';
import { httpCall, showUrl, type CallAgents } from '../bindings/http-call.js';
import { bindingFeatures, bindingSides, canonicalSpec } from './bindings-common.js';
import { MetadataReader, parseBool } from './metadata-values.js';
import { parseQuantity } from '../util/units.js';
import {
  BindingInvokeError,
  type Binding,
  type BindingInvokeRequest,
  type BindingInvokeResponse,
  type ComponentContext,
  type ComponentSpec,
} from './types.js';
import { toAbortSignal } from '../util/call-signal.js';

const FIELDS = ['url', 'MTLSRootCA', 'MTLSClientCert', 'MTLSClientKey', 'MTLSRenegotiation', 'securityToken', 'securityTokenHeader', 'responseTimeout', 'maxResponseBodySize', 'errorIfNot2XX'];
export const HTTP_OPERATIONS = ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'] as const;
const WITH_BODY = new Set(['PUT', 'POST', 'PATCH']);
const JSON_UTF8 = 'application/json; charset=utf-8';
const DEFAULT_MAX_BODY = 100 * 1024 * 1024;
const TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'];

export interface HttpBindingSettings {
  readonly url: URL;
  readonly tls: { ca?: string; cert?: string; key?: string };
  readonly securityToken?: { readonly header: string; readonly value: string };
  /** 0 = none */
  readonly responseTimeoutMs: number;
  /** <= 0 = no limit */
  readonly maxResponseBodyBytes: number;
  readonly errorIfNot2XX: boolean;
}

/** PEM text as given, or else the contents of the file it names (relative to the YAML file). */
async function pem(md: MetadataReader, field: string, baseDir: string): Promise<string | undefined> {
  const v = md.optional(field);
  if (v === undefined || v.includes('-----BEGIN')) return v;
  const file = isAbsolute(v) ? v : resolve(baseDir, v);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    return md.fail(field, `neither PEM text nor a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export async function httpBindingSettings(spec: ComponentSpec, baseDir: string): Promise<HttpBindingSettings> {
  const md = new MetadataReader(spec);
  const raw = md.required('url');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return md.fail('url', `not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') md.fail('url', `expected an http:// or https:// URL, got "${url.protocol}"`);
  if (md.optional('MTLSRenegotiation') !== undefined) md.fail('MTLSRenegotiation', "Pillion's HTTP client has a fixed TLS renegotiation policy; remove this field");
  const cert = await pem(md, 'MTLSClientCert', baseDir);
  const key = await pem(md, 'MTLSClientKey', baseDir);
  const token = md.optional('securityToken');
  const tokenHeader = md.optional('securityTokenHeader');
  if (tokenHeader !== undefined) {
    try {
      validateHeaderName(tokenHeader);
    } catch {
      md.fail('securityTokenHeader', `not a valid header name: "${tokenHeader}"`);
    }
  }
  const sizeText = md.optional('maxResponseBodySize');
  const size = sizeText === undefined ? DEFAULT_MAX_BODY : parseQuantity(sizeText) ?? md.fail('maxResponseBodySize', `expected a size such as 1048576 or "10Mi", got "${sizeText}"`);
  return {
    url,
    // A client certificate is used only with both halves, as contrib does.
    tls: { ca: await pem(md, 'MTLSRootCA', baseDir), ...(cert && key ? { cert, key } : {}) },
    securityToken: token !== undefined && tokenHeader !== undefined ? { header: tokenHeader, value: token } : undefined,
    responseTimeoutMs: Math.max(0, md.duration('responseTimeout', 0)),
    maxResponseBodyBytes: size,
    errorIfNot2XX: md.bool('errorIfNot2XX', true),
  };
}

/** Go's CanonicalMIMEHeaderKey: `content-type` → `Content-Type`. */
export function canonicalHeader(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** The URL for a request: metadata `path` appended with exactly one slash between. */
export function targetUrl(base: URL, path: string | undefined): URL {
  if (!path) return base;
  return new URL(base.href.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, ''));
}

/** Request headers from the request metadata, with contrib's defaults; Go's Header.Set
 * semantics (one value per name, names compared case-insensitively, the last one wins). */
export function requestHeaders(s: HttpBindingSettings, metadata: Readonly<Record<string, string>>, hasBody: boolean): Array<[string, string]> {
  const out = new Map<string, [string, string]>();
  const set = (k: string, v: string): void => {
    validateHeaderName(k);
    validateHeaderValue(k, v);
    out.set(k.toLowerCase(), [canonicalHeader(k), v]);
  };
  if (hasBody && !Object.hasOwn(metadata, 'Content-Type')) set('Content-Type', JSON_UTF8);
  if (!Object.hasOwn(metadata, 'Accept')) set('Accept', JSON_UTF8);
  if (s.securityToken) set(s.securityToken.header, s.securityToken.value);
  for (const [k, v] of Object.entries(metadata)) if (/^[A-Z]/.test(k)) set(k, v);
  for (const k of TRACE_KEYS) if (metadata[k]) set(k, metadata[k]);
  return [...out.values()];
}

/** The answer as binding metadata: status, then each header (repeated ones joined by ", "). */
export function responseMetadata(status: number, statusText: string, raw: readonly string[]): Record<string, string> {
  const md: Record<string, string> = { statusCode: String(status), status: `${status} ${statusText}`.trim() };
  const seen = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = canonicalHeader(raw[i]!);
    if (name === 'Transfer-Encoding') continue; // Go consumes it; it is not part of Header
    const list = seen.get(name) ?? [];
    list.push(raw[i + 1]!);
    seen.set(name, list);
  }
  for (const [k, v] of seen) md[k] = v.join(', ');
  return md;
}

export async function createHttpBinding(spec: ComponentSpec, ctx: ComponentContext): Promise<Binding> {
  const cspec = canonicalSpec(spec, FIELDS);
  const sides = bindingSides(cspec, { input: false, output: true });
  const s = await httpBindingSettings(cspec, ctx.baseDir);
  const agents: CallAgents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true, minVersion: 'TLSv1.2', ...s.tls }),
  };
  const sensitive = new Set(s.securityToken ? [s.securityToken.header.toLowerCase()] : []);

  async function invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse> {
    const method = req.operation.toUpperCase() === 'CREATE' ? 'POST' : req.operation.toUpperCase();
    const url = targetUrl(s.url, req.metadata.path);
    const hasBody = WITH_BODY.has(method);
    let headers: Array<[string, string]>;
    try {
      headers = requestHeaders(s, req.metadata, hasBody);
    } catch (err) {
      throw new Error(`${method} ${showUrl(url)}: ${(err as Error).message}`);
    }
    const signals = [req.signal && toAbortSignal(req.signal), s.responseTimeoutMs > 0 ? AbortSignal.timeout(s.responseTimeoutMs) : undefined].filter((x): x is AbortSignal => x !== undefined);
    const res = await httpCall(
      { method, url, headers, body: hasBody ? req.data : undefined, sensitive, signal: signals.length ? AbortSignal.any(signals) : undefined },
      agents,
      s.maxResponseBodyBytes,
    );
    const response = { data: new Uint8Array(res.body), metadata: responseMetadata(res.status, res.statusText, res.rawHeaders) };
    const override = req.metadata.errorIfNot2XX ? parseBool(req.metadata.errorIfNot2XX) === true : s.errorIfNot2XX;
    if (override && Math.floor(res.status / 100) !== 2) throw new BindingInvokeError(`received status code ${res.status}`, response);
    return response;
  }

  return {
    kind: 'bindings',
    features: bindingFeatures(sides),
    output: { operations: HTTP_OPERATIONS, invoke },
    async close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
