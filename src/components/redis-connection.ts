// Connection metadata shared by every Redis component (state.redis, bindings.redis,
// pubsub.redis): contrib's field names (redisHost, redisUsername, redisPassword, redisDB,
// enableTLS, dialTimeout, readTimeout, writeTimeout, maxRetryBackoff, minRetryBackoff) read
// once, into ioredis options with one failure policy:
//
// the client never queues commands while disconnected (`enableOfflineQueue: false`) and never
// replays commands that were in flight when the connection dropped (a replayed write could be
// applied twice). A request made while Redis is unreachable therefore fails at once, one stuck
// on a live but silent connection fails after `readTimeout`; the client keeps reconnecting in
// the background with a capped backoff.

import type { Redis, RedisOptions } from 'ioredis';
import { MetadataReader } from './metadata-values.js';
import type { ComponentSpec } from './types.js';

/** `host:port` (Dapr's redisHost), IPv6 in brackets; port defaults to 6379. */
function parseHost(md: MetadataReader): { host: string; port: number } {
  const raw = md.required('redisHost');
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(raw.trim());
  const port = m?.[3] === undefined ? 6379 : Number(m[3]);
  if (!m || port < 1 || port > 65535) md.fail('redisHost', `expected host:port, got "${raw}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** A whole number within [min, max], or `fallback` when the field is absent. */
export function metadataInteger(md: MetadataReader, field: string, fallback: number, min: number, max: number): number {
  const raw = md.optional(field);
  if (raw === undefined) return fallback;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < min || n > max) md.fail(field, `expected an integer ${min}..${max}, got "${raw}"`);
  return n;
}

export interface RedisSettings {
  readonly options: RedisOptions;
  readonly dialTimeoutMs: number;
  /** the read/write timeout in ms (0: none); commands fail after it */
  readonly readTimeoutMs: number;
}

/** Validates the connection metadata into ioredis options (exported for tests). */
export function redisSettings(spec: ComponentSpec): RedisSettings {
  const md = new MetadataReader(spec);
  const { host, port } = parseHost(md);
  const redisType = (md.optional('redisType') ?? 'node').toLowerCase();
  if (redisType !== 'node') md.fail('redisType', `only "node" is supported, got "${redisType}"`);
  if (md.bool('failover', false)) md.fail('failover', 'Sentinel failover is not supported');
  const dialTimeoutMs = md.duration('dialTimeout', 5_000);
  // go-redis's default read timeout is 3s; a write timeout bounds the same wait here.
  const readTimeoutMs = Math.max(md.duration('readTimeout', 3_000), md.duration('writeTimeout', 3_000));
  const maxRetryBackoffMs = md.duration('maxRetryBackoff', 2_000);
  const minRetryBackoffMs = md.duration('minRetryBackoff', 8);
  const options: RedisOptions = {
    host,
    port,
    username: md.optional('redisUsername'),
    password: md.optional('redisPassword'),
    db: metadataInteger(md, 'redisDB', 0, 0, 65535),
    tls: md.bool('enableTLS', false) ? { servername: host } : undefined,
    connectTimeout: dialTimeoutMs,
    commandTimeout: readTimeoutMs > 0 ? readTimeoutMs : undefined,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Reconnect forever, backing off up to maxRetryBackoff.
    retryStrategy: (times) => Math.min(Math.max(minRetryBackoffMs, 1) * 2 ** Math.min(times, 16), Math.max(maxRetryBackoffMs, 1)),
    lazyConnect: true,
    connectionName: `pillion-${spec.name}`.replace(/\s/g, '_'),
  };
  return { options, dialTimeoutMs, readTimeoutMs: Math.max(readTimeoutMs, 0) };
}

/**
 * Opens a client and PINGs it within `dialTimeoutMs`. On failure the client is dropped and
 * the error names the component file and the address (never the password).
 */
export async function connectRedis<C extends Redis = Redis>(
  spec: ComponentSpec,
  settings: Pick<RedisSettings, 'options' | 'dialTimeoutMs'>,
  setup: (client: C) => void = () => {},
): Promise<C> {
  const { options, dialTimeoutMs } = settings;
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(options) as C;
  // Without a listener ioredis prints every connection error; the requests that fail report
  // it instead, and the client keeps reconnecting.
  client.on('error', () => {});
  setup(client);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no connection within ${dialTimeoutMs} ms`)), dialTimeoutMs);
      }),
    ]);
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new Error(`${spec.source}: cannot connect to Redis at ${options.host}:${options.port}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  return client;
}

/** QUIT politely; a client that is not connected is just dropped. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
