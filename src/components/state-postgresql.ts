// `state.postgresql`: one row per key. As in state.sqlite, every ETag / first-write check is
// part of the writing statement (`UPDATE ... WHERE etag = $n`, `INSERT ... ON CONFLICT ...
// WHERE`), so check and write are one atomic step across any number of sidecars; a
// transaction runs its statements in one SQL transaction and rolls back on the first failure.
//
// Values are kept byte-for-byte (BYTEA); `is_json` marks values that are UTF-8 JSON so the
// query API can read them as jsonb. Expiry times are the server's clock (`now()`), so sidecars
// on hosts with skewed clocks still agree on what has expired. The schema is Pillion's own
// (daprd's postgresql v1 table keeps values as jsonb and would not round-trip bytes); a table
// of another shape is refused at start rather than failing on the first write.

import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { MetadataReader } from './metadata-values.js';
import { pgQuery } from './state-postgresql-query.js';
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
  key: string;
  value: Buffer;
  etag: string;
  expires_at: Date | null;
}

/** Anything that runs a query: the pool, or one client inside a transaction. */
type Queryable = Pick<Pool, 'query'> | PoolClient;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True for JSON objects and arrays in valid UTF-8 (what the query API can look into). */
export function isJsonDocument(value: Uint8Array): boolean {
  let i = 0;
  while (i < value.length && (value[i] === 0x20 || value[i] === 0x0a || value[i] === 0x0d || value[i] === 0x09)) i++;
  if (value[i] !== 0x7b && value[i] !== 0x5b) return false; // { or [
  try {
    JSON.parse(strictUtf8.decode(value));
    return true;
  } catch {
    return false;
  }
}

