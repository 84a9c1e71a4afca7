// gRPC length-prefixed message framing (1 byte compressed flag + 4 bytes big-endian length).
// Kept separate from the server so the same decoder serves unary calls, streams and, later,
// the transparent proxy.
import { gunzipSync, inflateSync } from 'node:zlib';
import { DaprError } from '../../errors/table.js';
import { GrpcStatusError } from './status.js';
import { GrpcCode } from '../../errors/table.js';

export function encodeFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/** Incremental decoder: push chunks, get back complete messages. */
export class FrameDecoder {
  // Received bytes not yet returned, as the chunks they came in: a large message arriving in
  // many chunks is joined once, when it is complete, not re-copied on every chunk.
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly encoding: string | undefined,
  ) {}

  push(chunk: Buffer): Uint8Array[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    const out: Uint8Array[] = [];
    while (this.size >= 5) {
      const head = this.peek(5);
      const len = head.readUInt32BE(1);
      if (len > this.maxMessageBytes) {
        throw new GrpcStatusError(
          GrpcCode.RESOURCE_EXHAUSTED,
          `grpc: received message larger than max (${len} vs. ${this.maxMessageBytes})`,
        );
      }
      if (this.size < 5 + len) break;
      const compressed = head[0] === 1;
      let msg: Uint8Array = this.take(5 + len).subarray(5);
      if (compressed) msg = this.decompress(msg);
      out.push(msg);
    }
    return out;
  }

  /** The first n buffered bytes (n <= size), joining the leading chunks if they are split. */
  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!;
  }

  /** Removes and returns the first n buffered bytes (n <= size). */
  private take(n: number): Buffer {
    const first = this.peek(n);
    const taken = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.size -= n;
    return taken;
  }

  /** bytes of an incomplete frame left at end of stream */
  get pending(): number {
    return this.size;
  }

  private decompress(msg: Uint8Array): Uint8Array {
    try {
      if (this.encoding === 'gzip') return gunzipSync(msg, { maxOutputLength: this.maxMessageBytes });
      if (this.encoding === 'deflate') return inflateSync(msg, { maxOutputLength: this.maxMessageBytes });
    } catch (err) {
      throw new DaprError('ERR_MALFORMED_REQUEST', `grpc: failed to decompress the message: ${(err as Error).message}`);
    }
    throw new GrpcStatusError(
      GrpcCode.UNIMPLEMENTED,
      `grpc: Decompressor is not installed for grpc-encoding "${this.encoding ?? ''}"`,
    );
  }
}
