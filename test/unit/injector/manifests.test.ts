// `pillion inject`'s core: every workload kind, List, multi-document YAML, pass-through.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { injectManifest } from '../../../src/injector/manifests.js';
import { injectYaml, formatNotes } from '../../../src/cli/commands/inject.js';
import { TEST_CONFIG } from './fixtures.js';

const template = (annotations: Record<string, string> = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'w' }) => ({ metadata: { annotations }, spec: { containers: [{ name: 'w', image: 'w:1' }] } });
type Any = Record<string, any>;

describe('injectManifest', () => {
  const kinds: Array<[string, Any, (o: Any) => Any]> = [
    ['Pod', { kind: 'Pod', metadata: { name: 'w', annotations: { 'dapr.io/enabled': 'true' } }, spec: { containers: [{ name: 'w' }] } }, (o) => o],
    ['Deployment', { kind: 'Deployment', metadata: { name: 'd' }, spec: { template: template() } }, (o) => o.spec.template],
    ['StatefulSet', { kind: 'StatefulSet', metadata: { name: 's' }, spec: { template: template() } }, (o) => o.spec.template],
    ['DaemonSet', { kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { template: template() } }, (o) => o.spec.template],
    ['ReplicaSet', { kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { template: template() } }, (o) => o.spec.template],
    ['Job', { kind: 'Job', metadata: { name: 'j' }, spec: { template: template() } }, (o) => o.spec.template],
    ['CronJob', { kind: 'CronJob', metadata: { name: 'cj' }, spec: { jobTemplate: { spec: { template: template() } } } }, (o) => o.spec.jobTemplate.spec.template],
  ];
  for (const [kind, obj, pick] of kinds) {
    test(`${kind}: the pod (template) gets the sidecar and labels`, () => {
      const r = injectManifest(obj, TEST_CONFIG);
      assert.equal(r.changed, true);
      const t = pick(r.object as Any);
      assert.deepEqual(t.spec.containers.map((c: Any) => c.name), [pick(obj).spec.containers[0].name, 'daprd']);
      assert.equal(t.metadata.labels['dapr.io/sidecar-injected'], 'true');
      assert.equal(pick(obj).spec.containers.length, 1, 'input untouched');
      assert.equal(r.notes[0]!.action, 'inject');
    });
  }
  test('List: items are processed', () => {
    const r = injectManifest({ kind: 'List', items: [{ kind: 'Deployment', metadata: { name: 'd' }, spec: { template: template() } }, { kind: 'Service', metadata: { name: 's' } }] }, TEST_CONFIG);
    assert.equal(r.changed, true);
    assert.deepEqual(r.notes.map((n) => [n.resource, n.action]), [['Deployment/d', 'inject'], ['Service/s', 'pass']]);
  });
  test('other kinds and non-objects pass through unchanged', () => {
    const svc = { kind: 'Service', metadata: { name: 's' } };
    assert.equal(injectManifest(svc, TEST_CONFIG).object, svc);
    assert.equal(injectManifest('text', TEST_CONFIG).changed, false);
  });
  test('a template without app-id is refused, as the webhook would', () => {
    const r = injectManifest({ kind: 'Deployment', metadata: { name: 'd' }, spec: { template: template({ 'dapr.io/enabled': 'true' }) } }, TEST_CONFIG);
    assert.equal(r.changed, false);
    assert.equal(r.notes[0]!.action, 'deny');
    assert.match(formatNotes(r.notes)[0]!, /^error Deployment\/d: dapr\.io\/app-id is not set/);
  });
  test('not enabled: skipped with the reason', () => {
    const r = injectManifest({ kind: 'Deployment', metadata: { name: 'd', namespace: 'n' }, spec: { template: template({}) } }, TEST_CONFIG);
    assert.deepEqual(formatNotes(r.notes), ['skipped Deployment/n/d: dapr.io/enabled is not set']);
  });
});

describe('injectYaml', () => {
  test('multi-document: changed documents re-serialised, others kept with comments', async () => {
    const text = [
      'apiVersion: v1\nkind: ConfigMap # keep me\nmetadata:\n  name: c\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      annotations:\n        dapr.io/enabled: "true"\n        dapr.io/app-id: d\n    spec:\n      containers:\n        - name: d\n          image: d:1\n',
    ].join('---\n');
    const { output, notes, errors } = await injectYaml(text, TEST_CONFIG);
    assert.deepEqual(errors, []);
    const YAML = await import('yaml');
    const docs = YAML.parseAllDocuments(output).map((d) => d.toJS());
    assert.equal(docs.length, 2);
    assert.match(output, /# keep me/);
    assert.deepEqual(docs[1].spec.template.spec.containers.map((c: Any) => c.name), ['d', 'daprd']);
    assert.deepEqual(notes.map((n) => n.action), ['pass', 'inject']);
  });
  test('invalid YAML is an error naming the document', async () => {
    const { errors } = await injectYaml('a: 1\n---\nb: [\n', TEST_CONFIG);
    assert.match(errors[0]!, /^document 2: /);
  });
  test('empty documents are dropped', async () => {
    assert.equal((await injectYaml('---\n---\n', TEST_CONFIG)).output, '');
  });
});
