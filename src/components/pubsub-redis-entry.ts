// How a pub/sub message is laid out in a stream entry — contrib's layout, so entries written
// by daprd are read here and the other way round: field `data` holds the published bytes,
// field `metadata` the publish metadata as a JSON object of strings.

/** The XADD field/value list for one message (ioredis sends Buffers as raw bytes). */
export function entryFields(data: Uint8Array, metadata: Readonly<Record<string, string>>): Buffer[] {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return [Buffer.from('data'), bytes, Buffer.from('metadata'), Buffer.from(JSON.stringify(metadata))];
}

export interface DecodedEntry {
  readonly data: Uint8Array;
  readonly metadata: Record<string, string>;
  /** why the metadata field was ignored, when it was */
  readonly metadataProblem?: string;
}

/**
 * Reads a flat [field, value, …] list. A missing `data` is an empty message; `metadata` that
 * is not a JSON object of strings is ignored (contrib logs it and delivers without metadata).
 */
export function decodeEntry(fields: readonly Buffer[]): DecodedEntry {
  let data: Uint8Array = new Uint8Array();
  let rawMetadata: Buffer | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString('utf8');
    if (name === 'data') data = new Uint8Array(fields[i + 1]!);
    else if (name === 'metadata') rawMetadata = fields[i + 1];
  }
  if (rawMetadata === undefined) return { data, metadata: {} };
  try {
    const parsed: unknown = JSON.parse(rawMetadata.toString('utf8'));
    if (parsed === null) return { data, metadata: {} }; // Go marshals a nil map as null
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== 'string') throw new Error(`value of ${JSON.stringify(k)} is not a string`);
      metadata[k] = v;
    }
    return { data, metadata };
  } catch (err) {
    return { data, metadata: {}, metadataProblem: (err as Error).message };
  }
}

const SEQ_MAX = 2n ** 64n - 1n;

/** The smallest stream ID after `id` (`ms-seq`), for paging XPENDING without Redis 6.2's `(`. */
export function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-');
  const s = BigInt(seq ?? '0');
  return s >= SEQ_MAX ? `${BigInt(ms ?? '0') + 1n}-0` : `${ms}-${s + 1n}`;
}

/** One stream entry as Redis returned it; `fields` is null for an entry deleted meanwhile. */
export interface RawEntry {
  readonly id: string;
  readonly fields: Buffer[] | null;
}

function entries(list: unknown): RawEntry[] {
  if (!Array.isArray(list)) return [];
  const out: RawEntry[] = [];
  for (const e of list) {
    // Redis before 7 may answer nil for an entry that was trimmed away.
    if (!Array.isArray(e) || e[0] == null) continue;
    const fields = Array.isArray(e[1]) ? (e[1] as unknown[]).map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(String(f)))) : null;
    out.push({ id: String(e[0]), fields });
  }
  return out;
}

/** XREADGROUP … STREAMS <one stream>: the entries (nil reply: none arrived within BLOCK). */
export function readGroupEntries(reply: unknown): RawEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply.flatMap((stream) => (Array.isArray(stream) ? entries(stream[1]) : []));
}

/** XCLAIM: the claimed entries. */
export function claimedEntries(reply: unknown): RawEntry[] {
  return entries(reply);
}

export interface PendingEntry {
  readonly id: string;
  readonly consumer: string;
  readonly idleMs: number;
  /** how many times the entry was delivered so far */
  readonly deliveries: number;
}

/** XPENDING's extended form: [id, consumer, idle ms, delivery count] per entry. */
export function pendingEntries(reply: unknown): PendingEntry[] {
  if (!Array.isArray(reply)) return [];
  return reply
    .filter((r): r is unknown[] => Array.isArray(r) && r.length >= 4)
    .map((r) => ({ id: String(r[0]), consumer: String(r[1]), idleMs: Number(r[2]), deliveries: Number(r[3]) }));
}
