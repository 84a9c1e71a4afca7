// Small pure helpers the HTTP route adapters share.
import { DaprError } from '../../errors/table.js';
import { goJsonParse } from '../../core/go-json.js';

/** `?metadata.ttlInSeconds=5` → { ttlInSeconds: "5" } (daprd's query metadata convention). */
export function queryMetadata(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of query) if (k.startsWith('metadata.') && k.length > 9) out[k.slice(9)] = v;
  return out;
}

/** Parses a JSON body or throws ERR_MALFORMED_REQUEST naming the problem. */
export function parseJsonBody(body: Buffer, what: string): unknown {
  if (body.length === 0) throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${what} is empty`);
  try {
    return goJsonParse(body.toString('utf8'));
  } catch (err) {
    throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${(err as Error).message}`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A `{string: string}` map from JSON, or ERR_MALFORMED_REQUEST naming the field. */
export function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${field} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${field}.${k} must be a string`);
    out[k] = val;
  }
  return out;
}

/** Response headers `metadata.<k>` for store-returned metadata, as daprd sets them. */
export function metadataHeaders(md: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) out[`metadata.${k}`] = v;
  return out;
}
