// AdmissionReview in, AdmissionReview out (admission.k8s.io/v1 and v1beta1). Pure: the webhook
// server only reads the body and writes what this returns.
import type { Problem, ReasonCode } from './annotations.js';
import { buildPatch } from './patch.js';
import type { InjectorConfig, Pod } from './types.js';

export const ADMISSION_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code?: number; message: string };
  warnings?: string[];
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export type Result = 'injected' | 'skipped' | 'denied' | 'error';

export interface Outcome {
  readonly review: AdmissionReview;
  readonly result: Result;
  /** reason codes (bounded), for metrics and logs */
  readonly reasons: readonly (ReasonCode | 'not-a-pod' | 'not-create' | 'bad-request')[];
  readonly messages: readonly string[];
  /** namespace/name of the pod, for logs */
  readonly subject: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Handles one AdmissionReview request body (already read; JSON text). */
export function review(body: string, config: InjectorConfig): Outcome {
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch (err) {
    return refuse('admission.k8s.io/v1', '', `cannot decode the AdmissionReview: ${(err as Error).message}`);
  }
  const apiVersion = isObject(input) && typeof input.apiVersion === 'string' ? input.apiVersion : '';
  const request = isObject(input) ? input.request : undefined;
  const uid = isObject(request) && typeof request.uid === 'string' ? request.uid : '';
  if (!isObject(input) || input.kind !== 'AdmissionReview' || !(ADMISSION_VERSIONS as readonly string[]).includes(apiVersion)) {
    return refuse(
      (ADMISSION_VERSIONS as readonly string[]).includes(apiVersion) ? apiVersion : 'admission.k8s.io/v1',
      uid,
      `cannot decode the AdmissionReview: expected kind AdmissionReview with apiVersion ${ADMISSION_VERSIONS.join(' or ')}`,
    );
  }
  if (!isObject(request) || uid === '') return refuse(apiVersion, uid, 'cannot decode the AdmissionReview: no request or no request.uid');
  const reply = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReview => ({ apiVersion, kind: 'AdmissionReview', response: { uid, ...response } });

  const kind = isObject(request.kind) ? request.kind : {};
  const ns = typeof request.namespace === 'string' ? request.namespace : '';
  if (kind.kind !== 'Pod' || (kind.group ?? '') !== '') {
    return { review: reply({ allowed: true }), result: 'skipped', reasons: ['not-a-pod'], messages: [`not a Pod (${String(kind.kind)})`], subject: ns };
  }
  if (request.operation !== undefined && request.operation !== 'CREATE') {
    return { review: reply({ allowed: true }), result: 'skipped', reasons: ['not-create'], messages: [`operation ${String(request.operation)}`], subject: ns };
  }
  const obj = request.object;
  if (!isObject(obj) || !isObject(obj.spec) || !Array.isArray(obj.spec.containers) || (obj.metadata !== undefined && !isObject(obj.metadata))) {
    return refuse(apiVersion, uid, 'cannot decode the pod in the AdmissionReview: expected an object with spec.containers');
  }
  const pod = obj as unknown as Pod;
  const name = pod.metadata?.name || (typeof request.name === 'string' ? request.name : '') || `${pod.metadata?.generateName ?? ''}*`;
  const subject = `${ns || pod.metadata?.namespace || ''}/${name}`;
  const r = buildPatch(pod, config);
  const warn = (ws: readonly Problem[]) => (ws.length ? { warnings: ws.map((w) => `pillion injector: ${w.message}`) } : {});
  switch (r.action) {
    case 'skip':
      return { review: reply({ allowed: true }), result: 'skipped', reasons: r.reasons.map((p) => p.code), messages: r.reasons.map((p) => p.message), subject };
    case 'deny': {
      const message = `pillion injector: cannot inject the sidecar: ${r.reasons.map((p) => p.message).join('; ')}`;
      return { review: reply({ allowed: false, status: { code: 400, message }, ...warn(r.warnings) }), result: 'denied', reasons: r.reasons.map((p) => p.code), messages: [message], subject };
    }
    case 'inject':
      return {
        review: reply({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(r.patch)).toString('base64'), ...warn(r.warnings) }),
        result: 'injected',
        reasons: r.warnings.map((w) => w.code),
        messages: r.warnings.map((w) => w.message),
        subject,
      };
  }
}

function refuse(apiVersion: string, uid: string, message: string): Outcome {
  return {
    review: { apiVersion, kind: 'AdmissionReview', response: { uid, allowed: false, status: { code: 400, message } } },
    result: 'error',
    reasons: ['bad-request'],
    messages: [message],
    subject: '',
  };
}
