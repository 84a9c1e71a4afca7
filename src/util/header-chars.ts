// What node lets through in an HTTP header (RFC 9110's token for a name; tab, visible ASCII and
// obs-text for a value): checked where a header comes from data — an app's answer, a resource
// file — so that node's own check never throws on the request path. Pure.

const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ODD_IN_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

export const isHeaderName = (name: string): boolean => NAME.test(name);
export const isHeaderValue = (value: string): boolean => !ODD_IN_VALUE.test(value);

const NOT_ASCII = /[^\x00-\x7f]/;

/** A string as a header value to send: its UTF-8 bytes, one character per byte, which node
 * writes as those bytes (it writes header strings as latin-1, and refuses wider characters). */
export function headerForm(text: string): string {
  return NOT_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/**
 * A header value from data, as Go's server or client writes it (daprd's side of the wire), or
 * undefined when node cannot send it at all: CR and LF become spaces, a value past Latin-1
 * goes as its UTF-8 bytes (one character per byte, which node writes as those bytes); other
 * control characters leave nothing to send.
 */
export function goHeaderValue(value: string): string | undefined {
  if (isHeaderValue(value)) return value;
  const v = headerForm(value.replace(/[\r\n]/g, ' ').trim());
  return isHeaderValue(v) ? v : undefined;
}
