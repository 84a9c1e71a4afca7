// Metadata a handler adds to its answer (grpc-go's SetHeader / SetTrailer), as the header
// object the server sends. Names the transport owns — pseudo-headers, grpc-*, the content
// type, connection-scoped names — never come from a handler: an app's answer relayed as
// metadata must not be able to change the call's status or framing. Pure.
import type { OutgoingHttpHeaders } from 'node:http2';
import type { HeaderPairs } from '../../appchannel/channel.js';
import { isHeaderName, isHeaderValue } from '../../util/header-chars.js';

const TRANSPORT = new Set(['content-type', 'content-length', 'te', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'trailer']);

/** Whether metadata `name` (lower case) may come from a handler. */
export const isHandlerMetadata = (name: string): boolean =>
  isHeaderName(name) && !name.startsWith('grpc-') && !TRANSPORT.has(name) && name === name.toLowerCase();

/** Adds `pairs` to `into` (repeated names become lists); what may not be sent is left out. */
export function addMetadata(into: OutgoingHttpHeaders, pairs: HeaderPairs): void {
  for (const [name, value] of pairs) {
    if (!isHandlerMetadata(name) || !isHeaderValue(value)) continue;
    const prev = into[name];
    into[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  }
}
