import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createLocalFileSecretStore } from '../../../src/components/secretstore-local-file.js';
import { ComponentConfigError } from '../../../src/components/types.js';
import { ctx, spec, tempDir } from './helpers.js';

const dir = tempDir('pillion-secrets-');
const doc = {
  plain: 'p',
  db: { user: 'u', pass: 'pw', opts: { tls: true, port: 5432 } },
  list: ['a', 'b'],
  nothing: null,
};
const file = join(dir, 'secrets.json');
writeFileSync(file, JSON.stringify(doc));

const open = (md: Record<string, string>) =>
  createLocalFileSecretStore(spec('secretstores.local.file', md), ctx());

describe('secretstores.local.file', () => {
  test('single-valued: nested keys flattened with ":" and leaves stringified', async () => {
    const s = await open({ secretsFile: file });
    assert.deepEqual(await s.get('plain'), { plain: 'p' });
    assert.deepEqual(await s.get('db:opts:port'), { 'db:opts:port': '5432' });
    assert.deepEqual(await s.get('db:opts:tls'), { 'db:opts:tls': 'true' });
    assert.deepEqual(await s.get('list:1'), { 'list:1': 'b' });
    assert.deepEqual(await s.get('nothing'), { nothing: 'null' });
    assert.equal(await s.get('db'), undefined);
    assert.equal(await s.get('missing'), undefined);
    const all = await s.bulkGet();
    assert.deepEqual(Object.keys(all).sort(), ['db:opts:port', 'db:opts:tls', 'db:pass', 'db:user', 'list:0', 'list:1', 'nothing', 'plain']);
    assert.deepEqual(all['db:user'], { 'db:user': 'u' });
    assert.deepEqual(s.features, []);
  });

  test('custom nestedSeparator', async () => {
    const s = await open({ secretsFile: file, nestedSeparator: '.' });
    assert.deepEqual(await s.get('db.user'), { 'db.user': 'u' });
  });

  test('multiValued: top-level keys are secrets with flattened maps', async () => {
    const s = await open({ secretsFile: file, multiValued: 'true' });
    assert.deepEqual(await s.get('db'), { user: 'u', pass: 'pw', 'opts:tls': 'true', 'opts:port': '5432' });
    assert.deepEqual(await s.get('plain'), { plain: 'p' });
    assert.deepEqual(await s.get('list'), { 0: 'a', 1: 'b' });
    assert.deepEqual(Object.keys(await s.bulkGet()).sort(), ['db', 'list', 'nothing', 'plain']);
    assert.deepEqual(s.features, ['MULTIPLE_KEY_VALUES_PER_SECRET']);
  });

  test('returned maps are copies', async () => {
    const s = await open({ secretsFile: file });
    (await s.get('plain'))!.plain = 'changed';
    assert.deepEqual(await s.get('plain'), { plain: 'p' });
  });

  test('relative secretsFile resolves against the working directory', async () => {
    const s = await open({ secretsFile: relative(process.cwd(), file) });
    assert.deepEqual(await s.get('plain'), { plain: 'p' });
  });

  test('errors name the file and the field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const arr = join(dir, 'array.json');
    writeFileSync(arr, '[1]');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /secretsFile: required/],
      [{ secretsFile: join(dir, 'missing.json') }, /missing\.json.*ENOENT/],
      [{ secretsFile: bad }, /bad\.json" is not valid JSON/],
      [{ secretsFile: arr }, /array\.json" must contain a JSON object/],
      // a device would be read forever (start-up hung on /dev/zero)
      [{ secretsFile: '/dev/zero' }, /"\/dev\/zero" is not a regular file/],
      [{ secretsFile: dir }, /is not a regular file/],
      [{ secretsFile: file, multiValued: 'maybe' }, /multiValued: expected true or false/],
    ];
    for (const [md, re] of cases) {
      await assert.rejects(open(md), (err: unknown) => {
        assert.ok(err instanceof ComponentConfigError);
        assert.match(err.message, /^test\/c\.yaml: spec\.metadata\./);
        assert.match(err.message, re);
        return true;
      });
    }
  });
});
