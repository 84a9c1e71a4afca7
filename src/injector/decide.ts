// decide(pod): inject, skip (with reason codes) or deny (with messages). Pure.
import { readAnnotations, type AnnotationValue, type Problem } from './annotations.js';
import type { Pod } from './types.js';

export const SIDECAR_NAME = 'daprd';

/** The annotation values a sidecar is built from, already validated. */
export interface Settings {
  readonly appId: string;
  readonly values: ReadonlyMap<string, AnnotationValue>;
}

export type Decision =
  | { readonly action: 'inject'; readonly settings: Settings; readonly warnings: readonly Problem[] }
  | { readonly action: 'skip'; readonly reasons: readonly Problem[] }
  | { readonly action: 'deny'; readonly reasons: readonly Problem[]; readonly warnings: readonly Problem[] };

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' rule for a DNS-1123 label: lower-case alphanumerics and '-', at most 63. */
export const isDns1123Label = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);

/** A DNS-1123 subdomain (the rule for Secret names): dot-separated labels, at most 253. */
export const isDns1123Subdomain = (s: string): boolean =>
  s.length > 0 && s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s);

export function decide(pod: Pod): Decision {
  const annotations = pod.metadata?.annotations ?? {};
  const enabled = annotations['dapr.io/enabled'];
  if (typeof enabled !== 'string' || enabled.trim().toLowerCase() !== 'true') {
    return { action: 'skip', reasons: [{ code: 'not-enabled', message: enabled === undefined ? 'dapr.io/enabled is not set' : `dapr.io/enabled is ${JSON.stringify(enabled)}, not "true"` }] };
  }
  if ((pod.spec?.containers ?? []).some((c) => c.name === SIDECAR_NAME)) {
    return { action: 'skip', reasons: [{ code: 'already-injected', message: `the pod already has a "${SIDECAR_NAME}" container` }] };
  }
  const read = readAnnotations(annotations);
  const errors = [...read.errors];
  const warnings = [...read.warnings];
  const appId = (read.values.get('dapr.io/app-id') as string | undefined) ?? pod.metadata?.name ?? '';
  if (appId === '') {
    errors.unshift({
      code: 'invalid-app-id',
      message: pod.metadata?.name
        ? 'dapr.io/app-id is empty'
        : 'dapr.io/app-id is not set and the pod has no name yet (pods created from a template are named later): set dapr.io/app-id',
    });
  } else if (!isDns1123Label(`${appId}-dapr`)) {
    errors.unshift({ code: 'invalid-app-id', message: `app id ${JSON.stringify(appId)} is invalid: "${appId}-dapr" must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)` });
  }
  if (read.values.has('dapr.io/config')) {
    warnings.push({ code: 'unsupported-annotation', message: 'dapr.io/config names a Dapr Configuration resource, which Pillion does not fetch (no operator); ignored' });
  }
  for (const key of ['dapr.io/api-token-secret', 'dapr.io/app-token-secret']) {
    const name = read.values.get(key);
    if (typeof name === 'string' && !isDns1123Subdomain(name)) {
      errors.push({ code: 'invalid-secret-name', message: `${key}: ${JSON.stringify(name)} is not a valid Secret name (DNS-1123 subdomain)` });
    }
  }
  const taken = new Set((pod.spec?.volumes ?? []).map((v) => v.name));
  const tokenVolumes = [...(read.values.has('dapr.io/api-token-secret') ? [TOKEN_VOLUME] : []), ...(read.values.has('dapr.io/app-token-secret') ? [APP_TOKEN_VOLUME] : [])];
  for (const name of [DATA_VOLUME, TRUST_VOLUME, ...tokenVolumes]) {
    if (taken.has(name)) errors.push({ code: 'volume-conflict', message: `the pod already has a volume named "${name}", which the injector adds` });
  }
  if (errors.length) return { action: 'deny', reasons: errors, warnings };
  return { action: 'inject', settings: { appId, values: read.values }, warnings };
}

/** Volume names the injector adds. */
export const DATA_VOLUME = 'pillion-data';
export const TOKEN_VOLUME = 'dapr-api-token';
export const APP_TOKEN_VOLUME = 'dapr-app-token';
export const TRUST_VOLUME = 'pillion-trust';
