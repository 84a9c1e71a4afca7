// Shared plumbing for tests against the real Redis / PostgreSQL servers on this machine:
// where they are, a per-run unique namespace, and a store wrapper that keeps each test's keys
// apart so runs (and concurrent test files) never see each other's data.

import { randomBytes } from 'node:crypto';
import { ETagMismatchError, type StateStore, type TransactionOp } from '../../../src/components/types.js';

export const REDIS_HOST = process.env.PILLION_TEST_REDIS ?? '127.0.0.1:6379';
export const PG_URL = process.env.PILLION_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Unique per test process: lower-case hex, safe in Redis keys and SQL identifiers. */
export const RUN_ID = `${process.pid.toString(16)}${randomBytes(4).toString('hex')}`;

/**
 * Presents `store` with every key prefixed by `prefix`, as the core does with `<app-id>||`.
 * ETag errors are re-thrown naming the caller's key.
 */
export function prefixed(store: StateStore, prefix: string): StateStore {
  const p = (k: string) => prefix + k;
  const unprefix = (err: unknown) =>
    err instanceof ETagMismatchError ? new ETagMismatchError(err.key.slice(prefix.length)) : err;
  const wrap = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw unprefix(err);
    }
  };
  return {
    kind: 'state',
    features: store.features,
    get: (key, opts) => store.get(p(key), opts),
    bulkGet: (keys) => store.bulkGet(keys.map(p)),
    set: (item) => wrap(() => store.set({ ...item, key: p(item.key) })),
    delete: (req) => wrap(() => store.delete({ ...req, key: p(req.key) })),
    transact: (ops) =>
      wrap(() => store.transact(ops.map((op) => ({ ...op, request: { ...op.request, key: p(op.request.key) } }) as TransactionOp))),
    close: () => store.close(),
  };
}
