// The state query API on state.postgresql: a validated StateQuery becomes one parameterised
// SELECT. JSON documents are read from the BYTEA value as jsonb only for rows flagged
// `is_json` (inside a CASE, so PostgreSQL never tries to parse a binary value). Comparisons
// require the same JSON type on both sides (1 ≠ "1") and then use jsonb's order; results are
// ordered by the sort keys, then by key so pages are stable.

import type { Pool } from 'pg';
import type { QueryComparison, QueryFilter, QueryResult, StateQuery } from './types.js';

const SQL_OP: Record<Exclude<QueryComparison, 'NEQ'>, string> = { EQ: '=', GT: '>', GTE: '>=', LT: '<', LTE: '<=' };

export async function pgQuery(pool: Pick<Pool, 'query'>, table: string, keyPrefix: string, q: StateQuery): Promise<QueryResult> {
  const values: unknown[] = [keyPrefix];
  const param = (v: unknown, cast: string): string => {
    values.push(v);
    return `$${values.length}::${cast}`;
  };
  const field = (path: readonly string[]) => `(d.doc #> ${param(path, 'text[]')})`;
  const where = (f: QueryFilter): string => {
    switch (f.op) {
      case 'AND':
      case 'OR':
        return f.filters.length === 0 ? (f.op === 'AND' ? 'true' : 'false') : `(${f.filters.map(where).join(` ${f.op} `)})`;
      case 'IN':
        return f.values.length === 0 ? 'false' : `${field(f.path)} = ANY(${param(f.values.map((v) => JSON.stringify(v)), 'jsonb[]')})`;
      case 'NEQ':
        return `(${field(f.path)} = ${param(JSON.stringify(f.value), 'jsonb')}) IS NOT TRUE`;
      default: {
        const v = param(JSON.stringify(f.value), 'jsonb');
        const x = field(f.path);
        return `(jsonb_typeof(${x}) = jsonb_typeof(${v}) AND ${x} ${SQL_OP[f.op]} ${v})`;
      }
    }
  };
  const conditions = ['starts_with(t.key, $1)', '(t.expires_at IS NULL OR t.expires_at > now())', 'd.doc IS NOT NULL'];
  if (q.filter) conditions.push(where(q.filter));
  const order = [...q.sort.map((s) => `${field(s.path)} ${s.order}`), 't.key'];
  // One row more than asked tells whether another page exists.
  const limit = q.limit > 0 ? ` LIMIT ${param(q.limit + 1, 'bigint')}` : '';
  const text =
    `SELECT t.key, t.value, t.etag FROM ${table} t ` +
    `CROSS JOIN LATERAL (SELECT CASE WHEN t.is_json THEN convert_from(t.value, 'UTF8')::jsonb END AS doc) d ` +
    `WHERE ${conditions.join(' AND ')} ORDER BY ${order.join(', ')}${limit} OFFSET ${param(q.offset, 'bigint')}`;
  const { rows } = await pool.query<{ key: string; value: Buffer; etag: string }>({ text, values });
  const more = q.limit > 0 && rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return {
    items: page.map((r) => ({ key: r.key, value: new Uint8Array(r.value), etag: r.etag })),
    nextOffset: more ? q.offset + q.limit : undefined,
  };
}
