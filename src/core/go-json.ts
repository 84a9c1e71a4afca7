// daprd decodes an HTTP state value into a Go `any` and stores json.Marshal of it, so the
// bytes a gRPC client later reads are Go's encoding: object keys sorted, "<", ">", "&",
// U+2028 and U+2029 escaped. To round-trip byte-for-byte as daprd does, we encode the same
// way. Numbers follow the same shortest round-trip rules in Go and JavaScript. Pure.

const ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => ESCAPES[c]!);
}

export function goJsonMarshal(value: unknown): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return JSON.stringify(value);
  if (typeof value === 'string') return goString(value);
  if (Array.isArray(value)) return `[${value.map(goJsonMarshal).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value as object).sort(compareUtf8);
    return `{${keys.map((k) => `${goString(k)}:${goJsonMarshal((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return 'null';
}

/** Go sorts map keys by their UTF-8 bytes; JS compares UTF-16 code units. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A struct field as Go's json.Unmarshal fills it from an object: keys match the field name
 * case-insensitively (the official JS SDK sends `entryID` where daprd's struct says
 * `entryId`), and when several keys match, the last one in the document wins, as each
 * overwrites the field in turn.
 */
export function goJsonField(obj: Readonly<Record<string, unknown>>, name: string): unknown {
  const folded = name.toLowerCase();
  let value: unknown;
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === folded) value = v;
  return value;
}
