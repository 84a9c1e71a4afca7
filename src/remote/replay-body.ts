// A streamed request body, remembered as it is sent until the remote sidecar's answer begins,
// so that a call refused before then can be sent again: to a freshly resolved address (the
// remembered one went stale), or as unary CallLocal (the peer does not serve CallLocalStream —
// daprd re-sends "replayable" requests the same way). Memory stays bounded: past `limit`
// bytes nothing more is kept and the call cannot be replayed; a refusal comes before the
// peer reads much (HTTP/2 flow control holds the rest back), so a small limit suffices.
import { Readable } from 'node:stream';

/** How much of a body is kept for a replay. */
export const REPLAY_LIMIT_BYTES = 1024 * 1024;

export class BodyRecord {
  private kept: Buffer[] | undefined = [];
  private size = 0;
  private ended = false;

  constructor(private readonly limit = REPLAY_LIMIT_BYTES) {}

  /** a chunk taken from the source and sent */
  add(chunk: Buffer): void {
    if (!this.kept) return;
    this.size += chunk.length;
    if (this.size > this.limit) this.kept = undefined;
    else this.kept.push(chunk);
  }

  /** the source ended (everything it had was add()ed) */
  end(): void {
    this.ended = true;
  }

  /** the answer began: no replay any more, let go of what was kept */
  stop(): void {
    this.kept = undefined;
  }

  get replayable(): boolean {
    return this.kept !== undefined;
  }

  /**
   * The whole body again — what was sent, then what the source still holds — or undefined
   * when too much was sent to keep. The source must no longer be read by anyone else.
   */
  replay(source: Readable): Readable | undefined {
    const kept = this.kept;
    if (!kept) return undefined;
    this.kept = undefined;
    const rest = this.ended || source.readableEnded ? undefined : source;
    if (kept.length === 0 && rest) return source; // nothing taken yet: the source as it is
    return Readable.from((async function* () {
      yield* kept;
      if (rest) for await (const c of rest) yield c as Buffer;
    })(), { objectMode: false });
  }
}
