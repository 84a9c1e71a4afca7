// Dapr's state-store write rules, written once and shared by every store so that in-memory,
// SQLite and any later store agree on ETag, first-write and TTL behaviour. Stores that can
// push the check into the database (SQLite: `UPDATE ... WHERE etag = ?`) use `writeMode` to
// pick the statement; the others call `checkWrite` against the value they hold.

import { ETagMismatchError, type Concurrency } from './types.js';
import { rfc3339 } from '../util/go-time.js';

/** The request metadata key Dapr uses for per-item expiry. */
export const TTL_KEY = 'ttlInSeconds';
/** Response metadata key carrying the expiry time (RFC 3339), as daprd returns it. */
export const TTL_EXPIRE_KEY = 'ttlExpireTime';

/** The features every built-in state store reports to the metadata API. */
export const STATE_FEATURES: readonly string[] = Object.freeze(['ETAG', 'TRANSACTIONAL', 'TTL']);

/**
 * How a write must be checked:
 * - `match`: an ETag was given; the key must exist (and not be expired) with exactly that ETag.
 *   An ETag for a missing key is a mismatch, whatever the concurrency mode.
 * - `create`: first-write without an ETag. Dapr's rule is that such a write only succeeds when
 *   the key does not exist yet; otherwise the caller would silently overwrite a value it has
 *   never seen, which is exactly what first-write is meant to prevent.
 * - `any`: last-write (the default) without an ETag: unconditional upsert.
 *
 * An empty-string ETag counts as "no ETag", as in daprd (HTTP clients often send `etag: ""`).
 */
export type WriteMode = 'match' | 'create' | 'any';

export function writeMode(req: { etag?: string; concurrency?: Concurrency }): WriteMode {
  if (req.etag !== undefined && req.etag !== '') return 'match';
  return req.concurrency === 'first-write' ? 'create' : 'any';
}

/**
 * Deletes follow the same ETag rule, but first-write without an ETag does not block a delete:
 * there is nothing to protect from being overwritten, and daprd's stores delete unconditionally
 * in that case.
 */
export function deleteMode(req: { etag?: string }): 'match' | 'any' {
  return req.etag !== undefined && req.etag !== '' ? 'match' : 'any';
}

/** Throws ETagMismatchError if a write/delete may not proceed given the current ETag. */
export function checkWrite(
  key: string,
  mode: WriteMode,
  expected: string | undefined,
  current: string | undefined,
): void {
  if (mode === 'match' && current !== expected) throw new ETagMismatchError(key);
  if (mode === 'create' && current !== undefined) throw new ETagMismatchError(key);
}

/**
 * Absolute expiry time (epoch ms) from `ttlInSeconds`, or undefined for "never". Dapr treats
 * -1 as "no expiry"; we also treat 0 that way rather than storing a value that is born dead.
 * Anything that is not an integer ≥ -1 is rejected so a typo cannot silently disable expiry.
 */
export function expiryFrom(
  key: string,
  metadata: Readonly<Record<string, string>> | undefined,
  now: number,
): number | undefined {
  const raw = metadata?.[TTL_KEY];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new Error(`invalid ${TTL_KEY} for key ${key}: "${raw}" is not an integer`);
  }
  const ttl = Number(raw);
  if (ttl < -1 || ttl > 2_147_483_647) {
    throw new Error(`invalid ${TTL_KEY} for key ${key}: ${ttl} is out of range (-1 or 0..2147483647)`);
  }
  return ttl > 0 ? now + ttl * 1000 : undefined;
}

/** Response metadata for a value with an expiry; undefined (no allocation) otherwise. */
export function expiryMetadata(expiresAt: number | null | undefined): Record<string, string> | undefined {
  if (expiresAt === null || expiresAt === undefined) return undefined;
  return { [TTL_EXPIRE_KEY]: rfc3339(expiresAt) };
}
