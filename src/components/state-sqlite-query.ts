// The state query API on state.sqlite: a validated StateQuery becomes one parameterised
// SELECT over the JSON1 functions. Values are BLOBs, so each is read as text and used only
// when it is a JSON object or array (the CASE keeps SQLite from parsing other values).
// Comparisons require the same JSON type on both sides, as on PostgreSQL: 1 matches 1 or 1.0,
// never "1"; true/false compare as 1/0 among booleans.

import type { SqliteDatabase } from './sqlite-connection.js';
import type { QueryComparison, QueryFilter, QueryResult, QueryScalar, StateQuery } from './types.js';

/** `$."a"."b"` — segments are validated by the core (no `"` or `\`). */
const jsonPath = (path: readonly string[]) => '$' + path.map((p) => `."${p}"`).join('');

const SQL_OP: Record<Exclude<QueryComparison, 'NEQ'>, string> = { EQ: '=', GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

export function sqliteQuery(db: SqliteDatabase, table: string, keyPrefix: string, q: StateQuery): QueryResult {
  const values: unknown[] = [keyPrefix, keyPrefix, Date.now()];
  const param = (v: unknown): string => {
    values.push(v);
    return '?';
  };
  const compare = (path: readonly string[], op: Exclude<QueryComparison, 'NEQ'>, v: QueryScalar): string => {
    const p = jsonPath(path);
    if (v === null) return op === 'EQ' || op === 'GTE' || op === 'LTE' ? `json_type(doc, ${param(p)}) = 'null'` : '0';
    const types = typeof v === 'number' ? `('integer', 'real')` : typeof v === 'boolean' ? `('true', 'false')` : `('text')`;
    const bound = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    return `(json_type(doc, ${param(p)}) IN ${types} AND json_extract(doc, ${param(p)}) ${SQL_OP[op]} ${param(bound)})`;
  };
  const where = (f: QueryFilter): string => {
    switch (f.op) {
      case 'AND':
      case 'OR':
        return f.filters.length === 0 ? (f.op === 'AND' ? '1' : '0') : `(${f.filters.map(where).join(` ${f.op} `)})`;
      case 'IN':
        return f.values.length === 0 ? '0' : `(${f.values.map((v) => compare(f.path, 'EQ', v)).join(' OR ')})`;
      case 'NEQ':
        return `COALESCE(${compare(f.path, 'EQ', f.value)}, 0) = 0`;
      default:
        return compare(f.path, f.op, f.value);
    }
  };
  const conditions = [`json_type(doc) IN ('object', 'array')`];
  if (q.filter) conditions.push(where(q.filter));
  const order = [...q.sort.map((s) => `json_extract(doc, ${param(jsonPath(s.path))}) ${s.order}`), 'key'];
  const limit = q.limit > 0 ? ` LIMIT ${param(q.limit + 1)}` : ' LIMIT -1';
  const text =
    `SELECT key, value, etag FROM (SELECT key, value, etag, ` +
    `CASE WHEN json_valid(CAST(value AS TEXT)) THEN CAST(value AS TEXT) END AS doc FROM "${table}" ` +
    `WHERE (? = '' OR instr(key, ?) = 1) AND (expiration_time IS NULL OR expiration_time > ?)) ` +
    `WHERE doc IS NOT NULL AND ${conditions.join(' AND ')} ORDER BY ${order.join(', ')}${limit} OFFSET ${param(q.offset)}`;
  const rows = db.prepare(text).all(...values) as Array<{ key: string; value: Uint8Array; etag: string }>;
  const more = q.limit > 0 && rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return {
    items: page.map((r) => ({ key: r.key, value: r.value, etag: r.etag })),
    nextOffset: more ? q.offset + q.limit : undefined,
  };
}
