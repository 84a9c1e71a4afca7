// HTTP adapter of the state API: URL/JSON ↔ the core's protobuf-shaped requests.
import { create } from '@bufbuild/protobuf';
import {
  DeleteStateRequestSchema,
  ExecuteStateTransactionRequestSchema,
  GetBulkStateRequestSchema,
  SaveStateRequestSchema,
  TransactionalStateOperationSchema,
} from '../../gen/dapr/proto/runtime/v1/state_pb.js';
import {
  EtagSchema,
  StateItemSchema,
  StateOptionsSchema,
  StateOptions_StateConcurrency as Concurrency,
  StateOptions_StateConsistency as Consistency,
  type StateItem,
} from '../../gen/dapr/proto/common/v1/common_pb.js';
import { DaprError } from '../../errors/table.js';
import type { CoreContext } from '../../core/context.js';
import * as state from '../../core/state.js';
import { queryState } from '../../core/state-query.js';
import { goJsonMarshal } from '../../core/go-json.js';
import { isRecord, metadataHeaders, parseJsonBody, queryMetadata, stringMap } from './request-helpers.js';
import { NO_CONTENT, type HttpRequest, type HttpResponse, type RouteDef } from './types.js';

const JSON_TYPE = 'application/json';
const utf8 = new TextEncoder();

export function stateRoutes(ctx: CoreContext): RouteDef[] {
  const r = (method: RouteDef['method'], path: string, handler: (req: HttpRequest) => Promise<HttpResponse>): RouteDef => ({
    method, path, handler, group: 'state',
  });
  return [
    r('GET', '/v1.0/state/:storeName/:key', (req) => getState(ctx, req)),
    r('POST', '/v1.0/state/:storeName/bulk', (req) => bulkGet(ctx, req)),
    r('PUT', '/v1.0/state/:storeName/bulk', (req) => bulkGet(ctx, req)),
    r('POST', '/v1.0/state/:storeName', (req) => save(ctx, req)),
    r('PUT', '/v1.0/state/:storeName', (req) => save(ctx, req)),
    r('DELETE', '/v1.0/state/:storeName/:key', (req) => del(ctx, req)),
    r('POST', '/v1.0/state/:storeName/transaction', (req) => transaction(ctx, req)),
    r('PUT', '/v1.0/state/:storeName/transaction', (req) => transaction(ctx, req)),
    r('POST', '/v1.0-alpha1/state/:storeName/query', (req) => query(ctx, req)),
    r('PUT', '/v1.0-alpha1/state/:storeName/query', (req) => query(ctx, req)),
  ];
}

async function getState(ctx: CoreContext, req: HttpRequest): Promise<HttpResponse> {
  // A literal of the message type: this is the hot path, and create() costs ~1.5 µs.
  const res = await state.getState(ctx, {
    $typeName: 'dapr.proto.runtime.v1.GetStateRequest',
    storeName: req.params.storeName!,
    key: req.params.key!,
    consistency: consistencyOf(req.query.get('consistency')),
    metadata: queryMetadata(req.query),
  });
  if (res.etag === '' && res.data.length === 0) return NO_CONTENT;
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, ...metadataHeaders(res.metadata) };
  if (res.etag) headers.etag = res.etag;
  return { status: 200, headers, body: res.data };
}

async function bulkGet(ctx: CoreContext, req: HttpRequest): Promise<HttpResponse> {
  const body = parseJsonBody(req.body, 'bulk get request');
  if (!isRecord(body) || !Array.isArray(body.keys) || !body.keys.every((k) => typeof k === 'string')) {
    throw new DaprError('ERR_MALFORMED_REQUEST', 'failed deserializing HTTP body: "keys" must be an array of strings');
  }
  const res = await state.getBulkState(
    ctx,
    create(GetBulkStateRequestSchema, {
      storeName: req.params.storeName!,
      keys: body.keys as string[],
      parallelism: typeof body.parallelism === 'number' ? body.parallelism : 0,
      metadata: queryMetadata(req.query),
    }),
  );
  // `data` is embedded as JSON when the stored bytes are JSON, else as a JSON string.
  const parts = res.items.map((it) => {
    const fields = [`"key":${JSON.stringify(it.key)}`];
    if (it.data.length) fields.push(`"data":${rawJsonOrString(it.data)}`);
    if (it.etag) fields.push(`"etag":${JSON.stringify(it.etag)}`);
    if (Object.keys(it.metadata).length) fields.push(`"metadata":${JSON.stringify(it.metadata)}`);
    if (it.error) fields.push(`"error":${JSON.stringify(it.error)}`);
    return `{${fields.join(',')}}`;
  });
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body: `[${parts.join(',')}]` };
}

