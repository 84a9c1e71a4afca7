// How daprd reads the escapes of a request path, for the router. Go's server refuses a path
// with a malformed escape before any handler runs (400), and daprd reads every route parameter
// with url.QueryUnescape, where '+' is a space: `/v1.0/state/s/a+b` is the key "a b" there,
// and so here. Pure.

const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

/** The path the router matches: '+' as the space daprd reads (`%2B` stays a plus). */
export const routingPath = (rawPath: string): string => (rawPath.includes('+') ? rawPath.replaceAll('+', '%20') : rawPath);

/** Go's words for the first malformed escape of a path (url.EscapeError), or undefined. */
export function badEscape(rawPath: string): string | undefined {
  const m = BAD_ESCAPE.exec(rawPath);
  if (!m) return undefined;
  return `invalid URL escape ${JSON.stringify(rawPath.slice(m.index, m.index + 3))}`;
}

/** The path with every '%' escaped itself: what the router matches to find which route a path
 * whose parameters do not decode (to UTF-8) was meant for. */
export const literalPercents = (rawPath: string): string => rawPath.replaceAll('%', '%25');
