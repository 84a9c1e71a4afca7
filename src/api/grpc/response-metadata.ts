// Metadata a handler adds to its answer (grpc-go's SetHeader / SetTrailer), as the header
// object the server sends. Names the transport owns — pseudo-headers, grpc-*, the content
// type, connection-scoped names — never come from a handler: an app's answer relayed as
// metadata must not be able to change the call's status or framing. Pure.
import type { OutgoingHttpHeaders } from 'node:http2';
import type { HeaderPairs } from '../../appchannel/channel.js';
import { isHeaderName, isHeaderValue } from '../../util/header-chars.js';

const TRANSPORT = new Set(['content-type', 'content-length', 'te', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'trailer', 'http2-settings']);

/** Whether metadata `name` (lower case) may come from a handler. */
const isHandlerMetadata = (name: string): boolean =>
  isHeaderName(name) && !name.startsWith('grpc-') && !TRANSPORT.has(name) && name === name.toLowerCase();

/** Adds `pairs` to `into`; what may not be sent is left out. A repeated name's values are
 * joined with ", " (RFC 9110 §5.3; gRPC reads metadata so, -bin values too), as node refuses a
 * list for names it holds to one value (etag, location, …) — a throw that would end the call;
 * set-cookie, whose values may hold commas, stays a list (node sends those as separate lines). */
export function addMetadata(into: OutgoingHttpHeaders, pairs: HeaderPairs): void {
  for (const [name, value] of pairs) {
    if (!isHandlerMetadata(name) || !isHeaderValue(value)) continue;
    const prev = into[name];
    if (prev === undefined) into[name] = value;
    else if (name === 'set-cookie') into[name] = Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    else into[name] = `${String(prev)}, ${value}`;
  }
}
