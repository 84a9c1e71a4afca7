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
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly maxMessageBytes: number,
    private readonly encoding: string | undefined,
  ) {}

  push(chunk: Buffer): Uint8Array[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Uint8Array[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (len > this.maxMessageBytes) {
        throw new GrpcStatusError(
          GrpcCode.RESOURCE_EXHAUSTED,
          `grpc: received message larger than max (${len} vs. ${this.maxMessageBytes})`,
        );
      }
      if (this.buf.length < 5 + len) break;
      const compressed = this.buf[0] === 1;
      let msg: Uint8Array = this.buf.subarray(5, 5 + len);
      if (compressed) msg = this.decompress(msg);
      out.push(msg);
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }

  /** bytes of an incomplete frame left at end of stream */
  get pending(): number {
    return this.buf.length;
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
