import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerBuiltins } from '../../../src/components/catalogue.js';
import { ComponentStore } from '../../../src/components/instances.js';
import { EMBEDDED_SOURCE, loadComponents, type LoadOptions } from '../../../src/components/loader.js';
import { ResourcesError, type StateStore } from '../../../src/components/types.js';
import { tempDir } from './helpers.js';

const root = tempDir('pillion-loader-');
let n = 0;

/** Writes `files` into a new folder and returns its path. */
function resources(files: Record<string, string>): string {
  const dir = join(root, `res-${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const component = (name: string, type: string, extra = '') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
${extra}`;

const load = (paths: string[], more: Partial<LoadOptions> = {}) =>
  loadComponents({ resourcesPaths: paths, appId: 'app', dataDir: join(root, 'home'), env: {}, ...more });

/** Loads, expecting a ResourcesError; returns its problems. */
async function problems(paths: string[], more: Partial<LoadOptions> = {}): Promise<readonly string[]> {
  try {
    const r = await load(paths, more);
    await new ComponentStore(r.components).closeAll();
  } catch (err) {
    assert.ok(err instanceof ResourcesError, String(err));
    return err.problems;
  }
  assert.fail('expected a ResourcesError');
}

describe('component loader', () => {
  test('no resources path: embedded durable SQLite store at <dataDir>/state.db', async () => {
    const dataDir = join(root, 'embedded-home');
    const r = await loadComponents({ appId: 'app', dataDir, env: {} });
    assert.equal(r.components.length, 1);
    const [c] = r.components;
    assert.equal(c!.spec.name, 'statestore');
    assert.equal(c!.spec.type, 'state.sqlite');
    assert.equal(c!.spec.source, EMBEDDED_SOURCE);
    const store = new ComponentStore(r.components);
    await store.state('statestore')!.set({ key: 'k', value: Buffer.from('v') });
    await store.closeAll();
    assert.ok(existsSync(join(dataDir, 'state.db')));
  });

  test('multi-document files; other kinds are returned, not fatal; non-YAML files ignored', async () => {
    const dir = resources({
      'a.yaml': `${component('mem', 'state.in-memory')}---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: appconfig
---
kind: Subscription
metadata:
  name: orders
---
`,
      'b.yml': component('env', 'secretstores.local.env', '  metadata:\n  - name: prefix\n    value: APP_\n  - name: caseInsensitive\n    value: true\n'),
      'notes.txt': 'not: [yaml',
    });
    const r = await load([dir]);
    const store = new ComponentStore(r.components);
    assert.deepEqual(store.list().map((c) => [c.name, c.type]).sort(), [['env', 'secretstores.local.env'], ['mem', 'state.in-memory']]);
    assert.deepEqual(r.others.map((o) => [o.kind, o.name, o.source]), [
      ['Configuration', 'appconfig', join(dir, 'a.yaml')],
      ['Subscription', 'orders', join(dir, 'a.yaml')],
    ]);
    assert.deepEqual(r.components.find((c) => c.spec.name === 'env')!.spec.metadata, { prefix: 'APP_', caseInsensitive: 'true' });
    assert.ok(store.secret('env'));
    assert.equal(store.state('env'), undefined);
    await store.closeAll();
  });

  test('every broken file is reported in one error, with file, line and field', async () => {
    const dir = resources({
      '1-syntax.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: [x\n',
      '2-schema.yaml': `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: store
spec:
  version: v1
  metadata:
  - value: 1
`,
      '3-apiversion.yaml': component('x', 'state.in-memory').replace('v1alpha1', 'v2'),
    });
    const p = await problems([dir]);
    const syntax = join(dir, '1-syntax.yaml');
    const schema = join(dir, '2-schema.yaml');
    assert.ok(p.some((l) => l.startsWith(`${syntax}:`) && l.includes('YAML syntax error')), p.join('\n'));
    assert.ok(p.includes(`${schema}:5: spec.type: Required`), p.join('\n'));
    assert.ok(p.includes(`${schema}:8: spec.metadata[0].name: Required`), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith(`${join(dir, '3-apiversion.yaml')}:1: apiVersion:`)), p.join('\n'));
  });

  test('what cannot be a resource names the file: not a mapping (another encoding), nested too deeply, not a file or folder', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'utf16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(component('x', 'state.in-memory'), 'utf16le')]));
    writeFileSync(join(dir, 'scalar.yaml'), 'just a sentence\n');
    writeFileSync(join(dir, 'deep.yaml'), `x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    const p = await problems([dir]);
    assert.ok(p.some((l) => l.startsWith(`${join(dir, 'utf16.yaml')}`) && l.includes('not a resource')), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith(`${join(dir, 'scalar.yaml')}:1: not a resource: expected a mapping with apiVersion, kind and metadata, got a string`)), p.join('\n'));
    assert.ok(p.some((l) => l.startsWith(`${join(dir, 'deep.yaml')}: `)), p.join('\n'));
    assert.deepEqual(await problems(['/dev/null']), ['/dev/null: not a file or a folder']);
  });

  test('unknown type and unsupported version name the field', async () => {
    const dir = resources({
      'a.yaml': component('a', 'state.nope'),
      'b.yaml': component('b', 'state.in-memory').replace('version: v1', 'version: v9'),
    });
    const p = await problems([dir]);
    assert.match(p[0]!, /a\.yaml:1: spec\.type: unknown component type state\.nope \(known: .*state\.sqlite/);
    assert.match(p[1]!, /b\.yaml:1: spec\.version: unsupported version v9/);
  });

  test('duplicate names name both files; scopes decide who loads what', async () => {
    const dir = resources({
      'a.yaml': component('store', 'state.in-memory'),
      'b.yaml': component('store', 'state.in-memory'),
    });
    const [dup] = await problems([dir]);
    assert.ok(dup!.includes(join(dir, 'a.yaml')) && dup!.includes(join(dir, 'b.yaml')), dup);

    const scoped = resources({
      'a.yaml': `${component('store', 'state.in-memory')}scopes: [app]\n`,
      'b.yaml': `${component('store', 'state.in-memory')}scopes: [other-app]\n`,
      'c.yaml': `${component('unscoped', 'state.in-memory')}`,
      'd.yaml': `${component('elsewhere', 'state.in-memory')}scopes: [other-app]\n`,
    });
    const r = await load([scoped]);
    assert.deepEqual(r.components.map((c) => c.spec.source.replace(/:\d+$/, '')), [join(scoped, 'a.yaml'), join(scoped, 'c.yaml')]);
  });

  test('several resources paths; a missing one is named', async () => {
    const a = resources({ 'a.yaml': component('a', 'state.in-memory') });
    const b = resources({ 'b.yaml': component('b', 'state.in-memory') });
    const r = await load([a, b]);
    assert.deepEqual(r.components.map((c) => c.spec.name), ['a', 'b']);
    const missing = join(root, 'does-not-exist');
    assert.deepEqual(await problems([a, missing]), [`${missing}: resources path does not exist`]);
  });

  test('secretKeyRef is resolved from auth.secretStore, secret stores load first', async () => {
    const dbFile = join(root, 'from-secret.db');
    const secrets = join(root, 'secrets.json');
    writeFileSync(secrets, JSON.stringify({ db: { file: dbFile } }));
    const withRef = (store: string) => `${component('store', 'state.sqlite', `  metadata:
  - name: connectionString
    secretKeyRef:
      name: db:file
`)}${store}`;
    const files = (auth: string) => ({
      'a-state.yaml': withRef(auth),
      'z-secrets.yaml': component('files', 'secretstores.local.file', `  metadata:\n  - name: secretsFile\n    value: ${secrets}\n`),
    });
    const r = await load([resources(files('auth:\n  secretStore: files\n'))]);
    const store = new ComponentStore(r.components);
    assert.equal(store.state('store')!.constructor.name, 'SqliteStateStore');
    assert.equal(r.components.find((c) => c.spec.name === 'store')!.spec.metadata.connectionString, dbFile);
    await store.closeAll();
    assert.ok(existsSync(dbFile));

    assert.match((await problems([resources(files(''))]))[0]!, /spec\.metadata\[0\]\.secretKeyRef: auth\.secretStore must name/);
    assert.match((await problems([resources(files('auth:\n  secretStore: nope\n'))]))[0]!, /secret store nope is not loaded/);
  });

  test('ignoreErrors keeps going; other failures close what was started', async () => {
    let closed = 0;
    const registry = registerBuiltins().register('state.fake', async () => {
      const fake = { kind: 'state', features: [], close: async () => void closed++ };
      return fake as unknown as StateStore;
    });
    const ok = resources({
      'a.yaml': component('fake', 'state.fake'),
      'b.yaml': component('broken', 'secretstores.local.file', '  ignoreErrors: true\n'),
    });
    const r = await load([ok], { registry });
    assert.deepEqual(r.components.map((c) => c.spec.name), ['fake']);
    assert.match(r.ignored[0]!.error, /secretsFile: required/);

    const bad = resources({ 'a.yaml': component('fake', 'state.fake'), 'b.yaml': component('broken', 'state.nope') });
    await problems([bad], { registry });
    assert.equal(closed, 1);
  });

  test('initTimeout bounds a slow factory', async () => {
    const registry = registerBuiltins().register('state.slow', () => new Promise(() => {}));
    const dir = resources({ 'a.yaml': component('slow', 'state.slow', '  initTimeout: 50ms\n') });
    assert.match((await problems([dir], { registry }))[0]!, /did not finish within 50 ms/);
  });
});