async function save(ctx: CoreContext, req: HttpRequest): Promise<HttpResponse> {
  const body = parseJsonBody(req.body, 'state save request');
  if (!Array.isArray(body)) throw new DaprError('ERR_MALFORMED_REQUEST', 'failed deserializing HTTP body: expected a JSON array of state items');
  if (body.length === 0) return NO_CONTENT;
  const md = queryMetadata(req.query);
  const states = body.map((item, i) => stateItem(item, `[${i}]`, md));
  refuseUnknownModel(ctx, req.params.storeName!, body.map((item) => modelProblem(isRecord(item) ? item.options : undefined)), 'ERR_STATE_SAVE', `failed saving state in state store ${req.params.storeName!}`);
  await state.saveState(ctx, create(SaveStateRequestSchema, { storeName: req.params.storeName!, states }));
  return NO_CONTENT;
}

async function del(ctx: CoreContext, req: HttpRequest): Promise<HttpResponse> {
  const ifMatch = req.headers['if-match'];
  const models = { concurrency: req.query.get('concurrency'), consistency: req.query.get('consistency') };
  refuseUnknownModel(ctx, req.params.storeName!, [modelProblem(models)], 'ERR_STATE_DELETE', `failed deleting state with key ${req.params.key!}`);
  await state.deleteState(
    ctx,
    create(DeleteStateRequestSchema, {
      storeName: req.params.storeName!,
      key: req.params.key!,
      etag: typeof ifMatch === 'string' ? create(EtagSchema, { value: ifMatch }) : undefined,
      options: create(StateOptionsSchema, {
        concurrency: concurrencyOf(req.query.get('concurrency')),
        consistency: consistencyOf(req.query.get('consistency')),
      }),
      metadata: queryMetadata(req.query),
    }),
  );
  return NO_CONTENT;
}

