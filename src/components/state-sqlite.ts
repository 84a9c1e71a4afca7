// `state.sqlite`: the durable default store. Every ETag / first-write check is pushed into the
// SQL statement itself (`UPDATE ... WHERE etag = ?`, `INSERT ... ON CONFLICT`), so the check and
// the write are one atomic step even when several processes share the file. better-sqlite3 is
// synchronous: when a call returns, the commit (and its fsync) has happened.
//
// Schema note: values are stored as raw BLOBs and times as epoch milliseconds, so the table is
// not interchangeable with one created by daprd's sqlite component (which stores text plus an
// is_binary flag); `checkSchema` refuses such a table instead of failing on the first write.

import { randomUUID } from 'node:crypto';
import { MetadataReader } from './metadata-values.js';
import { openSqlite, parseConnectionString, type SqliteDatabase } from './sqlite-connection.js';
import { sqliteQuery } from './state-sqlite-query.js';
import { deleteMode, expiryFrom, expiryMetadata, STATE_FEATURES, writeMode } from './state-semantics.js';
import {
  ETagMismatchError,
  type ComponentContext,
  type ComponentSpec,
  type QueryResult,
  type StateDelete,
  type StateItem,
  type StateQuery,
  type StateStore,
  type StoredValue,
  type TransactionOp,
} from './types.js';

interface Row {
  value: Uint8Array;
  etag: string;
  exp: number | null;
}

/** Named parameters shared by the write statements. */
interface WriteParams {
  key: string;
  value: Uint8Array;
  etag: string;
  exp: number | null;
  now: number;
  expected?: string;
}

