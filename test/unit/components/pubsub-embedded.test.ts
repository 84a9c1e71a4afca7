// The embedded pub/sub `pubsub` (pubsub.in-memory): present whenever no resource file defines
// a pub/sub component, absent otherwise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComponentStore } from '../../../src/components/instances.js';
import { EMBEDDED_SOURCE, loadComponents } from '../../../src/components/loader.js';
import { tempDir } from './helpers.js';

const doc = (name: string, type: string, scopes = '') =>
  `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n${scopes}---\n`;

async function names(files: Record<string, string> | undefined): Promise<Array<[string, string, boolean]>> {
  const home = tempDir();
  let paths: string[] | undefined;
  if (files) {
    const dir = tempDir();
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    paths = [dir];
  }
  const r = await loadComponents({ resourcesPaths: paths, appId: 'app', dataDir: home, env: {}, embeddedPubSub: true });
  await new ComponentStore(r.components).closeAll();
  return r.components.map((c) => [c.spec.name, c.spec.type, c.spec.source === EMBEDDED_SOURCE]);
}

describe('embedded pub/sub', () => {
  test('no resources path: statestore and pubsub', async () => {
    assert.deepEqual(await names(undefined), [['statestore', 'state.sqlite', true], ['pubsub', 'pubsub.in-memory', true]]);
  });

  test('resources without a pub/sub: pubsub is added', async () => {
    assert.deepEqual(await names({ 'a.yaml': doc('store', 'state.in-memory') }), [['store', 'state.in-memory', false], ['pubsub', 'pubsub.in-memory', true]]);
  });

  test('a pub/sub in the resources (even scoped to other apps) replaces it', async () => {
    assert.deepEqual(await names({ 'a.yaml': doc('events', 'pubsub.in-memory') }), [['events', 'pubsub.in-memory', false]]);
    assert.deepEqual(await names({ 'a.yaml': doc('events', 'pubsub.in-memory', 'scopes: [other]\n') }), []);
  });

  test('the name pubsub taken by another component: nothing added', async () => {
    assert.deepEqual(await names({ 'a.yaml': doc('pubsub', 'state.in-memory') }), [['pubsub', 'state.in-memory', false]]);
  });
});
