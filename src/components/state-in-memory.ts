// `state.in-memory`: a Map-backed store for tests and local development. Nothing survives a
// restart. Every operation runs synchronously inside one call, so concurrent requests cannot
// interleave between an ETag check and the write that depends on it.

import {
  checkWrite,
  deleteMode,
  expiryFrom,
  expiryMetadata,
  STATE_FEATURES,
  writeMode,
} from './state-semantics.js';
import type {
  ComponentContext,
  ComponentSpec,
  StateDelete,
  StateItem,
  StateStore,
  StoredValue,
  TransactionOp,
} from './types.js';

interface Entry {
  readonly value: Uint8Array;
  readonly etag: string;
  readonly expiresAt: number | undefined;
}

/** `null` in a staged transaction means "deleted by an earlier op of the same transaction". */
type Staged = Map<string, Entry | null>;

export class InMemoryStateStore implements StateStore {
  readonly kind = 'state' as const;
  readonly features = STATE_FEATURES;
  private readonly entries = new Map<string, Entry>();
  /** ETags are a per-store counter: opaque to clients, unique for the store's lifetime. */
  private version = 0;

  async get(key: string): Promise<StoredValue | undefined> {
    const e = this.live(key, Date.now());
    if (!e) return undefined;
    // Hand out a copy: a caller mutating the returned bytes must not change the stored value.
    // (`new Uint8Array(x)` copies; Buffer#slice would return a view.)
    return { value: new Uint8Array(e.value), etag: e.etag, metadata: expiryMetadata(e.expiresAt) };
  }

  async bulkGet(keys: readonly string[]): Promise<Array<StoredValue | undefined>> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(item: StateItem): Promise<void> {
    const now = Date.now();
    const next = this.prepareSet(item, this.live(item.key, now), now);
    this.entries.set(item.key, next);
  }

  async delete(req: StateDelete): Promise<void> {
    checkWrite(req.key, deleteMode(req), req.etag, this.live(req.key, Date.now())?.etag);
    this.entries.delete(req.key);
  }

  /**
   * Validates every op against a staged view (so a later op sees the effect of an earlier one
   * on the same key) and only then applies the staged result: a mismatch anywhere leaves the
   * store untouched.
   */
  async transact(ops: readonly TransactionOp[]): Promise<void> {
    const now = Date.now();
    const staged: Staged = new Map();
    const current = (key: string): Entry | undefined =>
      staged.has(key) ? staged.get(key) ?? undefined : this.live(key, now);
    for (const op of ops) {
      const req = op.request;
      if (op.operation === 'upsert') {
        staged.set(req.key, this.prepareSet(op.request, current(req.key), now));
      } else {
        checkWrite(req.key, deleteMode(req), req.etag, current(req.key)?.etag);
        staged.set(req.key, null);
      }
    }
    for (const [key, entry] of staged) {
      if (entry) this.entries.set(key, entry);
      else this.entries.delete(key);
    }
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  /** The entry if present and not expired; expired entries are dropped on sight. */
  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e?.expiresAt !== undefined && e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private prepareSet(item: StateItem, current: Entry | undefined, now: number): Entry {
    checkWrite(item.key, writeMode(item), item.etag, current?.etag);
    return {
      // Copy: the caller's buffer may be a view into a reused request buffer.
      value: new Uint8Array(item.value),
      etag: String(++this.version),
      expiresAt: expiryFrom(item.key, item.metadata, now),
    };
  }
}

export async function createInMemoryStateStore(
  _spec: ComponentSpec,
  _ctx: ComponentContext,
): Promise<StateStore> {
  return new InMemoryStateStore();
}
