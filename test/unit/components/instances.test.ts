import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentStore } from '../../../src/components/instances.js';
import { InMemoryStateStore } from '../../../src/components/state-in-memory.js';
import { LocalEnvSecretStore } from '../../../src/components/secretstore-local-env.js';
import { spec } from './helpers.js';

describe('ComponentStore', () => {
  test('looks components up by name and kind, lists them for the metadata API', async () => {
    const state = new InMemoryStateStore();
    const secrets = new LocalEnvSecretStore({ A: '1' }, '', false);
    const store = new ComponentStore([
      { spec: spec('state.in-memory', {}, 'cache'), instance: state },
      { spec: spec('secretstores.local.env', {}, 'env'), instance: secrets },
    ]);
    assert.equal(store.state('cache'), state);
    assert.equal(store.state('env'), undefined);
    assert.equal(store.secret('env'), secrets);
    assert.equal(store.secret('nope'), undefined);
    assert.deepEqual(store.names('state'), ['cache']);
    assert.deepEqual(store.list(), [
      { name: 'cache', type: 'state.in-memory', version: 'v1', capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL'] },
      { name: 'env', type: 'secretstores.local.env', version: 'v1', capabilities: [] },
    ]);
    assert.throws(() => store.add({ spec: spec('state.in-memory', {}, 'cache'), instance: state }), /already registered/);
    await store.closeAll();
    assert.deepEqual(store.list(), []);
  });

  test('closeAll closes everything even when one close fails', async () => {
    const closed: string[] = [];
    const fake = (name: string, fail: boolean) => ({
      spec: spec('state.in-memory', {}, name),
      instance: Object.assign(new InMemoryStateStore(), {
        close: async () => {
          closed.push(name);
          if (fail) throw new Error('boom');
        },
      }),
    });
    const store = new ComponentStore([fake('a', false), fake('b', true), fake('c', false)]);
    await assert.rejects(store.closeAll(), /closing components failed: b: boom/);
    assert.deepEqual(closed, ['c', 'b', 'a']);
  });
});
