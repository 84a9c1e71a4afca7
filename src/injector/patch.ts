// buildPatch(pod, config): the RFC 6902 operations that inject the sidecar, or why not. Pure.
import type { Problem } from './annotations.js';
import { decide, SIDECAR_NAME, type Settings } from './decide.js';
import { appEnv, sidecarContainer, sidecarVolumes } from './sidecar.js';
import { pointerToken, type InjectorConfig, type PatchOp, type Pod } from './types.js';

export const INJECTED_LABEL = 'dapr.io/sidecar-injected';
export const APP_ID_LABEL = 'dapr.io/app-id';
export const METRICS_LABEL = 'dapr.io/metrics-enabled';

export type PatchResult =
  | { readonly action: 'inject'; readonly patch: readonly PatchOp[]; readonly warnings: readonly Problem[] }
  | { readonly action: 'skip'; readonly reasons: readonly Problem[] }
  | { readonly action: 'deny'; readonly reasons: readonly Problem[]; readonly warnings: readonly Problem[] };

export function buildPatch(pod: Pod, config: InjectorConfig): PatchResult {
  const d = decide(pod);
  if (d.action !== 'inject') return d;
  return { action: 'inject', patch: patchOps(pod, d.settings, config), warnings: d.warnings };
}

/** The operations for a pod already decided for injection. */
export function patchOps(pod: Pod, s: Settings, config: InjectorConfig): PatchOp[] {
  const ops: PatchOp[] = [];
  ops.push({ op: 'add', path: '/spec/containers/-', value: sidecarContainer(s, config) });
  ops.push(...labelOps(pod, {
    [INJECTED_LABEL]: 'true',
    [APP_ID_LABEL]: s.appId,
    [METRICS_LABEL]: String(s.values.get('dapr.io/enable-metrics')),
  }));
  ops.push(...appEnvOps(pod, s));
  ops.push(...listOps('/spec/volumes', pod.spec.volumes, sidecarVolumes(s)));
  return ops;
}

export function labelOps(pod: Pod, labels: Record<string, string>): PatchOp[] {
  if (!pod.metadata) return [{ op: 'add', path: '/metadata', value: { labels } }];
  if (!pod.metadata.labels) return [{ op: 'add', path: '/metadata/labels', value: labels }];
  return Object.entries(labels).map(([k, v]) => ({ op: 'add', path: `/metadata/labels/${pointerToken(k)}`, value: v }));
}

/** DAPR_HTTP_PORT, DAPR_GRPC_PORT, APP_PROTOCOL on every app container that lacks them. */
export function appEnvOps(pod: Pod, s: Settings): PatchOp[] {
  const ops: PatchOp[] = [];
  pod.spec.containers.forEach((c, i) => {
    if (c.name === SIDECAR_NAME) return;
    const have = new Set((c.env ?? []).map((e) => e.name));
    const add = appEnv(s).filter((e) => !have.has(e.name));
    ops.push(...listOps(`/spec/containers/${i}/env`, c.env, add));
  });
  return ops;
}

/** Adds items to an array field: creates the array when absent, else appends one by one. */
export function listOps(path: string, existing: readonly unknown[] | undefined, items: readonly unknown[]): PatchOp[] {
  if (!items.length) return [];
  if (!existing) return [{ op: 'add', path, value: items }];
  return items.map((value) => ({ op: 'add', path: `${path}/-`, value }));
}
