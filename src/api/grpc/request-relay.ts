// A proxied call's request body, relayed from the caller's HTTP/2 stream to the upstream one
// (the app, or the remote sidecar) — like Readable#pipe, with one difference that saves a
// write per call: chunks are held until the event-loop turn they arrived in ends.
//
// Why: a unary call arrives as HEADERS, DATA and END_STREAM in one packet, but node:http2
// hands them over one callback at a time, and the body's 'end' comes a tick after its data.
// Piped, the data is written at once and end() has to wait for that write to be flushed, so
// the upstream gets two writes: HEADERS + DATA, then a bare END_STREAM one loop iteration
// later — and a unary server answers only after the second. Handed over together
// (end(chunk) in one tick), node sets END_STREAM on the last DATA frame, and the whole request
// leaves in one write. A streaming call's messages go on at the end of the turn that brought
// them (setImmediate), before the sidecar waits for anything else.
import type { Readable, Writable } from 'node:stream';

export function relayRequest(from: Readable, to: Writable): void {
  let held: Buffer[] = [];
  let scheduled = false;
  const take = (): Buffer | undefined => {
    if (!held.length) return undefined;
    const chunk = held.length === 1 ? held[0]! : Buffer.concat(held);
    held = [];
    return chunk;
  };
  const open = (): boolean => !to.destroyed && !to.writableEnded;
  const flush = (): void => {
    scheduled = false;
    const chunk = take();
    // Backpressure: the caller is read no further until the upstream drained.
    if (chunk && open() && !to.write(chunk)) from.pause();
  };
  const onData = (chunk: Buffer): void => {
    held.push(chunk);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const onDrain = (): void => void from.resume();
  const onEnd = (): void => {
    const chunk = take();
    if (open()) to.end(chunk);
    stop();
  };
  // The upstream went away (its error or reset is handled by the relay): relay no more. What
  // the caller still sends is read and dropped, so its flow-control window never stalls.
  const stop = (): void => {
    held = [];
    from.off('data', onData).off('end', onEnd);
    to.off('drain', onDrain).off('close', stop);
  };
  from.on('data', onData).once('end', onEnd);
  to.on('drain', onDrain).once('close', stop);
}
