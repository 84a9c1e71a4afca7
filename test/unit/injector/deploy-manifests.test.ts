// deploy/: every file parses, and the fields the issue requires are there. (Server-side
// validation against a real kube-apiserver is in test/e2e/k8s-apiserver.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './fixtures.js';

const DEPLOY = join(FIXTURES, '..', '..', '..', 'deploy');
type Any = Record<string, any>;

async function load(dir: string): Promise<Any[]> {
  const YAML = await import('yaml');
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().flatMap((f) =>
    YAML.parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
      assert.deepEqual(d.errors, [], f);
      const o = d.toJS() as Any;
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, `${f}: apiVersion, kind, metadata.name`);
      return o;
    }));
}
const find = (docs: Any[], kind: string, name?: string) => {
  const o = docs.find((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  assert.ok(o, `${kind} ${name ?? ''}`);
  return o;
};

test('deploy/*.yaml: namespace first, all namespaced objects in pillion-system', async () => {
  const docs = await load(DEPLOY);
  assert.equal(docs[0]!.kind, 'Namespace');
  for (const d of docs) if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'MutatingWebhookConfiguration'].includes(d.kind)) assert.equal(d.metadata.namespace, 'pillion-system', `${d.kind}/${d.metadata.name}`);
});

test('injector Deployment: 2 replicas, TLS from the Secret, HTTPS probes, locked down', async () => {
  const docs = await load(DEPLOY);
  const dep = find(docs, 'Deployment', 'pillion-injector');
  assert.equal(dep.spec.replicas, 2);
  const pod = dep.spec.template.spec;
  assert.equal(pod.automountServiceAccountToken, false);
  const c = pod.containers[0];
  assert.deepEqual(c.command, ['pillion', 'injector']);
  assert.equal(c.readinessProbe.httpGet.scheme, 'HTTPS');
  assert.deepEqual([c.securityContext.runAsNonRoot, c.securityContext.readOnlyRootFilesystem, c.securityContext.allowPrivilegeEscalation, c.securityContext.capabilities.drop], [true, true, false, ['ALL']]);
  assert.equal(pod.volumes[0].secret.secretName, 'pillion-injector-tls');
  const svc = find(docs, 'Service', 'pillion-injector');
  assert.deepEqual(svc.spec.selector, dep.spec.selector.matchLabels);
  assert.equal(svc.spec.ports[0].targetPort, 4000);
});

test('MutatingWebhookConfiguration: as parity §5, never the injector namespace', async () => {
  const docs = await load(DEPLOY);
  const w = find(docs, 'MutatingWebhookConfiguration').webhooks[0];
  assert.equal(w.failurePolicy, 'Ignore');
  assert.equal(w.sideEffects, 'None');
  assert.deepEqual(w.admissionReviewVersions, ['v1', 'v1beta1']);
  assert.deepEqual([w.rules[0].resources, w.rules[0].operations, w.rules[0].apiGroups], [['pods'], ['CREATE'], ['']]);
  assert.deepEqual(w.clientConfig.service, { name: 'pillion-injector', namespace: 'pillion-system', path: '/mutate', port: 443 });
  const excl = w.namespaceSelector.matchExpressions.find((e: Any) => e.key === 'kubernetes.io/metadata.name');
  assert.equal(excl.operator, 'NotIn');
  assert.ok(excl.values.includes('pillion-system'));
});

test('RBAC: the injector has no bindings; the certs Job only its Secret and this webhook', async () => {
  const docs = await load(DEPLOY);
  for (const b of docs.filter((d) => d.kind.endsWith('Binding'))) assert.ok(b.subjects.every((s: Any) => s.name !== 'pillion-injector'));
  const verbs = docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole').flatMap((r) => r.rules.flatMap((x: Any) => x.verbs));
  assert.ok(!verbs.includes('*') && !verbs.includes('delete') && !verbs.includes('list') && !verbs.includes('watch'));
  const cr = find(docs, 'ClusterRole', 'pillion-injector-certs');
  assert.deepEqual(cr.rules[0].resourceNames, ['pillion-injector']);
  assert.deepEqual(find(docs, 'Job', 'pillion-injector-certs').spec.template.spec.containers[0].command, ['pillion', 'injector', 'certs']);
});

test('example: a token Secret with key "token" and an annotated Deployment naming it', async () => {
  const docs = await load(join(DEPLOY, 'example'));
  const secret = find(docs, 'Secret');
  assert.ok(secret.stringData.token);
  const ann = find(docs, 'Deployment').spec.template.metadata.annotations;
  assert.equal(ann['dapr.io/enabled'], 'true');
  assert.equal(ann['dapr.io/api-token-secret'], secret.metadata.name);
});

test('Dockerfile: node:20-slim, npm install builds, numeric non-root user', () => {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
  assert.match(text, /^FROM node:20-slim AS build$/m);
  assert.match(text, /RUN npm install/);
  assert.match(text, /^USER 65532:65532$/m);
  assert.match(text, /ln -s \/opt\/pillion\/bin\/pillion \/usr\/local\/bin\/pillion/);
});
