// How every gRPC answer's head goes out: without the Date header that node's http2 adds to a
// response by default — grpc-go (daprd, and most gRPC apps) sends none, so a gRPC caller sees
// the same headers from Pillion as from daprd, and a proxied app's answer keeps exactly the
// headers the app sent. (`sendDate` is a respond() option node's typings leave out.)
import type { ServerStreamResponseOptions } from 'node:http2';

/** an answer whose data and trailers follow */
export const ANSWER = { waitForTrailers: true, sendDate: false } as ServerStreamResponseOptions;
/** a head that ends the stream: a trailers-only answer */
export const ENDED = { endStream: true, sendDate: false } as ServerStreamResponseOptions;
