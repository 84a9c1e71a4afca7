// The state API, once for both protocols. Requests/responses are Dapr's protobuf messages.
import { create } from '@bufbuild/protobuf';
import {
  BulkStateItemSchema,
  GetBulkStateResponseSchema,
  GetStateResponseSchema,
  type DeleteBulkStateRequest,
  type DeleteStateRequest,
  type ExecuteStateTransactionRequest,
  type GetBulkStateRequest,
  type GetBulkStateResponse,
  type GetStateRequest,
  type GetStateResponse,
  type SaveStateRequest,
} from '../gen/dapr/proto/runtime/v1/state_pb.js';
import {
  StateOptions_StateConcurrency as Concurrency,
  StateOptions_StateConsistency as Consistency,
  type StateItem as PbStateItem,
  type StateOptions,
} from '../gen/dapr/proto/common/v1/common_pb.js';
import {
  ETagInvalidError,
  ETagMismatchError,
  type StateDelete,
  type StateItem,
  type StateStore,
  type TransactionOp,
} from '../components/types.js';
import { DaprError } from '../errors/table.js';
import type { CoreContext } from './context.js';
import { goJsonMarshal, goJsonParse } from './go-json.js';
import { keyPrefixer, type KeyPrefixer } from './state-keys.js';

interface Resolved {
  readonly store: StateStore;
  readonly keys: KeyPrefixer;
}

const resolvedCache = new WeakMap<CoreContext, Map<string, Resolved>>();

/**
 * Finds the store (ERR_STATE_STORE_NOT_FOUND / NOT_CONFIGURED) and its key prefixer. Those
 * errors carry `{appID}` as daprd's HTTP state routes do; `withAppId: false` for the query API,
 * which daprd answers from its universal API without it.
 */
export function resolveStore(ctx: CoreContext, name: string, withAppId = true): Resolved {
  let cache = resolvedCache.get(ctx);
  if (!cache) resolvedCache.set(ctx, (cache = new Map()));
  const hit = cache.get(name);
  if (hit) return hit;
  const store = ctx.components.state(name);
  if (!store) {
    const meta = withAppId && ctx.appId !== '' ? { appID: ctx.appId } : undefined;
    if (!ctx.components.list().some((c) => c.type.startsWith('state.'))) {
      throw new DaprError('ERR_STATE_STORE_NOT_CONFIGURED', `state store ${name} is not configured`, meta);
    }
    throw new DaprError('ERR_STATE_STORE_NOT_FOUND', `state store ${name} is not found`, meta);
  }
  const resolved = { store, keys: keyPrefixer(ctx.appId, name, ctx.components.metadataOf(name)?.keyPrefix) };
  cache.set(name, resolved);
  return resolved;
}

export async function getState(ctx: CoreContext, req: GetStateRequest): Promise<GetStateResponse> {
  const { store, keys } = resolveStore(ctx, req.storeName);
  const key = keys.add(req.key);
  try {
    const found = await store.get(key, { consistency: consistencyOf(req.consistency), metadata: req.metadata });
    if (!found) return create(GetStateResponseSchema);
    // The hot path: a literal of the message type costs far less than create().
    return { $typeName: 'dapr.proto.runtime.v1.GetStateResponse', data: found.value, etag: found.etag, metadata: { ...found.metadata } };
  } catch (err) {
    throw storeError('ERR_STATE_GET', err, `fail to get ${req.key} from state store ${req.storeName}`);
  }
}

export async function getBulkState(ctx: CoreContext, req: GetBulkStateRequest): Promise<GetBulkStateResponse> {
  const { store, keys } = resolveStore(ctx, req.storeName);
  const stored = req.keys.map((k) => keys.add(k));
  let values;
  try {
    values = await store.bulkGet(stored);
  } catch (err) {
    throw storeError('ERR_STATE_BULK_GET', err, `failed getting state from state store ${req.storeName}`);
  }
  return create(GetBulkStateResponseSchema, {
    items: req.keys.map((key, i) => {
      const v = values[i];
      return create(BulkStateItemSchema, v ? { key, data: v.value, etag: v.etag, metadata: { ...v.metadata } } : { key });
    }),
  });
}

export async function saveState(ctx: CoreContext, req: SaveStateRequest): Promise<void> {
  const { store, keys } = resolveStore(ctx, req.storeName);
  const items = req.states.map((s) => toItem(s, keys));
  try {
    for (const item of items) await store.set(item);
  } catch (err) {
    throw storeError('ERR_STATE_SAVE', err, `failed saving state in state store ${req.storeName}`);
  }
}

