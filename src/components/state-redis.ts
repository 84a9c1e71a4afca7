// `state.redis`: Dapr's Redis layout, so data written by daprd reads back here and vice versa:
// one hash per key with fields `data` (the value's bytes) and `version` (an integer, the ETag,
// bumped with HINCRBY on every write). Every check-and-write is one Lua script, so an ETag or
// first-write check and the write that depends on it are atomic on the server, and a
// transaction validates all of its operations before applying any of them.
//
// Connection metadata and failure behaviour (no offline queue, no replayed writes, endless
// reconnects) are the shared ones of redis-connection.ts.

import type { Redis } from 'ioredis';
import { closeRedis, connectRedis, redisSettings } from './redis-connection.js';
import { deleteMode, expiryFrom, expiryMetadata, STATE_FEATURES, writeMode } from './state-semantics.js';
import {
  ETagMismatchError,
  type ComponentContext,
  type ComponentSpec,
  type StateDelete,
  type StateItem,
  type StateStore,
  type StoredValue,
  type TransactionOp,
} from './types.js';

/** The error reply our scripts send for a failed ETag / first-write check. */
const MISMATCH = 'PILLION_ETAG_MISMATCH';

// Absolute expiry in epoch ms (-1: none). PEXPIRETIME needs Redis 7; older servers get it
// from PTTL and the server clock.
const EXPIRE_AT = `
local function expire_at(k)
  local e = redis.pcall('PEXPIRETIME', k)
  if type(e) == 'number' then return e end
  local p = redis.call('PTTL', k)
  if p < 0 then return -1 end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + p
end`;

/** KEYS[1]; returns nil or {data, version, expireAtMs}. */
const GET_SCRIPT = `${EXPIRE_AT}
local v = redis.call('HMGET', KEYS[1], 'data', 'version')
if not v[1] then return nil end
return {v[1], v[2] or '0', expire_at(KEYS[1])}`;

// Shared by set and transaction: check one write against the current version `cur` (false
// when the key is missing). Modes match state-semantics.ts: match / create / any.
const CHECK = `
local function check(mode, expected, cur)
  if mode == 'match' then return cur ~= false and cur == expected end
  if mode == 'create' then return cur == false end
  return true
end
local function put(k, data, exp)
  redis.call('HSET', k, 'data', data)
  local ver = redis.call('HINCRBY', k, 'version', 1)
  if exp == '' then redis.call('PERSIST', k) else redis.call('PEXPIREAT', k, exp) end
  return ver
end`;

/** KEYS[1]; ARGV: data, mode, expected etag, expireAtMs or ''. Returns the new version. */
const SET_SCRIPT = `${CHECK}
local cur = redis.call('HGET', KEYS[1], 'version')
if not check(ARGV[2], ARGV[3], cur) then return redis.error_reply('${MISMATCH} 1') end
return put(KEYS[1], ARGV[1], ARGV[4])`;

/** KEYS[1]; ARGV: mode, expected etag. */
const DELETE_SCRIPT = `${CHECK}
if ARGV[1] == 'match' and not check('match', ARGV[2], redis.call('HGET', KEYS[1], 'version')) then
  return redis.error_reply('${MISMATCH} 1')
end
return redis.call('DEL', KEYS[1])`;

/**
 * KEYS: one per operation; ARGV: 5 per operation (kind u|d, mode, expected, data, expireAt).
 * Phase 1 replays the operations against a staged view of the versions (so a later op sees an
 * earlier one's effect on the same key) and refuses the whole transaction on the first failed
 * check; phase 2 applies them. A script is atomic, so nothing runs in between.
 */
const TRANSACT_SCRIPT = `${CHECK}
local staged = {}
for i = 1, #KEYS do
  local k, b = KEYS[i], (i - 1) * 5
  local cur = staged[k]
  if cur == nil then cur = redis.call('HGET', k, 'version') end
  if not check(ARGV[b + 2], ARGV[b + 3], cur) then return redis.error_reply('${MISMATCH} ' .. i) end
  if ARGV[b + 1] == 'u' then staged[k] = tostring((cur and tonumber(cur) or 0) + 1) else staged[k] = false end
end
for i = 1, #KEYS do
  local k, b = KEYS[i], (i - 1) * 5
  if ARGV[b + 1] == 'd' then redis.call('DEL', k) else put(k, ARGV[b + 4], ARGV[b + 5]) end
end
return #KEYS`;

