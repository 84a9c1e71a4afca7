// Turns a Dapr-style SQLite `connectionString` into an open better-sqlite3 handle with the
// durability settings Pillion promises. Kept apart from the state store so any later SQLite
// component (e.g. a lock or name-resolution store) opens databases the same way.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { MetadataReader } from './metadata-values.js';

export type SqliteDatabase = BetterSqlite3.Database;

export interface SqliteTarget {
  /** absolute path, or `:memory:` */
  readonly filename: string;
  readonly memory: boolean;
  readonly readonly: boolean;
  /** extra `PRAGMA` statements from `_pragma=` URI parameters */
  readonly pragmas: readonly string[];
}

/** Pragmas we own: letting a connection string change them would void the durability promise. */
const RESERVED_PRAGMAS = new Set(['journal_mode', 'synchronous', 'busy_timeout']);

/**
 * Accepts a plain path (`data.db`, `/var/lib/x.db`), `:memory:`, or a `file:` URI with the
 * parameters Dapr users write (`mode=ro|rw|rwc|memory`, `_pragma=name(value)`); others such as
 * `cache=shared` have no meaning for a single connection and are ignored. Relative paths
 * resolve against `cwd` (the process working directory), as daprd does.
 */
export function parseConnectionString(raw: string, cwd: string, md: MetadataReader): SqliteTarget {
  const field = 'connectionString';
  if (raw === ':memory:') return { filename: ':memory:', memory: true, readonly: false, pragmas: [] };
  if (!raw.startsWith('file:')) {
    return { filename: resolve(cwd, raw), memory: false, readonly: false, pragmas: [] };
  }
  const q = raw.indexOf('?');
  let path = decodeURIComponent(q < 0 ? raw.slice(5) : raw.slice(5, q));
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  // file:///abs/path and file://localhost/abs/path carry an (empty or local) authority.
  if (path.startsWith('//')) {
    path = path.replace(/^\/\/(localhost)?/, '');
    if (!path.startsWith('/')) md.fail(field, `unsupported URI authority in "${raw}"`);
  }
  const mode = params.get('mode') ?? 'rwc';
  if (!['ro', 'rw', 'rwc', 'memory'].includes(mode)) md.fail(field, `unsupported mode "${mode}"`);
  const pragmas: string[] = [];
  for (const p of params.getAll('_pragma')) {
    const m = /^([A-Za-z_]+)(?:\(([\w.-]*)\)|=([\w.-]*))?$/.exec(p);
    if (!m) md.fail(field, `invalid _pragma "${p}"`);
    if (RESERVED_PRAGMAS.has(m[1]!.toLowerCase())) {
      md.fail(field, `_pragma ${m[1]} is managed by Pillion (use busyTimeout / disableWAL)`);
    }
    const value = m[2] ?? m[3];
    pragmas.push(value === undefined ? m[1]! : `${m[1]} = ${value}`);
  }
  const memory = mode === 'memory' || path === ':memory:' || path === '';
  return {
    filename: memory ? ':memory:' : resolve(cwd, path),
    memory,
    readonly: mode === 'ro',
    pragmas,
  };
}

export interface OpenOptions {
  readonly busyTimeoutMs: number;
  readonly disableWAL: boolean;
}

/**
 * Opens the database. Durability: WAL journal plus `synchronous = FULL`, so the WAL is fsynced
 * on every commit and an acknowledged write survives `kill -9` (and power loss, given honest
 * disks). With `disableWAL` the rollback journal is used, still with FULL syncs.
 */
export async function openSqlite(target: SqliteTarget, opts: OpenOptions, md: MetadataReader): Promise<SqliteDatabase> {
  // Loaded here, not at module top, so installs that never use SQLite never load the addon.
  const { default: Database } = await import('better-sqlite3');
  try {
    if (!target.memory && !target.readonly) mkdirSync(dirname(target.filename), { recursive: true });
    const db = new Database(target.filename, {
      readonly: target.readonly,
      fileMustExist: target.readonly,
      timeout: opts.busyTimeoutMs,
    });
    try {
      if (!target.memory && !target.readonly) {
        db.pragma(`journal_mode = ${opts.disableWAL ? 'DELETE' : 'WAL'}`);
      }
      db.pragma('synchronous = FULL');
      for (const p of target.pragmas) db.pragma(p);
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return md.fail('connectionString', `cannot open SQLite database "${target.filename}": ${msg}`);
  }
}
