// The registry resolver remembers a target's live rows for a short while (the lookup cost more
// than the rest of a local call): found rows are reused until the TTL passes or forget() is
// called after a failed connection; a target that is not found is looked up again every time,
// so a sidecar that has just started is found at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type RegistryEntry } from '../../../src/remote/registry.js';
import { registryResolver, ResolveError } from '../../../src/remote/resolver.js';

const entry = (over: Partial<RegistryEntry>): RegistryEntry => ({
  instance: 'i1', appId: 'orders', namespace: 'default', host: '127.0.0.1', internalPort: 50002, pid: process.pid, startedAt: 1000, heartbeat: Date.now(), ...over,
});
const t = { appId: 'orders', namespace: 'default' };

async function withRegistry(fn: (r: Registry) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'pillion-resolver-cache-'));
  const r = await Registry.open(home, () => true);
  try {
    await fn(r);
  } finally {
    r.close();
    rmSync(home, { recursive: true, force: true });
  }
}

describe('registry resolver cache', () => {
  test('found rows are reused within the TTL, looked up again after it', async () => {
    await withRegistry(async (r) => {
      let now = 10_000;
      const resolver = registryResolver(r, () => 0, () => now, 1_000);
      r.register(entry({ instance: 'a', internalPort: 1111 }));
      const first = await resolver.resolve(t);
      assert.deepEqual([first.port, first.cached], [1111, false]);
      r.remove('a');
      r.register(entry({ instance: 'b', internalPort: 2222 }));
      const second = await resolver.resolve(t);
      assert.deepEqual([second.port, second.cached], [1111, true]);
      now += 1_001;
      const third = await resolver.resolve(t);
      assert.deepEqual([third.port, third.cached], [2222, false]);
    });
  });

  test('forget() drops the remembered rows at once', async () => {
    await withRegistry(async (r) => {
      const resolver = registryResolver(r, () => 0, () => 0, 60_000);
      r.register(entry({ instance: 'a', internalPort: 1111 }));
      await resolver.resolve(t);
      r.remove('a');
      resolver.forget!(t);
      await assert.rejects(resolver.resolve(t), (e: unknown) => e instanceof ResolveError && e.message === "couldn't find service: orders");
    });
  });

  test('not found is never remembered: a sidecar that registers next is found on the next call', async () => {
    await withRegistry(async (r) => {
      const resolver = registryResolver(r, () => 0, () => 0, 60_000);
      await assert.rejects(resolver.resolve(t), ResolveError);
      r.register(entry({ instance: 'a', internalPort: 3333 }));
      assert.equal((await resolver.resolve(t)).port, 3333);
    });
  });
});
