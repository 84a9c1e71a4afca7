// The one list of built-in component types. Each entry imports its module only when a
// component of that type is created, so a sidecar that never uses SQLite never loads the
// native addon (and later drivers such as ioredis or pg cost nothing until used).

import { ComponentRegistry } from './registry.js';
import type { ComponentFactory } from './types.js';

export interface CatalogueEntry {
  readonly type: string;
  readonly versions: readonly string[];
  readonly factory: ComponentFactory;
}

export const BUILTIN_COMPONENTS: readonly CatalogueEntry[] = [
  {
    type: 'state.in-memory',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./state-in-memory.js')).createInMemoryStateStore(spec, ctx),
  },
  {
    type: 'state.sqlite',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./state-sqlite.js')).createSqliteStateStore(spec, ctx),
  },
  {
    type: 'state.redis',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./state-redis.js')).createRedisStateStore(spec, ctx),
  },
  {
    type: 'state.postgresql',
    // v2 is daprd's newer table layout; Pillion keeps its own schema, so only v1 is offered.
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./state-postgresql.js')).createPostgresStateStore(spec, ctx),
  },
  {
    type: 'pubsub.in-memory',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./pubsub-in-memory.js')).createInMemoryPubSub(spec, ctx),
  },
  {
    type: 'pubsub.redis',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./pubsub-redis.js')).createRedisPubSub(spec, ctx),
  },
  {
    type: 'secretstores.local.file',
    versions: ['v1'],
    factory: async (spec, ctx) =>
      (await import('./secretstore-local-file.js')).createLocalFileSecretStore(spec, ctx),
  },
  {
    type: 'secretstores.local.env',
    versions: ['v1'],
    factory: async (spec, ctx) =>
      (await import('./secretstore-local-env.js')).createLocalEnvSecretStore(spec, ctx),
  },
  {
    type: 'bindings.http',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./bindings-http.js')).createHttpBinding(spec, ctx),
  },
  {
    type: 'bindings.cron',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./bindings-cron.js')).createCronBinding(spec, ctx),
  },
  {
    type: 'bindings.redis',
    versions: ['v1'],
    factory: async (spec, ctx) => (await import('./bindings-redis.js')).createRedisBinding(spec, ctx),
  },
];

/** Adds every built-in to `registry` (a new one by default) and returns it. */
export function registerBuiltins(registry: ComponentRegistry = new ComponentRegistry()): ComponentRegistry {
  for (const e of BUILTIN_COMPONENTS) registry.register(e.type, e.factory, e.versions);
  return registry;
}
