// The HTTP form of an output binding call, `{"operation": …, "data": …, "metadata": {…}}`,
// read as daprd reads it. Pure.
//
// daprd decodes the body into a Go struct (field names match case-insensitively, an exact
// match winning; unknown fields are ignored) and hands the binding json.Marshal(data): a JSON
// string arrives WITH its quotes, an object with sorted keys, a missing `data` as `null`.
// goJsonMarshal reproduces Go's encoding byte for byte.
import { DaprError } from '../errors/table.js';
import { goJsonMarshal, goJsonParse } from '../core/go-json.js';

export interface OutputBindingBody {
  readonly operation: string;
  readonly data: Uint8Array;
  readonly metadata: Record<string, string>;
}

const malformed = (detail: string): DaprError => new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${detail}`);

/** The value of `field` in `obj`, matched as Go's encoding/json matches struct fields. */
function goField(obj: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(obj, field)) return obj[field];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === field);
  return key === undefined ? undefined : obj[key];
}

export function parseOutputBindingBody(body: Uint8Array): OutputBindingBody {
  if (body.length === 0) throw malformed('the body is empty; expected {"operation": …, "data": …, "metadata": {…}}');
  let doc: unknown;
  try {
    doc = goJsonParse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw malformed((err as Error).message);
  }
  // JSON null decodes into an empty struct in Go: no error here, "operation is missing" later.
  if (doc === null) return { operation: '', data: Buffer.from('null'), metadata: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw malformed(`expected a JSON object, got ${Array.isArray(doc) ? 'an array' : typeof doc}`);
  const obj = doc as Record<string, unknown>;

  const operation = goField(obj, 'operation');
  if (operation !== undefined && operation !== null && typeof operation !== 'string') throw malformed('operation must be a string');

  const md = goField(obj, 'metadata');
  const metadata: Record<string, string> = {};
  if (md !== undefined && md !== null) {
    if (typeof md !== 'object' || Array.isArray(md)) throw malformed('metadata must be an object of strings');
    for (const [k, v] of Object.entries(md as Record<string, unknown>)) {
      if (typeof v !== 'string') throw malformed(`metadata.${k} must be a string`);
      metadata[k] = v;
    }
  }
  const data = goField(obj, 'data');
  return {
    operation: typeof operation === 'string' ? operation : '',
    data: Buffer.from(goJsonMarshal(data === undefined ? null : data), 'utf8'),
    metadata,
  };
}