async function transaction(ctx: CoreContext, req: HttpRequest): Promise<HttpResponse> {
  const body = parseJsonBody(req.body, 'state transaction request');
  if (!isRecord(body) || !Array.isArray(body.operations)) {
    throw new DaprError('ERR_MALFORMED_REQUEST', 'failed deserializing HTTP body: "operations" must be an array');
  }
  const operations = body.operations.map((op, i) => {
    if (!isRecord(op) || typeof op.operation !== 'string') {
      throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: operations[${i}].operation must be a string`);
    }
    return create(TransactionalStateOperationSchema, {
      operationType: op.operation,
      request: stateItem(op.request, `operations[${i}].request`, {}),
    });
  });
  const problems = body.operations.map((op) => modelProblem(isRecord(op) && isRecord(op.request) ? op.request.options : undefined));
  refuseUnknownModel(ctx, req.params.storeName!, problems, 'ERR_STATE_TRANSACTION', 'error while executing state transaction');
  await state.executeStateTransaction(
    ctx,
    create(ExecuteStateTransactionRequestSchema, {
      storeName: req.params.storeName!,
      operations,
      metadata: { ...queryMetadata(req.query), ...stringMap(body.metadata, 'metadata') },
    }),
  );
  return NO_CONTENT;
}

/** daprd answers 204 when nothing matched, else {results:[{key, data, etag}], token?}. */
async function query(ctx: CoreContext, req: HttpRequest): Promise<HttpResponse> {
  const res = await queryState(ctx, {
    $typeName: 'dapr.proto.runtime.v1.QueryStateRequest',
    storeName: req.params.storeName!,
    query: req.body.toString('utf8'),
    metadata: queryMetadata(req.query),
  });
  if (res.results.length === 0) return NO_CONTENT;
  const results = res.results.map((it) => {
    const fields = [`"key":${JSON.stringify(it.key)}`, `"data":${rawJsonOrString(it.data)}`];
    if (it.etag) fields.push(`"etag":${JSON.stringify(it.etag)}`);
    return `{${fields.join(',')}}`;
  });
  const token = res.token ? `,"token":${JSON.stringify(res.token)}` : '';
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body: `{"results":[${results.join(',')}]${token}}` };
}

function stateItem(v: unknown, where: string, queryMd: Record<string, string>): StateItem {
  if (!isRecord(v)) throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${where} must be an object`);
  if (typeof v.key !== 'string' || v.key === '') {
    throw new DaprError('ERR_MALFORMED_REQUEST', `"key" is a required field (${where}.key)`);
  }
  if (v.etag !== undefined && v.etag !== null && typeof v.etag !== 'string') {
    throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${where}.etag must be a string`);
  }
  if (v.options !== undefined && v.options !== null && !isRecord(v.options)) {
    throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${where}.options must be an object`);
  }
  const opts = isRecord(v.options) ? v.options : {};
  for (const field of ['concurrency', 'consistency'] as const) {
    if (opts[field] !== undefined && opts[field] !== null && typeof opts[field] !== 'string') {
      throw new DaprError('ERR_MALFORMED_REQUEST', `failed deserializing HTTP body: ${where}.options.${field} must be a string`);
    }
  }
  return create(StateItemSchema, {
    key: v.key,
    // daprd marshals a missing value as JSON null
    value: utf8.encode(goJsonMarshal(v.value ?? null)),
    etag: typeof v.etag === 'string' ? create(EtagSchema, { value: v.etag }) : undefined,
    metadata: { ...stringMap(v.metadata, `${where}.metadata`), ...queryMd },
    options: create(StateOptionsSchema, {
      concurrency: concurrencyOf(typeof opts.concurrency === 'string' ? opts.concurrency : null),
      consistency: consistencyOf(typeof opts.consistency === 'string' ? opts.consistency : null),
    }),
  });
}

/**
 * A concurrency or consistency model daprd's state stores do not know, as they word it
 * (components-contrib's CheckRequestOptions, consistency checked first), or undefined. The
 * HTTP API takes them as free text; an unknown one is refused, not read as "unspecified".
 */
export function modelProblem(options: unknown): string | undefined {
  if (!isRecord(options)) return undefined;
  const { concurrency: c, consistency: s } = options;
  if (typeof s === 'string' && s !== '' && s !== 'strong' && s !== 'eventual') return `unrecognized consistency model '${s}'`;
  if (typeof c === 'string' && c !== '' && c !== 'first-write' && c !== 'last-write') return `unrecognized concurrency model '${c}'`;
  return undefined;
}

/** The first problem of `problems` as daprd's store error (an unknown store is named first,
 * as daprd finds the store before the store checks the options); nothing is written. */
function refuseUnknownModel(ctx: CoreContext, storeName: string, problems: ReadonlyArray<string | undefined>, code: 'ERR_STATE_SAVE' | 'ERR_STATE_DELETE' | 'ERR_STATE_TRANSACTION', context: string): void {
  const problem = problems.find((p) => p !== undefined);
  if (problem === undefined) return;
  state.resolveStore(ctx, storeName);
  throw new DaprError(code, `${context}: ${problem}`);
}

function concurrencyOf(v: string | null): Concurrency {
  return v === 'first-write' ? Concurrency.CONCURRENCY_FIRST_WRITE : v === 'last-write' ? Concurrency.CONCURRENCY_LAST_WRITE : Concurrency.CONCURRENCY_UNSPECIFIED;
}

function consistencyOf(v: string | null): Consistency {
  return v === 'strong' ? Consistency.CONSISTENCY_STRONG : v === 'eventual' ? Consistency.CONSISTENCY_EVENTUAL : Consistency.CONSISTENCY_UNSPECIFIED;
}

function rawJsonOrString(data: Uint8Array): string {
  const text = Buffer.from(data).toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

