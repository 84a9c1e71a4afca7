import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPostgresStateStore, isJsonDocument, parseConnectionString, PostgresStateStore } from '../../../src/components/state-postgresql.js';
import { MetadataReader } from '../../../src/components/metadata-values.js';
import { ComponentConfigError, type StateStore } from '../../../src/components/types.js';
import { PG_URL, RUN_ID } from './backends.js';
import { ctx, spec } from './helpers.js';
import { stateStoreConformance } from './state-conformance.js';
import { stateQueryConformance } from './state-query-conformance.js';

const TABLE = `pillion_test_${RUN_ID}`;
let n = 0;
const tables = new WeakMap<StateStore, string>();
const created = new Set<string>();

async function open(metadata: Record<string, string> = {}): Promise<StateStore> {
  const tableName = metadata.tableName ?? `${TABLE}_${n++}`;
  created.add(tableName);
  const s = await createPostgresStateStore(spec('state.postgresql', { connectionString: PG_URL, ...metadata, tableName }), ctx());
  tables.set(s, tableName);
  return s;
}

const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
after(async () => {
  for (const t of created) await admin.query(`DROP TABLE IF EXISTS ${t.split('.').map((p) => `"${p}"`).join('.')}`);
  await admin.end();
});

stateStoreConformance({
  name: 'state.postgresql',
  create: () => open(),
  reopen: async (s) => {
    await s.close();
    return open({ tableName: tables.get(s)! });
  },
});

const enc = (s: string) => Buffer.from(s);
const configError = (field: string) => (err: unknown) =>
  err instanceof ComponentConfigError && err.field === field && err.source === 'test/c.yaml';

describe('state.postgresql specifics', () => {
  test('metadata is validated', async () => {
    await assert.rejects(createPostgresStateStore(spec('state.postgresql'), ctx()), configError('spec.metadata.connectionString'));
    await assert.rejects(open({ tableName: 'bad name' }), configError('spec.metadata.tableName'));
    await assert.rejects(open({ timeout: 'soon' }), configError('spec.metadata.timeout'));
    // longer than a timer can wait: it would fire at once, every time
    await assert.rejects(open({ cleanupInterval: '720h' }), configError('spec.metadata.cleanupInterval'));
    await assert.rejects(open({ maxConns: '0' }), configError('spec.metadata.maxConns'));
    await assert.rejects(open({ connectionString: 'host=x bogus=1' }), configError('spec.metadata.connectionString'));
  });

  test("libpq key=value connection strings (Dapr's documented form)", () => {
    const md = new MetadataReader(spec('state.postgresql'));
    assert.deepEqual(parseConnectionString("host=localhost user=postgres password='p w' port=5432 connect_timeout=10 database=my_dapr sslmode=disable", md), {
      host: 'localhost', user: 'postgres', password: 'p w', port: 5432, connectionTimeoutMillis: 10_000, database: 'my_dapr', ssl: false,
    });
    assert.deepEqual(parseConnectionString('postgres://u@h/db', md), { connectionString: 'postgres://u@h/db' });
  });

  test('key=value form connects; the table is created once even when two stores start together', async () => {
    const tableName = `${TABLE}_shared`;
    created.add(tableName);
    const dsn = 'host=127.0.0.1 port=5432 user=postgres dbname=test';
    const [a, b] = await Promise.all([
      createPostgresStateStore(spec('state.postgresql', { connectionString: dsn, tableName }), ctx()),
      createPostgresStateStore(spec('state.postgresql', { connectionString: dsn, tableName }), ctx()),
    ]);
    await a.set({ key: 'k', value: enc('from a') });
    const { etag } = (await b.get('k'))!;
    await b.set({ key: 'k', value: enc('from b'), etag });
    await assert.rejects(a.set({ key: 'k', value: enc('stale'), etag }));
    await Promise.all([a.close(), b.close()]);
  });

  test('schema-qualified tableName', async () => {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS pillion_test`);
    const s = await open({ tableName: `pillion_test.t_${RUN_ID}` });
    await s.set({ key: 'k', value: enc('v') });
    const { rows } = await admin.query(`SELECT key, is_json FROM pillion_test.t_${RUN_ID}`);
    assert.deepEqual(rows, [{ key: 'k', is_json: false }]);
    await s.close();
  });

  test('refuses a table with an incompatible schema (e.g. daprd v1)', async () => {
    const tableName = `${TABLE}_dapr`;
    created.add(tableName);
    await admin.query(`CREATE TABLE "${tableName}" (key text PRIMARY KEY, value jsonb NOT NULL, isbinary boolean NOT NULL, insertdate timestamptz, updatedate timestamptz, expiredate timestamptz)`);
    await assert.rejects(open({ tableName }), configError('spec.metadata.tableName'));
  });

  test('purgeExpired deletes expired rows; JSON detection', async () => {
    const s = (await open()) as PostgresStateStore;
    await s.set({ key: 'short', value: enc('x'), metadata: { ttlInSeconds: '1' } });
    await s.set({ key: 'long', value: enc('y') });
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await s.purgeExpired(), 1);
    await s.close();
    assert.equal(isJsonDocument(enc(' {"a":1}')), true);
    assert.equal(isJsonDocument(enc('[1,2]')), true);
    assert.equal(isJsonDocument(enc('"str"')), false);
    assert.equal(isJsonDocument(enc('{bad')), false);
    assert.equal(isJsonDocument(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), false);
  });

  test('an unreachable server fails start-up quickly', async () => {
    const t0 = Date.now();
    await assert.rejects(open({ connectionString: 'postgres://postgres@127.0.0.1:1/test', timeout: '2s' }), /cannot prepare PostgreSQL table/);
    assert.ok(Date.now() - t0 < 3000);
  });
});

stateQueryConformance({
  name: 'state.postgresql',
  create: () => open(),
});