export async function deleteState(ctx: CoreContext, req: DeleteStateRequest): Promise<void> {
  const { store, keys } = resolveStore(ctx, req.storeName);
  const del: StateDelete = {
    key: keys.add(req.key),
    etag: req.etag ? req.etag.value : undefined,
    metadata: req.metadata,
    ...optionsOf(req.options),
  };
  try {
    await store.delete(del);
  } catch (err) {
    throw storeError('ERR_STATE_DELETE', err, `failed deleting state with key ${req.key}`);
  }
}

export async function deleteBulkState(ctx: CoreContext, req: DeleteBulkStateRequest): Promise<void> {
  const { store, keys } = resolveStore(ctx, req.storeName);
  const dels = req.states.map((s) => toItem(s, keys));
  try {
    for (const d of dels) await store.delete(d);
  } catch (err) {
    throw storeError('ERR_STATE_DELETE', err, `failed deleting state in state store ${req.storeName}`);
  }
}

export async function executeStateTransaction(ctx: CoreContext, req: ExecuteStateTransactionRequest): Promise<void> {
  const { store, keys } = resolveStore(ctx, req.storeName);
  const ops: TransactionOp[] = req.operations.map((op) => {
    if (!op.request) throw new DaprError('ERR_MALFORMED_REQUEST', `transaction operation ${op.operationType} has no request`);
    const item = toItem(op.request, keys, req.metadata);
    switch (op.operationType) {
      case 'upsert':
        return { operation: 'upsert', request: item };
      case 'delete':
        return { operation: 'delete', request: item };
      default:
        throw new DaprError('ERR_NOT_SUPPORTED_STATE_OPERATION', `operation type ${op.operationType} not supported`);
    }
  });
  if (!store.features.includes('TRANSACTIONAL')) {
    throw new DaprError('ERR_STATE_STORE_NOT_SUPPORTED', `state store ${req.storeName} doesn't support transactions`, undefined, { resource: req.storeName });
  }
  try {
    await store.transact(ops);
  } catch (err) {
    throw storeError('ERR_STATE_TRANSACTION', err, `error while executing state transaction`);
  }
}

const utf8 = new TextEncoder();

/**
 * daprd: an item whose metadata says contentType=application/json is decoded and re-encoded
 * the way its HTTP API stores JSON values, so both protocols store the same bytes for it.
 */
function normalizedValue(s: PbStateItem): Uint8Array {
  if (s.metadata.contentType !== 'application/json') return s.value;
  try {
    return utf8.encode(goJsonMarshal(goJsonParse(Buffer.from(s.value).toString('utf8'))));
  } catch (err) {
    throw new DaprError('ERR_MALFORMED_REQUEST', `value of key ${s.key} is not valid JSON: ${(err as Error).message}`);
  }
}

function toItem(s: PbStateItem, keys: KeyPrefixer, txMetadata?: Record<string, string>): StateItem {
  return {
    key: keys.add(s.key),
    value: normalizedValue(s),
    etag: s.etag ? s.etag.value : undefined,
    metadata: txMetadata ? { ...txMetadata, ...s.metadata } : s.metadata,
    ...optionsOf(s.options),
  };
}

function optionsOf(o: StateOptions | undefined): Pick<StateItem, 'concurrency' | 'consistency'> {
  if (!o) return {};
  return {
    concurrency: o.concurrency === Concurrency.CONCURRENCY_FIRST_WRITE ? 'first-write' : o.concurrency === Concurrency.CONCURRENCY_LAST_WRITE ? 'last-write' : undefined,
    consistency: consistencyOf(o.consistency),
  };
}

function consistencyOf(c: Consistency): 'eventual' | 'strong' | undefined {
  return c === Consistency.CONSISTENCY_STRONG ? 'strong' : c === Consistency.CONSISTENCY_EVENTUAL ? 'eventual' : undefined;
}

type OpCode = 'ERR_STATE_GET' | 'ERR_STATE_BULK_GET' | 'ERR_STATE_SAVE' | 'ERR_STATE_DELETE' | 'ERR_STATE_TRANSACTION';

/** Maps a store failure to the operation's error code, with 409/400 for ETag problems. */
function storeError(code: OpCode, err: unknown, context: string): DaprError {
  if (err instanceof DaprError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  // daprd answers 409/Aborted (400/InvalidArgument) for ETag problems on save and delete only;
  // inside a transaction they stay 500/Internal ERR_STATE_TRANSACTION.
  if (code === 'ERR_STATE_SAVE' || code === 'ERR_STATE_DELETE') {
    if (err instanceof ETagMismatchError) return new DaprError(`${code}_ETAG_MISMATCH`, `${context}: ${detail}`);
    if (err instanceof ETagInvalidError) return new DaprError(`${code}_ETAG_INVALID`, `${context}: ${detail}`);
  }
  return new DaprError(code, `${context}: ${detail}`);
}
