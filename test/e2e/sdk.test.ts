// The official Dapr JS SDK (@dapr/dapr, unmodified) against the real sidecar, over HTTP and
// gRPC: what an application developer sees.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { daprGrpcClient } from '../helpers/connect.js';
import { stateAndSecretsResources } from '../helpers/resources.js';

const TOKEN = 'sdk-e2e-token-5f3a2c';
const SECRETS = { 'db-password': 'p@ss-w0rd', nested: { user: 'alice' } };

let sc: Sidecar;
const clients: DaprClient[] = [];

const resources = (): string => stateAndSecretsResources('pillion-sdk-res-', SECRETS);

before(async () => {
  // the test process must not leak a token of its own into clients built without one
  delete process.env.DAPR_API_TOKEN;
  sc = await startSidecar({ appId: 'sdk-e2e', token: TOKEN, resourcesPaths: [resources()] });
});

after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
  await stopAll();
});

const PROTOCOLS = [
  { name: 'HTTP', proto: CommunicationProtocolEnum.HTTP, port: () => sc.httpPort },
  { name: 'gRPC', proto: CommunicationProtocolEnum.GRPC, port: () => sc.grpcPort },
] as const;
type Proto = (typeof PROTOCOLS)[number];

function client(p: Proto, token?: string): DaprClient {
  const c = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(p.port()),
    communicationProtocol: p.proto,
    ...(token !== undefined ? { daprApiToken: token } : {}),
    logger: { level: LogLevel.Error },
  });
  clients.push(c);
  return c;
}

/** Builds a client with DAPR_API_TOKEN set in the environment (and no option), then restores the env. */
function clientFromEnv(p: Proto, token: string): DaprClient {
  const before = process.env.DAPR_API_TOKEN;
  process.env.DAPR_API_TOKEN = token;
  try {
    return client(p);
  } finally {
    if (before === undefined) delete process.env.DAPR_API_TOKEN;
    else process.env.DAPR_API_TOKEN = before;
  }
}

/** Skips the SDK's ~30 s readiness retry so the real auth error is seen at once. */
function markInitialized(c: DaprClient): void {
  (c.daprClient as unknown as { setIsInitialized(v: boolean): void }).setIsInitialized(true);
}

