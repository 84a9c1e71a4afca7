import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createSqliteStateStore, SqliteStateStore } from '../../../src/components/state-sqlite.js';
import { ComponentConfigError, type StateStore } from '../../../src/components/types.js';
import { ctx, spec, tempDir } from './helpers.js';
import { stateStoreConformance } from './state-conformance.js';
import { stateQueryConformance } from './state-query-conformance.js';

const dir = tempDir('pillion-sqlite-');
let n = 0;
const files = new WeakMap<StateStore, string>();

async function open(file: string, extra: Record<string, string> = {}): Promise<StateStore> {
  const s = await createSqliteStateStore(spec('state.sqlite', { connectionString: file, ...extra }), ctx());
  files.set(s, file);
  return s;
}

stateStoreConformance({
  name: 'state.sqlite',
  create: () => open(join(dir, `conformance-${n++}.db`)),
  reopen: async (s) => {
    await s.close();
    return open(files.get(s)!);
  },
});

const enc = (s: string) => Buffer.from(s);
const configError = (field: string) => (err: unknown) =>
  err instanceof ComponentConfigError && err.field === field && err.source === 'test/c.yaml';

describe('state.sqlite specifics', () => {
  test('connectionString is required', async () => {
    await assert.rejects(createSqliteStateStore(spec('state.sqlite'), ctx()), configError('spec.metadata.connectionString'));
  });

  test('tableName must be an identifier; a custom table and missing parent dirs work', async () => {
    const file = join(dir, 'nested', 'deeper', 'custom.db');
    await assert.rejects(open(file, { tableName: 'bad name;' }), configError('spec.metadata.tableName'));
    const s = await open(file, { tableName: 'my_state' });
    await s.set({ key: 'k', value: enc('v') });
    await s.close();
    const db = new Database(file, { readonly: true });
    assert.deepEqual(db.prepare('SELECT key FROM my_state').all(), [{ key: 'k' }]);
    db.close();
  });

  test('uses WAL, and two stores on one file (table created twice) share data', async () => {
    const file = join(dir, 'shared.db');
    const [a, b] = await Promise.all([open(file), open(file)]);
    await a.set({ key: 'k', value: enc('from a') });
    assert.equal(Buffer.from((await b.get('k'))!.value).toString(), 'from a');
    const { etag } = (await b.get('k'))!;
    await b.set({ key: 'k', value: enc('from b'), etag });
    await assert.rejects(a.set({ key: 'k', value: enc('stale'), etag }));
    await Promise.all([a.close(), b.close()]);
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  test('relative connectionString resolves against the working directory', async () => {
    const file = join(dir, 'relative.db');
    const s = await open(relative(process.cwd(), file));
    await s.close();
    assert.ok(existsSync(file));
  });

  test('file: URIs: mode=ro, :memory:, reserved pragmas', async () => {
    const file = join(dir, 'uri.db');
    const w = await open(`file:${file}?_pragma=cache_size(2000)`);
    await w.set({ key: 'k', value: enc('v') });
    await w.close();
    const ro = await open(`file://${file}?mode=ro`);
    assert.equal(Buffer.from((await ro.get('k'))!.value).toString(), 'v');
    await assert.rejects(ro.set({ key: 'k', value: enc('x') }));
    await ro.close();
    const mem = await open('file::memory:?cache=shared');
    await mem.set({ key: 'k', value: enc('m') });
    await mem.close();
    await assert.rejects(open(`file:${file}?_pragma=synchronous(OFF)`), configError('spec.metadata.connectionString'));
    await assert.rejects(open(`file:${file}?mode=bogus`), configError('spec.metadata.connectionString'));
  });

  test('durations are validated', async () => {
    await assert.rejects(open(':memory:', { busyTimeout: 'soon' }), configError('spec.metadata.busyTimeout'));
    const s = await open(':memory:', { busyTimeout: '100ms', timeout: '30', cleanupInterval: '-1' });
    await s.close();
  });

  test('refuses a table with an incompatible schema (e.g. one made by daprd)', async () => {
    const file = join(dir, 'dapr.db');
    const db = new Database(file);
    db.exec('CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL, is_binary BOOLEAN NOT NULL, etag TEXT NOT NULL, expiration_time TIMESTAMP, update_time TIMESTAMP)');
    db.close();
    await assert.rejects(open(file), configError('spec.metadata.tableName'));
  });

  test('purgeExpired deletes expired rows from disk', async () => {
    const file = join(dir, 'purge.db');
    const s = (await open(file)) as SqliteStateStore;
    await s.set({ key: 'short', value: enc('x'), metadata: { ttlInSeconds: '1' } });
    await s.set({ key: 'long', value: enc('y') });
    await sleep(1100);
    assert.equal(s.purgeExpired(), 1);
    await s.close();
  });

  test('acknowledged writes survive kill -9', async () => {
    const file = join(dir, 'kill.db');
    const mod = new URL('../../../src/components/state-sqlite.js', import.meta.url).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      const { createSqliteStateStore } = await import(process.env.MOD);
      const spec = { name: 's', type: 'state.sqlite', version: 'v1', metadata: { connectionString: process.env.DB }, scopes: [], source: 'child' };
      const s = await createSqliteStateStore(spec, {});
      for (let i = 0; i < 1e6; i++) { await s.set({ key: 'k' + i, value: Buffer.from('v' + i) }); process.stdout.write(i + '\\n'); }
    `], { env: { ...process.env, MOD: mod, DB: file }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').length > 200) resolve();
      });
      child.on('exit', () => resolve());
    });
    child.kill('SIGKILL');
    await exited;
    const acked = out.split('\n').slice(0, -1).map(Number); // the last piece may be partial
    assert.ok(acked.length >= 200, `child acknowledged only ${acked.length} writes`);
    const s = await open(file);
    const got = await s.bulkGet(acked.map((i) => `k${i}`));
    assert.deepEqual(got.map((g, i) => g && Buffer.from(g.value).toString() === `v${acked[i]}`).filter((ok) => !ok), []);
    await s.close();
  });
});

stateQueryConformance({
  name: 'state.sqlite',
  create: () => open(join(dir, `query-${n++}.db`)),
});
