// The state query API (`QueryStateAlpha1`), once for both protocols. The JSON query is
// parsed and validated here into a StateQuery (src/components/types.ts); the store turns it
// into its own query language and only sees keys of this app (the key prefix), and keys go
// back to the app without the prefix. Query format (Dapr's):
//   { "filter": {"EQ"|"NEQ"|"GT"|"GTE"|"LT"|"LTE": {"a.b": scalar}} | {"IN": {"a.b": [scalars]}}
//              | {"AND"|"OR": [filter, …]},
//     "sort": [{"key": "a.b", "order": "ASC"|"DESC"}],
//     "page": {"limit": n, "token": "<from the previous page>"} }
import { create } from '@bufbuild/protobuf';
import {
  QueryStateItemSchema,
  QueryStateResponseSchema,
  type QueryStateRequest,
  type QueryStateResponse,
} from '../gen/dapr/proto/runtime/v1/state_pb.js';
import type { QueryComparison, QueryFilter, QueryScalar, QuerySort, StateQuery } from '../components/types.js';
import { DaprError } from '../errors/table.js';
import type { CoreContext } from './context.js';
import { resolveStore } from './state.js';
import { goJsonParse } from './go-json.js';
import { elideMiddle } from '../util/elide.js';

const COMPARISONS: readonly QueryComparison[] = ['EQ', 'NEQ', 'GT', 'GTE', 'LT', 'LTE'];
/** Nesting bound: a deeper filter is refused instead of building an enormous SQL statement. */
const MAX_DEPTH = 16;
const MAX_LIMIT = 10_000;
/** Longest problem description in an error: a deep or generated query must not make a huge one. */
const MAX_DETAIL = 300;

class QueryError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function path(key: string, where: string): string[] {
  const parts = key.split('.');
  if (key === '' || parts.some((p) => p === '' || /["\\]/.test(p))) {
    throw new QueryError(`${where}: "${key}" is not a valid key (dot-separated field names without quotes or backslashes)`);
  }
  return parts;
}

function scalar(v: unknown, where: string): QueryScalar {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw new QueryError(`${where}: values must be strings, numbers, booleans or null`);
}

/** The single `{ field: value }` operand of a comparison or IN. */
function operand(v: unknown, where: string): [string[], unknown] {
  if (!isObject(v) || Object.keys(v).length !== 1) throw new QueryError(`${where}: expected an object with exactly one key`);
  const [key, value] = Object.entries(v)[0]!;
  return [path(key, where), value];
}

function filter(v: unknown, where: string, depth: number): QueryFilter {
  if (depth > MAX_DEPTH) throw new QueryError(`${where}: filters nested deeper than ${MAX_DEPTH}`);
  if (!isObject(v) || Object.keys(v).length !== 1) throw new QueryError(`${where}: a filter is an object with exactly one operator`);
  const [op, arg] = Object.entries(v)[0]!;
  const at = `${where}.${op}`;
  if ((COMPARISONS as readonly string[]).includes(op)) {
    const [p, value] = operand(arg, at);
    return { op: op as QueryComparison, path: p, value: scalar(value, at) };
  }
  if (op === 'IN') {
    const [p, values] = operand(arg, at);
    if (!Array.isArray(values) || values.length === 0) throw new QueryError(`${at}: expected a non-empty array of values`);
    return { op: 'IN', path: p, values: values.map((x, i) => scalar(x, `${at}[${i}]`)) };
  }
  if (op === 'AND' || op === 'OR') {
    if (!Array.isArray(arg) || arg.length === 0) throw new QueryError(`${at}: expected a non-empty array of filters`);
    return { op, filters: arg.map((f, i) => filter(f, `${at}[${i}]`, depth + 1)) };
  }
  throw new QueryError(`${where}: unknown operator "${op}" (known: ${[...COMPARISONS, 'IN', 'AND', 'OR'].join(', ')})`);
}

/**
 * Parses Dapr's JSON query text; throws ERR_STATE_QUERY naming the problem (daprd: 500,
 * "state store <name> query failed: failed to parse JSON query body: …").
 */
export function parseStateQuery(text: string, storeName = ''): StateQuery {
  try {
    let body: unknown;
    try {
      body = goJsonParse(text === '' ? '{}' : text);
    } catch (err) {
      throw new QueryError((err as Error).message);
    }
    if (!isObject(body)) throw new QueryError('the query must be a JSON object');
    const unknown = Object.keys(body).filter((k) => !['filter', 'sort', 'page'].includes(k));
    if (unknown.length) throw new QueryError(`unknown field ${unknown.map((k) => `"${k}"`).join(', ')}`);
    const f = body.filter === undefined || (isObject(body.filter) && Object.keys(body.filter).length === 0) ? undefined : filter(body.filter, 'filter', 0);
    const sort: QuerySort[] = [];
    if (body.sort !== undefined) {
      if (!Array.isArray(body.sort)) throw new QueryError('sort: expected an array');
      body.sort.forEach((s, i) => {
        if (!isObject(s) || typeof s.key !== 'string') throw new QueryError(`sort[${i}]: expected {"key": "...", "order": "ASC|DESC"}`);
        const order = s.order === undefined ? 'ASC' : s.order;
        if (order !== 'ASC' && order !== 'DESC') throw new QueryError(`sort[${i}].order: expected ASC or DESC`);
        sort.push({ path: path(s.key, `sort[${i}].key`), order });
      });
    }
    let limit = 0;
    let offset = 0;
    if (body.page !== undefined) {
      if (!isObject(body.page)) throw new QueryError('page: expected an object');
      const { limit: l, token } = body.page;
      if (l !== undefined) {
        if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l > MAX_LIMIT) throw new QueryError(`page.limit: expected an integer 0..${MAX_LIMIT}`);
        limit = l;
      }
      if (token !== undefined && token !== '') {
        if (typeof token !== 'string' || !/^\d{1,15}$/.test(token)) throw new QueryError('page.token: not a token returned by this store');
        offset = Number(token);
      }
    }
    return { filter: f, sort, limit, offset };
  } catch (err) {
    if (err instanceof QueryError) {
      throw new DaprError('ERR_STATE_QUERY', `state store ${storeName} query failed: failed to parse JSON query body: ${elideMiddle(err.message, MAX_DETAIL)}`, undefined, { resource: storeName });
    }
    throw err;
  }
}

export async function queryState(ctx: CoreContext, req: QueryStateRequest): Promise<QueryStateResponse> {
  const { store, keys } = resolveStore(ctx, req.storeName, false);
  const subject = { resource: req.storeName };
  if (!store.query) throw new DaprError('ERR_STATE_QUERY_UNSUPPORTED', 'state store does not support querying', undefined, subject);
  const q = parseStateQuery(req.query, req.storeName);
  // The prefix of this app's keys: what `add` puts in front of any key.
  const prefix = keys.add('k').slice(0, -1);
  let res;
  try {
    res = await store.query(prefix, q);
  } catch (err) {
    throw new DaprError('ERR_STATE_QUERY', `state store ${req.storeName} query failed: ${err instanceof Error ? err.message : String(err)}`, undefined, subject);
  }
  return create(QueryStateResponseSchema, {
    results: res.items.map((it) => create(QueryStateItemSchema, { key: keys.strip(it.key), data: it.value, etag: it.etag })),
    token: res.nextOffset === undefined ? '' : String(res.nextOffset),
  });
}
