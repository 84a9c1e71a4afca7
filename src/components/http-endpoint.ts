// `kind: HTTPEndpoint` resources (daprd 1.11+): a name for an endpoint outside Dapr, so that
// `/v1.0/invoke/<name>/method/…` (and InvokeService with that id) calls <baseUrl>/<method>
// with the headers the resource adds (values inline or from a secret store) and, for HTTPS,
// the client TLS it sets (root CA, client certificate and key). Validated at start-up like
// components: a broken document stops the sidecar naming the file, line and field. Scopes
// and namespaces apply as for components.
import { z } from 'zod';
import type { ResourceDocument } from './resource-files.js';
import { located as at, schemaProblems, type OtherResource } from './resource-schema.js';
import { ComponentConfigError, ResourcesError, type SecretStore } from './types.js';
import { isHeaderName, isHeaderValue } from '../util/header-chars.js';

export const HTTP_ENDPOINT_KIND = 'HTTPEndpoint';

/** An endpoint ready to call: every secret already read. */
export interface HttpEndpoint {
  readonly name: string;
  readonly url: URL;
  /** set on every call (over what the caller sent under the same names) */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** PEM texts from spec.clientTLS */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
}

const secretRef = z.object({ name: z.string().min(1), key: z.string().optional() });
const valueOrRef = z.object({ value: z.string().optional(), secretKeyRef: secretRef.optional() })
  .refine((v) => v.value !== undefined || v.secretKeyRef !== undefined, { message: 'needs value or secretKeyRef' });
const endpointDoc = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal(HTTP_ENDPOINT_KIND),
  metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }),
  spec: z.object({
    baseUrl: z.string().min(1),
    headers: z.array(z.object({ name: z.string().min(1), value: z.string().optional(), secretKeyRef: secretRef.optional() })).nullish(),
    clientTLS: z.object({ rootCA: valueOrRef.optional(), certificate: valueOrRef.optional(), privateKey: valueOrRef.optional() }).nullish(),
  }),
  scopes: z.array(z.string()).nullish(),
  auth: z.object({ secretStore: z.string().min(1) }).nullish(),
});
type EndpointDoc = z.infer<typeof endpointDoc>;

/** A baseUrl as an endpoint needs it, or why not. */
export function baseUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `expected an http:// or https:// URL, got ${url.protocol}`;
  if (url.username || url.password) return 'must not carry a user name or password (use spec.headers)';
  if (url.search || url.hash) return 'must not carry a query or fragment';
  return undefined;
}

/**
 * The HTTPEndpoints that apply to this app, with their secrets read from the loaded secret
 * stores. Throws ResourcesError listing every problem (schema, baseUrl, duplicates, secrets).
 */
export async function loadHttpEndpoints(
  others: readonly OtherResource[], appId: string, namespace: string | undefined,
  secrets: (name: string) => SecretStore | undefined,
): Promise<Map<string, HttpEndpoint>> {
  const problems: string[] = [];
  const out = new Map<string, HttpEndpoint>();
  for (const o of others) {
    if (o.kind !== HTTP_ENDPOINT_KIND || !o.doc) continue;
    const parsed = endpointDoc.safeParse(o.doc.value);
    if (!parsed.success) {
      problems.push(...schemaProblems(o.doc, parsed.error));
      continue;
    }
    const e = parsed.data;
    const scopes = e.scopes ?? [];
    if (scopes.length > 0 && !scopes.includes(appId)) continue;
    if (namespace && e.metadata.namespace && e.metadata.namespace !== namespace) continue;
    const where = at(o.doc, ['spec', 'baseUrl']);
    const bad = baseUrlProblem(e.spec.baseUrl);
    if (bad) {
      problems.push(`${where}: spec.baseUrl: ${bad}`);
      continue;
    }
    if (out.has(e.metadata.name)) {
      problems.push(`${at(o.doc, [])}: metadata.name: duplicate HTTPEndpoint name ${e.metadata.name}`);
      continue;
    }
    try {
      out.set(e.metadata.name, await resolve(e, o.doc, secrets));
    } catch (err) {
      if (!(err instanceof ComponentConfigError)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new ResourcesError(problems, 'HTTPEndpoint resources');
  return out;
}

// set by the sidecar from the request itself
const FRAMING = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'expect']);

async function resolve(e: EndpointDoc, doc: ResourceDocument, secrets: (name: string) => SecretStore | undefined): Promise<HttpEndpoint> {
  const read = async (field: string, path: readonly PropertyKey[], v: { value?: string; secretKeyRef?: { name: string; key?: string } }): Promise<string> => {
    if (!v.secretKeyRef) return v.value ?? '';
    const store = e.auth?.secretStore;
    if (!store) throw new ComponentConfigError(at(doc, path), `${field}.secretKeyRef`, 'auth.secretStore must name the secret store to read it from');
    const s = secrets(store);
    if (!s) throw new ComponentConfigError(at(doc, ['auth', 'secretStore']), 'auth.secretStore', `secret store ${store} is not loaded`);
    const { name } = v.secretKeyRef;
    const key = v.secretKeyRef.key || name;
    const value = (await s.get(name))?.[key];
    if (value === undefined) throw new ComponentConfigError(at(doc, path), `${field}.secretKeyRef`, `secret ${name} (key ${key}) not found in secret store ${store}`);
    return value;
  };
  const headers: Array<[string, string]> = [];
  for (const [i, h] of (e.spec.headers ?? []).entries()) {
    const name = h.name.toLowerCase();
    const value = await read(`spec.headers[${i}]`, ['spec', 'headers', i], h);
    // Checked here, not at the first call: a header node cannot send would fail every call,
    // and framing headers would make the endpoint wait for a body that never comes.
    if (!isHeaderName(name) || FRAMING.has(name)) {
      throw new ComponentConfigError(at(doc, ['spec', 'headers', i, 'name']), `spec.headers[${i}].name`, `"${h.name}" is not a header the sidecar can add (a token; not ${[...FRAMING].join(', ')})`);
    }
    // only the position is named: the value may come from a secret
    if (!isHeaderValue(value)) throw new ComponentConfigError(at(doc, ['spec', 'headers', i]), `spec.headers[${i}].value`, 'holds a character a header cannot carry (CR, LF, a control character, or one past U+00FF)');
    headers.push([name, value]);
  }
  const t = e.spec.clientTLS;
  let tls: HttpEndpoint['tls'];
  if (t) {
    const pem = (f: 'rootCA' | 'certificate' | 'privateKey') => (t[f] ? read(`spec.clientTLS.${f}`, ['spec', 'clientTLS', f], t[f]!) : Promise.resolve(undefined));
    tls = { ca: await pem('rootCA'), cert: await pem('certificate'), key: await pem('privateKey') };
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      throw new ComponentConfigError(at(doc, ['spec', 'clientTLS']), 'spec.clientTLS', 'certificate and privateKey go together');
    }
  }
  return { name: e.metadata.name, url: new URL(e.spec.baseUrl), headers, tls };
}