export class SqliteStateStore implements StateStore {
  readonly kind = 'state' as const;
  readonly features: readonly string[] = Object.freeze([...STATE_FEATURES, 'QUERY_API']);
  // Statements are prepared once; GET (the benchmark hot path) is one bound lookup.
  private readonly sGet;
  private readonly sUpsert;
  private readonly sCreate;
  private readonly sUpdate;
  private readonly sDelete;
  private readonly sDeleteMatch;
  private readonly sPurge;
  private readonly txn;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly db: SqliteDatabase, private readonly table: string, cleanupMs: number) {
    const t = `"${table}"`; // validated identifier, safe to quote
    const live = `(expiration_time IS NULL OR expiration_time > @now)`;
    const cols = `(key, value, etag, expiration_time, update_time) VALUES (@key, @value, @etag, @exp, @now)`;
    const assign = `value = excluded.value, etag = excluded.etag, expiration_time = excluded.expiration_time, update_time = excluded.update_time`;
    this.sGet = db.prepare<[string], Row>(`SELECT value, etag, expiration_time AS exp FROM ${t} WHERE key = ?`);
    this.sUpsert = db.prepare<WriteParams>(`INSERT INTO ${t} ${cols} ON CONFLICT(key) DO UPDATE SET ${assign}`);
    // first-write without ETag: insert, or replace a row that has already expired (it is gone
    // as far as readers can tell); a live row makes `changes` 0, i.e. a mismatch.
    this.sCreate = db.prepare<WriteParams>(
      `INSERT INTO ${t} ${cols} ON CONFLICT(key) DO UPDATE SET ${assign} WHERE NOT ${live.replaceAll('expiration_time', `${t}.expiration_time`)}`,
    );
    this.sUpdate = db.prepare<WriteParams>(
      `UPDATE ${t} SET value = @value, etag = @etag, expiration_time = @exp, update_time = @now WHERE key = @key AND etag = @expected AND ${live}`,
    );
    this.sDelete = db.prepare<[string]>(`DELETE FROM ${t} WHERE key = ?`);
    this.sDeleteMatch = db.prepare<{ key: string; expected: string; now: number }>(
      `DELETE FROM ${t} WHERE key = @key AND etag = @expected AND ${live}`,
    );
    this.sPurge = db.prepare<[number]>(`DELETE FROM ${t} WHERE expiration_time IS NOT NULL AND expiration_time <= ?`);
    // A throw inside rolls the whole transaction back (better-sqlite3 semantics).
    this.txn = db.transaction((ops: readonly TransactionOp[], now: number) => {
      for (const op of ops) {
        if (op.operation === 'upsert') this.write(op.request, now);
        else this.remove(op.request, now);
      }
    });
    if (cleanupMs > 0) {
      this.timer = setInterval(() => this.purgeExpired(), cleanupMs);
      this.timer.unref(); // never keeps the process alive on its own
    }
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const row = this.sGet.get(key);
    if (row === undefined) return undefined;
    // Expired rows are hidden, not deleted: deleting here would turn a read into a write
    // (and an fsync). The periodic purge and later writes remove them.
    if (row.exp === null) return { value: row.value, etag: row.etag };
    if (row.exp <= Date.now()) return undefined;
    return { value: row.value, etag: row.etag, metadata: expiryMetadata(row.exp) };
  }

  async bulkGet(keys: readonly string[]): Promise<Array<StoredValue | undefined>> {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async set(item: StateItem): Promise<void> {
    this.write(item, Date.now());
  }

  async delete(req: StateDelete): Promise<void> {
    this.remove(req, Date.now());
  }

  async transact(ops: readonly TransactionOp[]): Promise<void> {
    // IMMEDIATE takes the write lock up front, so two processes cannot both read under a shared
    // lock and then deadlock upgrading it (SQLITE_BUSY mid-transaction).
    this.txn.immediate(ops, Date.now());
  }

  async query(keyPrefix: string, q: StateQuery): Promise<QueryResult> {
    return sqliteQuery(this.db, this.table, keyPrefix, q);
  }

  /** Deletes expired rows; returns how many. Exposed for tests and manual maintenance. */
  purgeExpired(): number {
    if (this.closed) return 0;
    try {
      return this.sPurge.run(Date.now()).changes;
    } catch {
      return 0; // best effort: a busy database just gets purged on the next tick
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.db.close();
  }

  private write(item: StateItem, now: number): void {
    const mode = writeMode(item);
    const p: WriteParams = {
      key: item.key,
      value: item.value,
      etag: randomUUID(),
      exp: expiryFrom(item.key, item.metadata, now) ?? null,
      now,
    };
    if (mode === 'any') {
      this.sUpsert.run(p);
      return;
    }
    if (mode === 'match') p.expected = item.etag;
    const changes = (mode === 'match' ? this.sUpdate : this.sCreate).run(p).changes;
    if (changes === 0) throw new ETagMismatchError(item.key);
  }

  private remove(req: StateDelete, now: number): void {
    if (deleteMode(req) === 'any') {
      this.sDelete.run(req.key);
      return;
    }
    const changes = this.sDeleteMatch.run({ key: req.key, expected: req.etag!, now }).changes;
    if (changes === 0) throw new ETagMismatchError(req.key);
  }
}

const REQUIRED_COLUMNS = ['key', 'value', 'etag', 'expiration_time', 'update_time'];

function prepareTable(db: SqliteDatabase, table: string, readonly: boolean, md: MetadataReader): void {
  const t = `"${table}"`;
  if (!readonly) {
    // IF NOT EXISTS makes start-up idempotent and safe when two sidecars start together.
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
      key TEXT NOT NULL PRIMARY KEY,
      value BLOB NOT NULL,
      etag TEXT NOT NULL,
      expiration_time INTEGER,
      update_time INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS "${table}_expiration_time" ON ${t} (expiration_time)
      WHERE expiration_time IS NOT NULL;`);
  }
  const cols = db.pragma(`table_info(${t})`) as Array<{ name: string; notnull: number; dflt_value: unknown }>;
  const names = new Set(cols.map((c) => c.name));
  const missing = REQUIRED_COLUMNS.filter((c) => !names.has(c));
  const extra = cols.filter((c) => !REQUIRED_COLUMNS.includes(c.name) && c.notnull && c.dflt_value === null);
  if (cols.length === 0 || missing.length > 0 || extra.length > 0) {
    md.fail('tableName', `table "${table}" is missing or has an incompatible schema (expected columns ${REQUIRED_COLUMNS.join(', ')})`);
  }
}

export async function createSqliteStateStore(spec: ComponentSpec, _ctx: ComponentContext): Promise<StateStore> {
  const md = new MetadataReader(spec);
  const table = md.optional('tableName') ?? 'state';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) md.fail('tableName', `"${table}" is not a valid identifier`);
  // `timeout` (alias timeoutInSeconds) is validated for compatibility but has no effect: the
  // driver is synchronous, so an operation cannot be abandoned mid-way. busyTimeout is the
  // wait that matters.
  md.duration('timeout', 20_000);
  md.duration('timeoutInSeconds', 20_000);
  const busyTimeoutMs = md.duration('busyTimeout', 2_000);
  // Default 1h rather than "off": expired rows would otherwise accumulate forever.
  const cleanupMs = md.duration('cleanupInterval', 3_600_000);
  const target = parseConnectionString(md.required('connectionString'), process.cwd(), md);
  const db = await openSqlite(target, { busyTimeoutMs, disableWAL: md.bool('disableWAL', false) }, md);
  try {
    prepareTable(db, table, target.readonly, md);
    // A read-only connection cannot purge; leave that to whoever writes the file.
    return new SqliteStateStore(db, table, target.readonly ? 0 : cleanupMs);
  } catch (err) {
    db.close();
    throw err;
  }
}
