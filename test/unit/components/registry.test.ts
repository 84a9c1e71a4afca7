import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_COMPONENTS, registerBuiltins } from '../../../src/components/catalogue.js';
import { ComponentRegistry } from '../../../src/components/registry.js';
import { ComponentConfigError } from '../../../src/components/types.js';
import { ctx, spec } from './helpers.js';

describe('component registry and catalogue', () => {
  test('the catalogue registers every built-in at v1', () => {
    const r = registerBuiltins();
    assert.deepEqual(r.types().filter((t) => !t.startsWith('pubsub.')), ['bindings.cron', 'bindings.http', 'bindings.redis', 'secretstores.local.env', 'secretstores.local.file', 'state.in-memory', 'state.postgresql', 'state.redis', 'state.sqlite']);
    assert.ok(BUILTIN_COMPONENTS.every((e) => e.versions.join() === 'v1'));
  });

  test('create calls the factory for a known type and version', async () => {
    const store = await registerBuiltins().create(spec('state.in-memory'), ctx());
    assert.equal(store.kind, 'state');
    assert.deepEqual(store.features, ['ETAG', 'TRANSACTIONAL', 'TTL']);
    await store.close();
  });

  test('unknown type and unsupported version are config errors naming the field', async () => {
    const r = new ComponentRegistry().register('state.a', async () => assert.fail('not called'), ['v1', 'v2']);
    await assert.rejects(r.create(spec('state.b'), ctx()), (err: unknown) => {
      assert.ok(err instanceof ComponentConfigError);
      assert.equal(err.field, 'spec.type');
      assert.equal(err.message, 'test/c.yaml: spec.type: unknown component type state.b (known: state.a)');
      return true;
    });
    await assert.rejects(r.create({ ...spec('state.a'), version: 'v3' }, ctx()), (err: unknown) => {
      assert.ok(err instanceof ComponentConfigError);
      assert.equal(err.field, 'spec.version');
      assert.match(err.message, /supported: v1, v2/);
      return true;
    });
  });
});
