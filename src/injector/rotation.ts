// Pure parts of `pillion token rotate`: the Secret body with the new token, which workloads use
// the Secret, and the patch that makes them roll (what `kubectl rollout restart` writes).
import type { PatchOp } from './types.js';
import { pointerToken } from './types.js';
import { TOKEN_KEY } from './sidecar.js';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** the annotations through which a pod template uses a token Secret */
export const SECRET_ANNOTATIONS = ['dapr.io/api-token-secret', 'dapr.io/app-token-secret'] as const;

export interface SecretLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  type?: string;
  data?: Record<string, string>;
  [k: string]: unknown;
}

export interface WorkloadLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
}

/** The Secret to write: the existing one with its `token` key replaced (other keys kept), or a new one. */
export function secretWithToken(existing: SecretLike | undefined, name: string, namespace: string, token: string): SecretLike {
  const data = { ...(existing?.data ?? {}), [TOKEN_KEY]: Buffer.from(token, 'utf8').toString('base64') };
  if (existing) return { ...existing, data };
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'pillion' } }, type: 'Opaque', data };
}

/** Names of the workloads whose pod template names `secret` in a token annotation. */
export function workloadsUsingSecret(items: readonly WorkloadLike[], secret: string): string[] {
  return items
    .filter((w) => {
      const ann = w.spec?.template?.metadata?.annotations ?? {};
      return SECRET_ANNOTATIONS.some((k) => ann[k]?.trim() === secret);
    })
    .map((w) => w.metadata?.name ?? '')
    .filter(Boolean)
    .sort();
}

/** JSON patch setting the pod template's restartedAt annotation to `now` (RFC 3339, seconds). */
export function restartPatch(w: WorkloadLike, now: Date): PatchOp[] {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (!w.spec?.template?.metadata) return [{ op: 'add', path: '/spec/template/metadata', value: { annotations: { [RESTARTED_AT]: at } } }];
  if (!w.spec.template.metadata.annotations) return [{ op: 'add', path: '/spec/template/metadata/annotations', value: { [RESTARTED_AT]: at } }];
  return [{ op: 'add', path: `/spec/template/metadata/annotations/${pointerToken(RESTARTED_AT)}`, value: at }];
}
