// Table tests for review(): AdmissionReview in, AdmissionReview out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { review } from '../../../src/injector/admission.js';
import { TEST_CONFIG } from './fixtures.js';

const pod = { metadata: { name: 'p', annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'p' } }, spec: { containers: [{ name: 'c' }] } };
const req = (over: Record<string, unknown> = {}, apiVersion = 'admission.k8s.io/v1') =>
  JSON.stringify({ apiVersion, kind: 'AdmissionReview', request: { uid: 'u1', kind: { group: '', version: 'v1', kind: 'Pod' }, operation: 'CREATE', object: pod, ...over } });

const cases: Array<[string, string, string, boolean, string]> = [
  ['v1 inject', req(), 'admission.k8s.io/v1', true, 'injected'],
  ['v1beta1 inject', req({}, 'admission.k8s.io/v1beta1'), 'admission.k8s.io/v1beta1', true, 'injected'],
  ['UPDATE is left alone', req({ operation: 'UPDATE' }), 'admission.k8s.io/v1', true, 'skipped'],
  ['a Deployment is left alone', req({ kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }), 'admission.k8s.io/v1', true, 'skipped'],
  ['pod without spec.containers', req({ object: { metadata: {} } }), 'admission.k8s.io/v1', false, 'error'],
  ['unknown apiVersion', req({}, 'admission.k8s.io/v2'), 'admission.k8s.io/v1', false, 'error'],
  ['no uid', req({ uid: undefined }), 'admission.k8s.io/v1', false, 'error'],
  ['array body', '[]', 'admission.k8s.io/v1', false, 'error'],
  ['not JSON', 'nope', 'admission.k8s.io/v1', false, 'error'],
];
for (const [name, body, apiVersion, allowed, result] of cases) {
  test(name, () => {
    const o = review(body, TEST_CONFIG);
    assert.equal(o.review.apiVersion, apiVersion);
    assert.equal(o.review.kind, 'AdmissionReview');
    assert.equal(o.review.response.allowed, allowed);
    assert.equal(o.result, result);
    assert.equal(o.review.response.patch !== undefined, result === 'injected');
    if (!allowed) assert.ok(o.review.response.status?.message);
  });
}
test('the patch is base64 JSON of the ops, the subject names the pod', () => {
  const o = review(req({ namespace: 'ns' }), TEST_CONFIG);
  const ops = JSON.parse(Buffer.from(o.review.response.patch!, 'base64').toString()) as Array<{ op: string; path: string }>;
  assert.equal(ops[0]!.path, '/spec/containers/-');
  assert.equal(o.subject, 'ns/p');
  assert.equal(o.review.response.uid, 'u1');
});
