// protobuf-es turns every string field it encodes into bytes with TextEncoder.encode, which in
// Node 20 allocates a fresh ArrayBuffer per call: 1.4 µs per string on a slow machine, half
// of what encoding a sidecar-to-sidecar request head costs (~10 strings: the caller's headers
// as metadata, method, content type). Buffer.from writes small strings into Node's pooled slab
// in 0.2 µs, and produces the same bytes (lone surrogates become U+FFFD in both). The library
// provides this hook (configureTextEncoding) for swapping the encoder; decoding (TextDecoder is
// already fast) and the UTF-8 check stay the library's own. bench/README.md "String encoding".
import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';

/** Node's encoder for protobuf-es string fields, in this process from now on. */
export function useNodeUtf8Encoder(): void {
  const lib = getTextEncoding();
  configureTextEncoding({
    encodeUtf8,
    decodeUtf8: lib.decodeUtf8,
    checkUtf8: lib.checkUtf8,
  });
}

/** UTF-8 bytes of `text` (a view into Node's shared pool for short strings: protobuf-es copies
 * every chunk into the message's own buffer before the call returns). The pool is a plain
 * ArrayBuffer, never a shared one, as the library's type asks. */
export const encodeUtf8 = (text: string): Uint8Array<ArrayBuffer> => Buffer.from(text, 'utf8') as Uint8Array<ArrayBuffer>;
