// Microbenchmark: what protobuf-es costs per message the sidecar encodes or decodes on every
// call — the head of a sidecar-to-sidecar HTTP invocation (the caller's headers travel as
// metadata), the callee's answer head, and a gRPC GetState answer — toBinary and fromBinary,
// best of 3 rounds. It prints the library's version: run it in two checkouts to compare
// versions (how the 2.11 → 2.17 upgrade was measured, bench/README.md "protobuf-es 2.17").
// `node dist/bench/protobuf-encode.js` (knob: BENCH_ENCODE_N, calls per round).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { InternalInvokeRequestStreamSchema, InternalInvokeResponseStreamSchema } from '../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { GetStateResponseSchema } from '../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { streamHead } from '../src/remote/invoke-streamed.js';

const N = Number(process.env.BENCH_ENCODE_N ?? 100_000);
const ROUNDS = 3;
// (the package exports no package.json: read it next to its entry point, dist/<format>/index.js)
const entry = createRequire(import.meta.url).resolve('@bufbuild/protobuf');
const version = (JSON.parse(readFileSync(join(dirname(entry), '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

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

/** µs per call of `fn`, after as many unmeasured calls. */
function timeIt(fn: () => unknown): number {
  for (let i = 0; i < N; i++) fn();
  const t = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - t) / N) * 1000;
}

const best = new Map<string, { encode: number; decode: number }>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, schema, msg] of cases) {
    const bytes = toBinary(schema, msg as MessageShape<DescMessage>);
    const encode = timeIt(() => toBinary(schema, msg as MessageShape<DescMessage>));
    const decode = timeIt(() => fromBinary(schema, bytes));
    const b = best.get(name) ?? { encode: Infinity, decode: Infinity };
    best.set(name, { encode: Math.min(b.encode, encode), decode: Math.min(b.decode, decode) });
  }
}
console.log(`@bufbuild/protobuf ${version}, best of ${ROUNDS} rounds × ${N.toLocaleString('en-US')} calls, node ${process.version}\n`);
console.log('| message | bytes | toBinary µs | fromBinary µs |');
console.log('|---|---:|---:|---:|');
for (const [name, schema, msg] of cases) {
  const b = best.get(name)!;
  console.log(`| ${name} | ${toBinary(schema, msg as MessageShape<DescMessage>).length} | ${b.encode.toFixed(2)} | ${b.decode.toFixed(2)} |`);
}