// Kept importable from here: bindings.redis and older tests read the settings through this module.
export { redisSettings, type RedisSettings } from './redis-connection.js';

type ScriptResult = [Buffer, Buffer, number] | null;

interface ScriptedRedis extends Redis {
  pillionGetBuffer(key: string): Promise<ScriptResult>;
  pillionSet(key: string, data: Uint8Array, mode: string, expected: string, exp: string): Promise<number>;
  pillionDelete(key: string, mode: string, expected: string): Promise<number>;
  pillionTransact(numKeys: number, ...args: Array<string | Uint8Array>): Promise<number>;
}

export class RedisStateStore implements StateStore {
  readonly kind = 'state' as const;
  readonly features = STATE_FEATURES;
  private closed = false;

  constructor(private readonly client: ScriptedRedis) {}

  async get(key: string): Promise<StoredValue | undefined> {
    return toStored(await this.client.pillionGetBuffer(key));
  }

  async bulkGet(keys: readonly string[]): Promise<Array<StoredValue | undefined>> {
    if (keys.length === 0) return [];
    const pipe = this.client.pipeline();
    for (const k of keys) (pipe as unknown as ScriptedRedis).pillionGetBuffer(k);
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, res]) => {
      if (err) throw err;
      return toStored(res as ScriptResult);
    });
  }

  async set(item: StateItem): Promise<void> {
    const exp = expiryArg(item);
    try {
      await this.client.pillionSet(item.key, asBuffer(item.value), writeMode(item), item.etag ?? '', exp);
    } catch (err) {
      throw mapError(err, [item.key]);
    }
  }

  async delete(req: StateDelete): Promise<void> {
    try {
      await this.client.pillionDelete(req.key, deleteMode(req), req.etag ?? '');
    } catch (err) {
      throw mapError(err, [req.key]);
    }
  }

  async transact(ops: readonly TransactionOp[]): Promise<void> {
    if (ops.length === 0) return;
    const keys: string[] = [];
    const args: Array<string | Uint8Array> = [];
    for (const op of ops) {
      keys.push(op.request.key);
      if (op.operation === 'upsert') {
        args.push('u', writeMode(op.request), op.request.etag ?? '', asBuffer(op.request.value), expiryArg(op.request));
      } else {
        args.push('d', deleteMode(op.request), op.request.etag ?? '', '', '');
      }
    }
    try {
      await this.client.pillionTransact(keys.length, ...keys, ...args);
    } catch (err) {
      throw mapError(err, keys);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedis(this.client);
  }
}

function toStored(res: ScriptResult): StoredValue | undefined {
  if (!res) return undefined;
  const [data, version, expireAt] = res;
  // ioredis hands out a fresh Buffer per reply; copy anyway so callers never share memory
  // with the client's parser.
  return { value: new Uint8Array(data), etag: version.toString(), metadata: expiryMetadata(expireAt >= 0 ? expireAt : undefined) };
}

/** ioredis sends Buffers as bytes but stringifies other typed arrays: wrap without copying. */
function asBuffer(v: Uint8Array): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function expiryArg(item: StateItem): string {
  const at = expiryFrom(item.key, item.metadata, Date.now());
  return at === undefined ? '' : String(at);
}

function mapError(err: unknown, keys: readonly string[]): unknown {
  if (err instanceof Error && err.message.startsWith(MISMATCH)) {
    const i = Number(err.message.slice(MISMATCH.length + 1)) - 1;
    return new ETagMismatchError(keys[i] ?? keys[0] ?? '');
  }
  return err;
}

export async function createRedisStateStore(spec: ComponentSpec, _ctx: ComponentContext): Promise<StateStore> {
  const client = await connectRedis<ScriptedRedis>(spec, redisSettings(spec), (c) => {
    c.defineCommand('pillionGet', { numberOfKeys: 1, lua: GET_SCRIPT });
    c.defineCommand('pillionSet', { numberOfKeys: 1, lua: SET_SCRIPT });
    c.defineCommand('pillionDelete', { numberOfKeys: 1, lua: DELETE_SCRIPT });
    c.defineCommand('pillionTransact', { lua: TRANSACT_SCRIPT });
  });
  return new RedisStateStore(client);
}