export class PostgresStateStore implements StateStore {
  readonly kind = 'state' as const;
  readonly features: readonly string[] = Object.freeze([...STATE_FEATURES, 'QUERY_API']);
  private readonly sql;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly pool: Pool, private readonly table: string, cleanupMs: number) {
    const t = table;
    const live = `(expires_at IS NULL OR expires_at > now())`;
    // $5: ttl in seconds or NULL
    const exp = `CASE WHEN $5::integer IS NULL THEN NULL ELSE now() + make_interval(secs => $5::integer) END`;
    const insert = `INSERT INTO ${t} (key, value, is_json, etag, expires_at, updated_at) VALUES ($1, $2, $3, $4, ${exp}, now())`;
    const assign = `value = excluded.value, is_json = excluded.is_json, etag = excluded.etag, expires_at = excluded.expires_at, updated_at = excluded.updated_at`;
    this.sql = {
      get: `SELECT value, etag, expires_at FROM ${t} WHERE key = $1 AND ${live}`,
      bulkGet: `SELECT key, value, etag, expires_at FROM ${t} WHERE key = ANY($1::text[]) AND ${live}`,
      upsert: `${insert} ON CONFLICT (key) DO UPDATE SET ${assign}`,
      // first-write without ETag: create, or replace a row that has already expired.
      create: `${insert} ON CONFLICT (key) DO UPDATE SET ${assign} WHERE ${t}.expires_at IS NOT NULL AND ${t}.expires_at <= now()`,
      update: `UPDATE ${t} SET value = $2, is_json = $3, etag = $4, expires_at = ${exp}, updated_at = now() WHERE key = $1 AND etag = $6 AND ${live}`,
      delete: `DELETE FROM ${t} WHERE key = $1`,
      deleteMatch: `DELETE FROM ${t} WHERE key = $1 AND etag = $2 AND ${live}`,
      purge: `DELETE FROM ${t} WHERE expires_at IS NOT NULL AND expires_at <= now()`,
    };
    if (cleanupMs > 0) {
      this.timer = setInterval(() => void this.purgeExpired(), cleanupMs);
      this.timer.unref();
    }
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const { rows } = await this.pool.query<Row>({ text: this.sql.get, values: [key] });
    const row = rows[0];
    return row && toStored(row);
  }

  async bulkGet(keys: readonly string[]): Promise<Array<StoredValue | undefined>> {
    if (keys.length === 0) return [];
    const { rows } = await this.pool.query<Row>({ text: this.sql.bulkGet, values: [keys] });
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return keys.map((k) => {
      const r = byKey.get(k);
      return r && toStored(r);
    });
  }

  async set(item: StateItem): Promise<void> {
    await this.write(this.pool, item);
  }

  async delete(req: StateDelete): Promise<void> {
    await this.remove(this.pool, req);
  }

  async transact(ops: readonly TransactionOp[]): Promise<void> {
    // Validate every TTL before touching the database.
    for (const op of ops) if (op.operation === 'upsert') ttlSeconds(op.request);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        for (const op of ops) {
          if (op.operation === 'upsert') await this.write(client, op.request);
          else await this.remove(client, op.request);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      }
    } catch (err) {
      // A connection error leaves the client unusable: destroy it instead of pooling it.
      if (!(err instanceof ETagMismatchError)) broken ??= err as Error;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async query(keyPrefix: string, q: StateQuery): Promise<QueryResult> {
    return pgQuery(this.pool, this.table, keyPrefix, q);
  }

  /** Deletes expired rows; returns how many. */
  async purgeExpired(): Promise<number> {
    if (this.closed) return 0;
    try {
      return (await this.pool.query(this.sql.purge)).rowCount ?? 0;
    } catch {
      return 0; // the database is away: try again next tick
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.pool.end();
  }

  private async write(db: Queryable, item: StateItem): Promise<void> {
    const mode = writeMode(item);
    const values: unknown[] = [item.key, item.value, isJsonDocument(item.value), randomUUID(), ttlSeconds(item)];
    const text = mode === 'any' ? this.sql.upsert : mode === 'create' ? this.sql.create : this.sql.update;
    if (mode === 'match') values.push(item.etag);
    const { rowCount } = await db.query({ text, values });
    if (mode !== 'any' && rowCount === 0) throw new ETagMismatchError(item.key);
  }

  private async remove(db: Queryable, req: StateDelete): Promise<void> {
    if (deleteMode(req) === 'any') {
      await db.query({ text: this.sql.delete, values: [req.key] });
      return;
    }
    const { rowCount } = await db.query({ text: this.sql.deleteMatch, values: [req.key, req.etag] });
    if (rowCount === 0) throw new ETagMismatchError(req.key);
  }
}

function toStored(row: Row): StoredValue {
  return {
    value: new Uint8Array(row.value),
    etag: row.etag,
    metadata: expiryMetadata(row.expires_at?.getTime()),
  };
}

/** Validated ttlInSeconds (null = no expiry), via the shared rule. */
function ttlSeconds(item: StateItem): number | null {
  const ms = expiryFrom(item.key, item.metadata, 0);
  return ms === undefined ? null : ms / 1000;
}

const REQUIRED_COLUMNS = ['key', 'value', 'is_json', 'etag', 'expires_at', 'updated_at'];

async function prepareTable(pool: Pool, table: string, md: MetadataReader): Promise<void> {
  const client = await pool.connect();
  try {
    // The advisory lock serialises concurrent first starts (CREATE TABLE IF NOT EXISTS alone
    // can still fail with a duplicate pg_type row when two sessions race).
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pillion-state-migrate:${table}`]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT NOT NULL PRIMARY KEY,
      value BYTEA NOT NULL,
      is_json BOOLEAN NOT NULL,
      etag TEXT NOT NULL,
      expires_at TIMESTAMPTZ,
      updated_at TIMESTAMPTZ NOT NULL
    )`);
    const { rows } = await client.query<{ attname: string; attnotnull: boolean; atthasdef: boolean }>(
      `SELECT attname, attnotnull, atthasdef FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
      [table],
    );
    const names = new Set(rows.map((r) => r.attname));
    const missing = REQUIRED_COLUMNS.filter((c) => !names.has(c));
    const extra = rows.filter((r) => !REQUIRED_COLUMNS.includes(r.attname) && r.attnotnull && !r.atthasdef);
    if (missing.length > 0 || extra.length > 0) {
      md.fail('tableName', `table ${table} has an incompatible schema (expected columns ${REQUIRED_COLUMNS.join(', ')})`);
    }
    const index = table.replaceAll('"', '').replace('.', '_') + '_expires_at';
    await client.query(`CREATE INDEX IF NOT EXISTS "${index}" ON ${table} (expires_at) WHERE expires_at IS NOT NULL`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * libpq's `key=value` connection strings (the form Dapr's docs use) → pg settings. URLs
 * (`postgres://…`) are passed to pg unchanged.
 */
export function parseConnectionString(raw: string, md: MetadataReader): PoolConfig {
  if (/^postgres(ql)?:\/\//i.test(raw)) return { connectionString: raw };
  const out: PoolConfig = {};
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S*))/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(raw)) !== null) {
    end = re.lastIndex;
    const key = m[1]!.toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    switch (key) {
      case 'host': case 'hostaddr': out.host = value; break;
      case 'port': out.port = Number(value); break;
      case 'user': out.user = value; break;
      case 'password': out.password = value; break;
      case 'dbname': case 'database': out.database = value; break;
      case 'application_name': out.application_name = value; break;
      case 'connect_timeout': out.connectionTimeoutMillis = Number(value) * 1000; break;
      case 'sslmode':
        if (value === 'disable') out.ssl = false;
        else if (value === 'require' || value === 'prefer' || value === 'allow') out.ssl = { rejectUnauthorized: false };
        else if (value === 'verify-ca' || value === 'verify-full') out.ssl = { rejectUnauthorized: true };
        else md.fail('connectionString', `unknown sslmode "${value}"`);
        break;
      default:
        md.fail('connectionString', `unsupported parameter "${key}"`);
    }
    if (re.lastIndex >= raw.length) break;
  }
  if (raw.slice(end).trim() !== '') md.fail('connectionString', `cannot parse "${raw.slice(end).trim()}"`);
  return out;
}

