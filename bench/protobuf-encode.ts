// Microbenchmark: what encoding string fields costs protobuf-es, with its own encoder
// (TextEncoder) and with Node's (src/util/protobuf-utf8.ts), on messages the sidecar encodes
// per call — the head of a sidecar-to-sidecar HTTP invocation (the caller's headers travel as
// metadata), the callee's answer head, and a gRPC GetState answer. In one process, alternating
// rounds. `node dist/bench/protobuf-encode.js` (knob: BENCH_ENCODE_N, calls per round).
import { create, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { configureTextEncoding, getTextEncoding } from '@bufbuild/protobuf/wire';
import { InternalInvokeRequestStreamSchema, InternalInvokeResponseStreamSchema } from '../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { GetStateResponseSchema } from '../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { streamHead } from '../src/remote/invoke-streamed.js';
import { useNodeUtf8Encoder } from '../src/util/protobuf-utf8.js';

const N = Number(process.env.BENCH_ENCODE_N ?? 100_000);
const ROUNDS = 3;

// What a curl-like caller sends (the token is stripped before this point).
const head = streamHead({
  verb: 'POST', method: 'orders/new', query: 'tenant=a', body: new Uint8Array(11),
  headers: [['host', '127.0.0.1:3500'], ['user-agent', 'curl/8.5.0'], ['accept', '*/*'], ['content-type', 'application/json'], ['traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']],
});
const cases: Array<[string, DescMessage, unknown]> = [
  ['invocation head (A → B)', InternalInvokeRequestStreamSchema, create(InternalInvokeRequestStreamSchema, { request: head })],
  ['answer head (B → A)', InternalInvokeResponseStreamSchema, create(InternalInvokeResponseStreamSchema, {
    response: { status: { code: 200 }, headers: { 'content-type': { values: ['application/json'] }, date: { values: ['Sun, 29 Nov 2026 09:00:00 GMT'] } } },
    payload: { data: new Uint8Array(11), seq: 0n },
  })],
  ['GetState answer', GetStateResponseSchema, create(GetStateResponseSchema, { data: new Uint8Array(20), etag: '17', metadata: {} })],
];

/** µs per toBinary of `msg`, after as many unmeasured calls. */
function timeIt(schema: DescMessage, msg: unknown): number {
  const encode = (): Uint8Array => toBinary(schema, msg as MessageShape<DescMessage>);
  for (let i = 0; i < N; i++) encode();
  const t = performance.now();
  for (let i = 0; i < N; i++) encode();
  return ((performance.now() - t) / N) * 1000;
}

const library = getTextEncoding();
const best = new Map<string, { library: number; node: number }>();
for (let r = 0; r < ROUNDS; r++) {
  for (const node of [false, true]) {
    if (node) useNodeUtf8Encoder();
    else configureTextEncoding(library);
    for (const [name, schema, msg] of cases) {
      const us = timeIt(schema, msg);
      const b = best.get(name) ?? { library: Infinity, node: Infinity };
      if (node) b.node = Math.min(b.node, us);
      else b.library = Math.min(b.library, us);
      best.set(name, b);
    }
  }
}
console.log(`toBinary, best of ${ROUNDS} alternating rounds × ${N.toLocaleString('en-US')} calls, node ${process.version}\n`);
console.log('| message | bytes | TextEncoder µs | Node encoder µs | ratio |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, schema, msg] of cases) {
  const b = best.get(name)!;
  console.log(`| ${name} | ${toBinary(schema, msg as MessageShape<DescMessage>).length} | ${b.library.toFixed(2)} | ${b.node.toFixed(2)} | ${(b.node / b.library).toFixed(2)} |`);
}
