// `bindings.redis` (output), as components-contrib 1.17's binding: request metadata `key`
// names the key; `create` SETs the data, `get` reads it (GETDEL with `delete: "true"`),
// `delete` DELs it, `increment` INCRs it. `ttl` / `ttlInSeconds` (a Go duration or whole
// seconds) sets an expiry after create and increment. Connection metadata is the state store's
// (redisHost, redisPassword, redisDB, enableTLS, timeouts…), read by the same code.
import type { Redis } from 'ioredis';
import { parseDuration } from '../util/units.js';
import { bindingFeatures, bindingSides, canonicalSpec, metadataValue } from './bindings-common.js';
import { connectRedis } from './redis-connection.js';
import { redisSettings } from './state-redis.js';
import type { Binding, BindingInvokeRequest, BindingInvokeResponse, ComponentContext, ComponentSpec } from './types.js';

export const REDIS_OPERATIONS = ['create', 'delete', 'get', 'increment'] as const;
const CONNECTION_FIELDS = ['redisHost', 'redisUsername', 'redisPassword', 'redisDB', 'redisType', 'failover', 'enableTLS', 'dialTimeout', 'readTimeout', 'writeTimeout', 'maxRetryBackoff', 'minRetryBackoff'];

/**
 * Seconds to EXPIRE after a write, undefined for none (contrib's TryGetTTL): a Go duration
 * ("90s", negative counts as 0) or else a whole number of seconds above zero.
 */
export function ttlSeconds(metadata: Readonly<Record<string, string>>): number | undefined {
  const raw = metadataValue(metadata, 'ttl') ?? metadataValue(metadata, 'ttlInSeconds');
  if (raw === undefined) return undefined;
  const t = raw.trim();
  const ms = parseDuration(t); // Go durations only: a bare number other than 0 is not one
  if (ms !== undefined) return Math.trunc(Math.max(0, ms) / 1000);
  const n = Number(t);
  if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(n)) throw new Error(`ttl value must be a valid integer: actual is '${raw}'`);
  if (n <= 0) throw new Error(`ttl value must be higher than zero: actual is '${n}'`);
  return n;
}

export class RedisBinding {
  constructor(private readonly client: Redis) {}

  async invoke(req: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const key = req.metadata.key;
    if (!key) throw new Error('redis binding: missing key in request metadata');
    switch (req.operation) {
      case 'delete':
        await this.client.del(key);
        return undefined;
      case 'get': {
        const v = req.metadata.delete === 'true' ? await this.client.getdelBuffer(key) : await this.client.getBuffer(key);
        // A missing key is an empty answer, not an error (contrib maps redis.Nil to it).
        return { data: v ? new Uint8Array(v) : new Uint8Array(), metadata: {} };
      }
      case 'create': {
        // The TTL is checked before writing, so a bad value leaves the key untouched.
        const ttl = ttlSeconds(req.metadata);
        await this.client.set(key, Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength));
        if (ttl !== undefined) await this.client.expire(key, ttl);
        return undefined;
      }
      case 'increment': {
        const ttl = ttlSeconds(req.metadata);
        await this.client.incr(key);
        if (ttl !== undefined) await this.client.expire(key, ttl);
        return undefined;
      }
      default:
        throw new Error(`invalid operation type: ${req.operation}`);
    }
  }
}

export async function createRedisBinding(spec: ComponentSpec, _ctx: ComponentContext): Promise<Binding> {
  const cspec = canonicalSpec(spec, CONNECTION_FIELDS);
  const sides = bindingSides(cspec, { input: false, output: true });
  // Fails naming the component file and the address, never the password.
  const client = await connectRedis(spec, redisSettings(cspec));
  const binding = new RedisBinding(client);
  let closed = false;
  return {
    kind: 'bindings',
    features: bindingFeatures(sides),
    output: { operations: REDIS_OPERATIONS, invoke: (req) => binding.invoke(req) },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
