// The shared SQLite registry and the resolvers on top of it: live rows only (fresh heartbeat,
// process alive), dead rows swept, several instances picked among, daprd's target syntax, and
// the Kubernetes DNS names.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLive, Registry, STALE_MS, type RegistryEntry } from '../../../src/remote/registry.js';
import { kubernetesHost, kubernetesResolver, parseTarget, registryResolver, ResolveError } from '../../../src/remote/resolver.js';

const entry = (over: Partial<RegistryEntry>): RegistryEntry => ({
  instance: 'i1', appId: 'orders', namespace: 'default', host: '127.0.0.1', internalPort: 50002, pid: 100, startedAt: 1000, heartbeat: 1000, ...over,
});

async function withRegistry(alive: (pid: number) => boolean, fn: (r: Registry) => Promise<void> | void): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'pillion-registry-unit-'));
  const r = await Registry.open(home, alive);
  try {
    await fn(r);
  } finally {
    r.close();
    rmSync(home, { recursive: true, force: true });
  }
}

describe('registry', () => {
  test('isLive: fresh heartbeat and a live pid', () => {
    const alive = (pid: number) => pid === 100;
    assert.equal(isLive(entry({}), 1000 + STALE_MS, alive), true);
    assert.equal(isLive(entry({}), 1001 + STALE_MS, alive), false);
    assert.equal(isLive(entry({ pid: 101 }), 1000, alive), false);
  });

  test('register, heartbeat, remove; dead processes are swept, paused ones kept but not resolved', async () => {
    const dead = new Set<number>();
    await withRegistry((pid) => !dead.has(pid), (r) => {
      const now = Date.now();
      r.register(entry({ instance: 'a', pid: 1, heartbeat: now, startedAt: now }));
      r.register(entry({ instance: 'b', pid: 2, heartbeat: now, startedAt: now + 1, appId: 'cart' }));
      r.register(entry({ instance: 'c', pid: 3, heartbeat: now - STALE_MS - 1, startedAt: now + 2 }));
      assert.deepEqual(r.live().map((e) => e.instance), ['b', 'a']); // ordered by app id
      assert.deepEqual(r.live({ appId: 'orders', namespace: 'default' }).map((e) => e.instance), ['a']);
      assert.deepEqual(r.live({ appId: 'orders', namespace: 'shop' }), []);
      dead.add(1);
      assert.deepEqual(r.live({ appId: 'orders', namespace: 'default' }), []);
      dead.delete(1);
      assert.deepEqual(r.live({ appId: 'orders', namespace: 'default' }), [], 'a swept row does not come back');
      assert.equal(r.heartbeat('a'), false);
      assert.equal(r.heartbeat('c', now), true);
      assert.deepEqual(r.live({ appId: 'orders', namespace: 'default' }).map((e) => e.instance), ['c']);
      r.remove('c');
      assert.deepEqual(r.live().map((e) => e.instance), ['b']);
    });
  });

  test('registryResolver: picks among live instances; none is daprd\'s "couldn\'t find service"', async () => {
    await withRegistry(() => true, async (r) => {
      const now = Date.now();
      r.register(entry({ instance: 'x', internalPort: 1111, heartbeat: now }));
      r.register(entry({ instance: 'y', internalPort: 2222, heartbeat: now, startedAt: 2000 }));
      const t = { appId: 'orders', namespace: 'default' };
      assert.equal((await registryResolver(r, () => 0).resolve(t)).port, 1111);
      assert.equal((await registryResolver(r, () => 0.99).resolve(t)).port, 2222);
      await assert.rejects(registryResolver(r).resolve({ appId: 'nope', namespace: 'default' }), (e: unknown) => e instanceof ResolveError && e.message === "couldn't find service: nope");
    });
  });
});

describe('targets and Kubernetes names', () => {
  test('parseTarget: app-id or app-id.namespace, as daprd', () => {
    assert.deepEqual(parseTarget('orders', 'default'), { appId: 'orders', namespace: 'default' });
    assert.deepEqual(parseTarget('orders.shop', 'default'), { appId: 'orders', namespace: 'shop' });
    assert.equal(parseTarget('a.b.c', 'default'), undefined);
    assert.equal(parseTarget('.shop', 'default'), undefined);
  });
  test('kubernetesResolver: <app-id>-dapr.<namespace>.svc.cluster.local on the internal port; a failed lookup is daprd\'s message', async () => {
    assert.equal(kubernetesHost({ appId: 'orders', namespace: 'shop' }), 'orders-dapr.shop.svc.cluster.local');
    const ok = kubernetesResolver(50002, async () => undefined);
    assert.deepEqual(await ok.resolve({ appId: 'orders', namespace: 'shop' }), { host: 'orders-dapr.shop.svc.cluster.local', port: 50002 });
    const nx = kubernetesResolver(50002, async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    await assert.rejects(nx.resolve({ appId: 'missing', namespace: 'shop' }), { message: "failed to resolve address for 'missing-dapr.shop.svc.cluster.local'" });
  });
});
