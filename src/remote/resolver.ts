// Name resolution for sidecar-to-sidecar invocation: app id (and namespace) → the address of
// a sidecar's internal server. One small interface, two implementations: the shared SQLite
// registry (self-hosted) and Kubernetes Service DNS (<app-id>-dapr.<namespace>.svc.cluster.local).
import { lookup } from 'node:dns/promises';
import type { Registry } from './registry.js';

export interface InvokeTarget {
  readonly appId: string;
  readonly namespace: string;
}

export interface ResolvedAddress {
  readonly host: string;
  readonly port: number;
  /** answered from a recent lookup, not a fresh one (it may have gone stale since) */
  readonly cached?: boolean;
}

export interface NameResolver {
  /** rejects with ResolveError when no sidecar serves the target */
  resolve(target: InvokeTarget): Promise<ResolvedAddress>;
  /** drops what is remembered about the target (its sidecar could not be reached) */
  forget?(target: InvokeTarget): void;
}

/** How long a registry lookup is reused: the lookup (SQLite query and a liveness check per
 * row) cost more than the rest of a local call; a sidecar that went away within this window is
 * noticed by the failed connection, which drops the entry and looks again. */
export const RESOLVE_CACHE_MS = 1_000;

/** Why a target could not be resolved; the message is daprd's (it follows "err: "). */
export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}

/** daprd's target syntax: `app-id` (own namespace) or `app-id.namespace`. Pure. */
export function parseTarget(raw: string, ownNamespace: string): InvokeTarget | undefined {
  const items = raw.split('.');
  if (items.length === 1) return { appId: raw, namespace: ownNamespace };
  if (items.length === 2 && items[0] && items[1]) return { appId: items[0], namespace: items[1] };
  return undefined;
}

/** Self-hosted: a live registry row, picked at random when several instances run. The live
 * rows of a target are remembered for RESOLVE_CACHE_MS (found ones only: a sidecar that has
 * just started is found at once). */
export function registryResolver(registry: Registry, random: () => number = Math.random, now: () => number = Date.now, ttlMs = RESOLVE_CACHE_MS): NameResolver {
  const cache = new Map<string, { rows: ReadonlyArray<{ host: string; internalPort: number }>; until: number }>();
  const keyOf = (t: InvokeTarget): string => `${t.appId}\n${t.namespace}`;
  return {
    async resolve(t) {
      const key = keyOf(t);
      const hit = cache.get(key);
      let rows = hit && hit.until > now() ? hit.rows : undefined;
      const cached = rows !== undefined;
      if (!rows) {
        rows = registry.live(t);
        if (rows.length) cache.set(key, { rows, until: now() + ttlMs });
        else cache.delete(key);
      }
      if (!rows.length) throw new ResolveError(`couldn't find service: ${t.appId}`);
      const e = rows[Math.floor(random() * rows.length)]!;
      return { host: e.host, port: e.internalPort, cached };
    },
    forget(t) {
      cache.delete(keyOf(t));
    },
  };
}

export const kubernetesHost = (t: InvokeTarget): string => `${t.appId}-dapr.${t.namespace}.svc.cluster.local`;

/** Kubernetes: the `<app-id>-dapr` headless Service of the target app, on the internal port. */
export function kubernetesResolver(port: number, resolveHost: (host: string) => Promise<unknown> = (h) => lookup(h)): NameResolver {
  return {
    async resolve(t) {
      const host = kubernetesHost(t);
      try {
        await resolveHost(host);
      } catch {
        throw new ResolveError(`failed to resolve address for '${host}'`);
      }
      return { host, port };
    },
  };
}