/** `name` or `schema.name`, each part an SQL identifier; returned quoted. */
function quotedTable(raw: string, md: MetadataReader): string {
  const parts = raw.split('.');
  if (parts.length > 2 || !parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(p))) {
    md.fail('tableName', `"${raw}" is not a valid table name (identifier or schema.identifier)`);
  }
  return parts.map((p) => `"${p}"`).join('.');
}

export async function createPostgresStateStore(spec: ComponentSpec, _ctx: ComponentContext): Promise<StateStore> {
  const md = new MetadataReader(spec);
  const conn = parseConnectionString(md.required('connectionString'), md);
  const table = quotedTable(md.optional('tableName') ?? 'state', md);
  // Dapr: timeoutInSeconds (v1) / timeout (v2), default 20s; bounds every statement.
  const timeoutMs = md.optional('timeout') !== undefined ? md.duration('timeout', 20_000) : md.duration('timeoutInSeconds', 20_000);
  if (timeoutMs <= 0) md.fail('timeout', 'must be positive');
  const cleanupMs =
    md.optional('cleanupInterval') !== undefined ? md.duration('cleanupInterval', 3_600_000) : md.duration('cleanupIntervalInSeconds', 3_600_000);
  const maxConns = Number(md.optional('maxConns') ?? 10);
  if (!Number.isInteger(maxConns) || maxConns < 1) md.fail('maxConns', 'expected a positive integer');
  const idleMs = md.duration('connectionMaxIdleTime', 30_000);
  const { Pool } = (await import('pg')).default;
  const pool = new Pool({
    ...conn,
    max: maxConns,
    idleTimeoutMillis: idleMs > 0 ? idleMs : undefined,
    // Connecting is bounded separately so a database that went away fails a request quickly.
    connectionTimeoutMillis: conn.connectionTimeoutMillis ?? Math.min(timeoutMs, 5_000),
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    application_name: conn.application_name ?? `pillion-${spec.name}`,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener that
  // would crash the process. The pool drops the client and connects a new one when needed.
  pool.on('error', () => {});
  try {
    await prepareTable(pool, table, md);
  } catch (err) {
    await pool.end().catch(() => {});
    if (err instanceof Error && err.name === 'ComponentConfigError') throw err;
    throw new Error(`${spec.source}: cannot prepare PostgreSQL table ${table}: ${(err as Error).message}`);
  }
  return new PostgresStateStore(pool, table, cleanupMs);
}
