// One behavioural suite for every state store (in-memory, SQLite, and later Redis/Postgres):
// each store must pass the same tests, and a skipped test must say why.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ETagMismatchError, type StateStore, type TransactionOp } from '../../../src/components/types.js';

export interface ConformanceTarget {
  readonly name: string;
  /** a fresh, empty store */
  create(): Promise<StateStore>;
  /** closes `store` and opens the same data again; omit for stores that are not durable */
  reopen?: (store: StateStore) => Promise<StateStore>;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));
const isMismatch = (err: unknown): boolean => err instanceof ETagMismatchError;

function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  assert.ok(actual, 'value missing');
  assert.equal(actual.length, expected.length, 'length differs');
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), 'bytes differ');
}

export function stateStoreConformance(target: ConformanceTarget): void {
  /** Runs `fn` against a fresh store (the store `fn` returns, if any, is the one closed). */
  const withStore = (fn: (s: StateStore) => Promise<StateStore | void>) => async () => {
    let store = await target.create();
    try {
      store = (await fn(store)) ?? store;
    } finally {
      await store.close();
    }
  };

  describe(`state store conformance: ${target.name}`, () => {
    test('get of a missing key is undefined', withStore(async (s) => {
      assert.equal(await s.get('nope'), undefined);
    }));

    test('set, get, overwrite, delete', withStore(async (s) => {
      await s.set({ key: 'k', value: enc('v1') });
      const first = await s.get('k');
      assert.equal(text(first?.value), 'v1');
      assert.ok(first?.etag && typeof first.etag === 'string', 'etag is a non-empty string');
      await s.set({ key: 'k', value: enc('v2') });
      const second = await s.get('k');
      assert.equal(text(second?.value), 'v2');
      assert.notEqual(second?.etag, first.etag, 'every write gets a new etag');
      await s.delete({ key: 'k' });
      assert.equal(await s.get('k'), undefined);
      await s.delete({ key: 'k' }); // deleting a missing key without etag is fine
    }));

    test('bulkGet keeps request order and reports missing keys', withStore(async (s) => {
      await s.set({ key: 'a', value: enc('A') });
      await s.set({ key: 'c', value: enc('C') });
      const got = await s.bulkGet(['c', 'b', 'a']);
      assert.deepEqual(got.map((g) => text(g?.value)), ['C', undefined, 'A']);
    }));

    test('etag: a matching etag wins, a stale or unknown one is a mismatch', withStore(async (s) => {
      await s.set({ key: 'k', value: enc('v1') });
      const { etag } = (await s.get('k'))!;
      await s.set({ key: 'k', value: enc('v2'), etag });
      await assert.rejects(s.set({ key: 'k', value: enc('v3'), etag }), isMismatch);
      await assert.rejects(s.set({ key: 'missing', value: enc('x'), etag: 'whatever' }), isMismatch);
      assert.equal(await s.get('missing'), undefined);
      const current = (await s.get('k'))!;
      assert.equal(text(current.value), 'v2');
      await assert.rejects(s.delete({ key: 'k', etag }), isMismatch);
      await assert.rejects(s.delete({ key: 'missing', etag: 'whatever' }), isMismatch);
      assert.equal(text((await s.get('k'))?.value), 'v2');
      await s.delete({ key: 'k', etag: current.etag });
      assert.equal(await s.get('k'), undefined);
    }));

    test('an empty etag counts as no etag', withStore(async (s) => {
      await s.set({ key: 'k', value: enc('v1') });
      await s.set({ key: 'k', value: enc('v2'), etag: '' });
      assert.equal(text((await s.get('k'))?.value), 'v2');
    }));

    test('first-write without etag only creates; with etag it must match', withStore(async (s) => {
      await s.set({ key: 'k', value: enc('v1'), concurrency: 'first-write' });
      await assert.rejects(s.set({ key: 'k', value: enc('v2'), concurrency: 'first-write' }), isMismatch);
      const { etag } = (await s.get('k'))!;
      await s.set({ key: 'k', value: enc('v3'), etag, concurrency: 'first-write' });
      await assert.rejects(s.set({ key: 'k', value: enc('v4'), etag, concurrency: 'first-write' }), isMismatch);
      assert.equal(text((await s.get('k'))?.value), 'v3');
      // last-write (the default) without etag overwrites unconditionally
      await s.set({ key: 'k', value: enc('v5'), concurrency: 'last-write' });
      assert.equal(text((await s.get('k'))?.value), 'v5');
    }));

    test('concurrent writes with the same etag: exactly one wins', withStore(async (s) => {
      await s.set({ key: 'k', value: enc('start') });
      const { etag } = (await s.get('k'))!;
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => s.set({ key: 'k', value: enc(`w${i}`), etag, concurrency: 'first-write' })),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(won.length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || isMismatch(r.reason)));
      assert.equal(text((await s.get('k'))?.value), `w${won[0]}`);
    }));

    test('concurrent first-write creates without etag: exactly one wins', withStore(async (s) => {
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => s.set({ key: 'new', value: enc(`w${i}`), concurrency: 'first-write' })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    }));

    test('transaction applies upserts and deletes in order', withStore(async (s) => {
      await s.set({ key: 'gone', value: enc('x') });
      await s.transact([
        { operation: 'upsert', request: { key: 'a', value: enc('A') } },
        { operation: 'delete', request: { key: 'gone' } },
        { operation: 'upsert', request: { key: 'b', value: enc('B1') } },
        { operation: 'upsert', request: { key: 'b', value: enc('B2') } },
        { operation: 'upsert', request: { key: 'tmp', value: enc('T') } },
        { operation: 'delete', request: { key: 'tmp' } },
      ]);
      const got = await s.bulkGet(['a', 'gone', 'b', 'tmp']);
      assert.deepEqual(got.map((g) => text(g?.value)), ['A', undefined, 'B2', undefined]);
    }));

    test('transaction is all-or-nothing when an etag fails in the middle', withStore(async (s) => {
      await s.set({ key: 'keep', value: enc('K') });
      await s.set({ key: 'guarded', value: enc('G') });
      const ops: TransactionOp[] = [
        { operation: 'upsert', request: { key: 'new', value: enc('N') } },
        { operation: 'delete', request: { key: 'keep' } },
        { operation: 'upsert', request: { key: 'guarded', value: enc('G2'), etag: 'stale' } },
        { operation: 'upsert', request: { key: 'after', value: enc('A') } },
      ];
      await assert.rejects(s.transact(ops), isMismatch);
      const got = await s.bulkGet(['new', 'keep', 'guarded', 'after']);
      assert.deepEqual(got.map((g) => text(g?.value)), [undefined, 'K', 'G', undefined]);
    }));

    test('ttlInSeconds: value expires, -1 never does, junk is rejected', withStore(async (s) => {
      await s.set({ key: 'short', value: enc('x'), metadata: { ttlInSeconds: '1' } });
      await s.set({ key: 'forever', value: enc('y'), metadata: { ttlInSeconds: '-1' } });
      const live = await s.get('short');
      assert.equal(text(live?.value), 'x');
      assert.ok(live);
      // as contrib's stores write it: Go's time.RFC3339, whole seconds
      assert.match(live.metadata?.ttlExpireTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'expiry reported');
      await assert.rejects(s.set({ key: 'bad', value: enc('z'), metadata: { ttlInSeconds: 'soon' } }));
      await sleep(1200);
      assert.equal(await s.get('short'), undefined);
      assert.equal(text((await s.get('forever'))?.value), 'y');
      // an expired key behaves as missing for etag checks and first-write
      await assert.rejects(s.set({ key: 'short', value: enc('x2'), etag: live.etag }), isMismatch);
      await s.set({ key: 'short', value: enc('x3'), concurrency: 'first-write' });
      assert.equal(text((await s.get('short'))?.value), 'x3');
    }));

    test('binary values round-trip byte for byte (all 256 byte values, empty)', withStore(async (s) => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await s.set({ key: 'bin', value: all });
      assertBytes((await s.get('bin'))?.value, all);
      await s.set({ key: 'empty', value: new Uint8Array(0) });
      assertBytes((await s.get('empty'))?.value, new Uint8Array(0));
    }));

    test('1 MB values', withStore(async (s) => {
      const big = randomBytes(1024 * 1024);
      await s.set({ key: 'big', value: big });
      assertBytes((await s.get('big'))?.value, big);
    }));

    test('unicode and odd keys', withStore(async (s) => {
      const keys = ['ключ', '鍵🔑', 'app||key with spaces', "quote'\"", 'a/b?c=d&e', 'é'.normalize('NFD')];
      for (const [i, key] of keys.entries()) await s.set({ key, value: enc(String(i)) });
      const got = await s.bulkGet(keys);
      assert.deepEqual(got.map((g) => text(g?.value)), keys.map((_, i) => String(i)));
      assert.equal(await s.get('é'.normalize('NFC')), undefined, 'keys are compared byte-wise');
    }));

    test('the store keeps its own copy of the bytes', withStore(async (s) => {
      const buf = Buffer.from('original');
      await s.set({ key: 'k', value: buf });
      buf.fill(0);
      const got = await s.get('k');
      assert.equal(text(got?.value), 'original');
      got!.value.fill(0);
      assert.equal(text((await s.get('k'))?.value), 'original');
    }));

    test('data survives a restart', { skip: target.reopen ? false : `${target.name} is not durable` }, withStore(async (s) => {
      await s.set({ key: 'k', value: enc('persisted'), metadata: { ttlInSeconds: '3600' } });
      const before = (await s.get('k'))!;
      const reopened = await target.reopen!(s);
      const after = await reopened.get('k');
      assert.equal(text(after?.value), 'persisted');
      assert.equal(after?.etag, before.etag);
      assert.equal(after?.metadata?.ttlExpireTime, before.metadata?.ttlExpireTime);
      return reopened;
    }));
  });
}
