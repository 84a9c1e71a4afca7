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
}

export interface NameResolver {
  /** rejects with ResolveError when no sidecar serves the target */
  resolve(target: InvokeTarget): Promise<ResolvedAddress>;
}

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

/** Self-hosted: a live registry row, picked at random when several instances run. */
export function registryResolver(registry: Registry, random: () => number = Math.random): NameResolver {
  return {
    async resolve(t) {
      const live = registry.live(t);
      if (!live.length) throw new ResolveError(`couldn't find service: ${t.appId}`);
      const e = live[Math.floor(random() * live.length)]!;
      return { host: e.host, port: e.internalPort };
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