for (const p of PROTOCOLS) {
  describe(`SDK over ${p.name} with the token in the daprApiToken option`, () => {
    let c: DaprClient;
    before(() => {
      c = client(p, TOKEN);
    });

    test('state save, get and delete', async () => {
      const key = `sdk-${p.name}-k1`;
      const saved = await c.state.save('statestore', [{ key, value: { hello: 'world', n: 1 } }]);
      assert.deepEqual(saved, {});
      assert.deepEqual(await c.state.get('statestore', key), { hello: 'world', n: 1 });
      const deleted = await c.state.delete('statestore', key);
      assert.deepEqual(deleted, {});
      const gone = await c.state.get('statestore', key);
      assert.ok(gone === '' || gone === undefined || gone === null, `expected nothing, got ${JSON.stringify(gone)}`);
    });

    test('state getBulk returns the saved values', async () => {
      const k = (i: number) => `sdk-${p.name}-bulk-${i}`;
      await c.state.save('statestore', [
        { key: k(1), value: 'one' },
        { key: k(2), value: { two: 2 } },
      ]);
      const items = (await c.state.getBulk('statestore', [k(1), k(2)])) as Array<{ key: string; data: unknown }>;
      const byKey = new Map(items.map((i) => [i.key, i.data]));
      assert.equal(byKey.get(k(1)), 'one');
      assert.deepEqual(byKey.get(k(2)), { two: 2 });
    });

    test('state transaction upserts and deletes', async () => {
      const k = (s: string) => `sdk-${p.name}-tx-${s}`;
      await c.state.save('statestore', [{ key: k('old'), value: 'old' }]);
      await c.state.transaction('statestore', [
        { operation: 'upsert', request: { key: k('new'), value: 'fresh' } },
        { operation: 'delete', request: { key: k('old') } },
      ]);
      assert.equal(await c.state.get('statestore', k('new')), 'fresh');
      const old = await c.state.get('statestore', k('old'));
      assert.ok(old === '' || old === undefined || old === null, `deleted key still there: ${JSON.stringify(old)}`);
    });

    test('metadata get shows the app id and the statestore component (state.sqlite)', async () => {
      const md = (await c.metadata.get()) as { id: string; components: Array<{ name: string; type: string }> };
      assert.equal(md.id, 'sdk-e2e');
      const store = md.components.find((x) => x.name === 'statestore');
      assert.ok(store, `no statestore in ${JSON.stringify(md.components)}`);
      assert.equal(store.type, 'state.sqlite');
      assert.ok(md.components.some((x) => x.name === 'localsecrets' && x.type === 'secretstores.local.file'));
    });

    test('secrets from a secretstores.local.file component, single and bulk', async () => {
      assert.deepEqual(await c.secret.get('localsecrets', 'db-password'), { 'db-password': 'p@ss-w0rd' });
      assert.deepEqual(await c.secret.get('localsecrets', 'nested:user'), { 'nested:user': 'alice' });
      const all = (await c.secret.getBulk('localsecrets')) as Record<string, Record<string, string>>;
      assert.deepEqual(all['db-password'], { 'db-password': 'p@ss-w0rd' });
      assert.deepEqual(all['nested:user'], { 'nested:user': 'alice' });
    });

    test('an unknown secret store is an error', async () => {
      await assert.rejects(() => c.secret.get('nope', 'x'));
    });
  });

  describe(`SDK over ${p.name} with the token from the DAPR_API_TOKEN env var`, () => {
    test('state round trip and metadata work', async () => {
      const c = clientFromEnv(p, TOKEN);
      assert.equal(process.env.DAPR_API_TOKEN, undefined, 'env restored');
      const key = `sdk-env-${p.name}`;
      await c.state.save('statestore', [{ key, value: 'from-env' }]);
      assert.equal(await c.state.get('statestore', key), 'from-env');
      assert.equal(((await c.metadata.get()) as { id: string }).id, 'sdk-e2e');
    });

    test('the daprApiToken option wins over a wrong DAPR_API_TOKEN env var', async () => {
      const before = process.env.DAPR_API_TOKEN;
      process.env.DAPR_API_TOKEN = 'wrong-env-token';
      let c: DaprClient;
      try {
        c = client(p, TOKEN);
      } finally {
        if (before === undefined) delete process.env.DAPR_API_TOKEN;
        else process.env.DAPR_API_TOKEN = before;
      }
      assert.equal(((await c.metadata.get()) as { id: string }).id, 'sdk-e2e');
    });
  });

  describe(`SDK over ${p.name} without the right token`, () => {
    for (const [label, token] of [['no token', undefined], ['a wrong token', 'not-the-token']] as const) {
      test(`with ${label}, state get fails with ${p.name === 'HTTP' ? '401' : 'UNAUTHENTICATED'}`, async () => {
        const c = client(p, token);
        markInitialized(c);
        const err = await c.state.get('statestore', 'whatever').then(
          () => assert.fail('expected the call to be refused'),
          (e: unknown) => e as Error & { code?: number; rawMessage?: string },
        );
        if (p.name === 'HTTP') {
          const body = JSON.parse(err.message) as { status: number; error_msg: string };
          assert.equal(body.status, 401);
          assert.equal(body.error_msg, 'invalid api token\n');
        } else {
          assert.equal(err.code, 16, String(err));
          assert.equal(err.rawMessage, 'Unauthorized');
        }
      });

      test(`with ${label}, state save ${p.name === 'HTTP' ? 'returns {error} (401)' : 'throws UNAUTHENTICATED'} and stores nothing`, async () => {
        const c = client(p, token);
        markInitialized(c);
        const key = `sdk-denied-${p.name}-${label.replace(/\s/g, '')}`;
        if (p.name === 'HTTP') {
          const res = (await c.state.save('statestore', [{ key, value: 'x' }])) as { error?: Error };
          assert.ok(res.error, 'HTTP save must report the error');
          assert.match(String(res.error.message), /"status":401/);
        } else {
          await assert.rejects(() => c.state.save('statestore', [{ key, value: 'x' }]), (e: Error & { code?: number }) => e.code === 16);
        }
        const ok = client(p, TOKEN);
        const v = await ok.state.get('statestore', key);
        assert.ok(v === '' || v === undefined || v === null, 'a refused save must not store anything');
      });

      test(`with ${label}, metadata and secrets are refused`, async () => {
        const c = client(p, token);
        markInitialized(c);
        await assert.rejects(() => c.metadata.get());
        await assert.rejects(() => c.secret.get('localsecrets', 'db-password'));
      });
    }
  });
}

describe('SDK cross-protocol round trips (one store behind both APIs)', () => {
  let http: DaprClient;
  let grpc: DaprClient;
  before(() => {
    http = client(PROTOCOLS[0], TOKEN);
    grpc = client(PROTOCOLS[1], TOKEN);
  });

  test('a string saved over HTTP is read over gRPC; the stored bytes keep the JSON quotes', async () => {
    await http.state.save('statestore', [{ key: 'cross-1', value: 'hello' }]);
    assert.equal(await grpc.state.get('statestore', 'cross-1'), 'hello');
    const raw = await daprGrpcClient(sc.grpcPort, TOKEN).getState({ storeName: 'statestore', key: 'cross-1' });
    assert.equal(Buffer.from(raw.data).toString(), '"hello"');
  });

  test('a string saved over gRPC is stored verbatim and read over HTTP', async () => {
    await grpc.state.save('statestore', [{ key: 'cross-2', value: 'hello' }]);
    const raw = await daprGrpcClient(sc.grpcPort, TOKEN).getState({ storeName: 'statestore', key: 'cross-2' });
    assert.equal(Buffer.from(raw.data).toString(), 'hello');
    assert.equal(await http.state.get('statestore', 'cross-2'), 'hello');
  });

  test('objects round-trip both ways', async () => {
    await http.state.save('statestore', [{ key: 'cross-3', value: { a: [1, 2], b: 'c' } }]);
    assert.deepEqual(await grpc.state.get('statestore', 'cross-3'), { a: [1, 2], b: 'c' });
    await grpc.state.save('statestore', [{ key: 'cross-4', value: { x: true } }]);
    assert.deepEqual(await http.state.get('statestore', 'cross-4'), { x: true });
  });

  test('a delete over gRPC is seen over HTTP', async () => {
    await http.state.save('statestore', [{ key: 'cross-5', value: 1 }]);
    await grpc.state.delete('statestore', 'cross-5');
    const v = await http.state.get('statestore', 'cross-5');
    assert.ok(v === '' || v === undefined || v === null);
  });
});
