import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalEnvSecretStore, isProtected } from '../../../src/components/secretstore-local-env.js';
import { ctx, spec } from './helpers.js';

const env = {
  MYAPP_DB_PASS: 'secret',
  MYAPP_TOKEN: 't',
  OTHER: 'o',
  UNSET: undefined,
  DAPR_API_TOKEN: 'never',
  dapr_api_token: 'never',
  APP_API_TOKEN: 'never',
  PILLION_API_TOKEN: 'never',
};
const open = (md: Record<string, string> = {}) =>
  createLocalEnvSecretStore(spec('secretstores.local.env', md), ctx({ env }));

describe('secretstores.local.env', () => {
  test('reads ctx.env only, never the sidecar credentials', async () => {
    process.env.PILLION_TEST_ONLY_IN_PROCESS_ENV = 'x';
    const s = await open();
    assert.deepEqual(await s.get('OTHER'), { OTHER: 'o' });
    assert.equal(await s.get('PILLION_TEST_ONLY_IN_PROCESS_ENV'), undefined);
    delete process.env.PILLION_TEST_ONLY_IN_PROCESS_ENV;
    assert.equal(await s.get('UNSET'), undefined);
    for (const name of ['DAPR_API_TOKEN', 'dapr_api_token', 'APP_API_TOKEN', 'PILLION_API_TOKEN']) {
      assert.equal(await s.get(name), undefined, name);
    }
    assert.deepEqual(Object.keys(await s.bulkGet()).sort(), ['MYAPP_DB_PASS', 'MYAPP_TOKEN', 'OTHER']);
  });

  test('prefix filters and is stripped; protected names stay hidden behind a prefix', async () => {
    const s = await open({ prefix: 'MYAPP_' });
    assert.deepEqual(await s.get('DB_PASS'), { DB_PASS: 'secret' });
    assert.equal(await s.get('MYAPP_DB_PASS'), undefined);
    assert.equal(await s.get('OTHER'), undefined);
    assert.deepEqual(await s.bulkGet(), { DB_PASS: { DB_PASS: 'secret' }, TOKEN: { TOKEN: 't' } });
    const d = await open({ prefix: 'DAPR_' });
    assert.deepEqual(await d.bulkGet(), {});
  });

  test('caseInsensitive matches prefix and names in any case', async () => {
    const exact = await open({ prefix: 'myapp_' });
    assert.deepEqual(await exact.bulkGet(), {});
    const s = await open({ prefix: 'myapp_', caseInsensitive: 'true' });
    assert.deepEqual(await s.get('db_pass'), { db_pass: 'secret' });
    assert.deepEqual(Object.keys(await s.bulkGet()).sort(), ['DB_PASS', 'TOKEN']);
  });

  test('isProtected', () => {
    assert.equal(isProtected('DAPR_HTTP_PORT'), true);
    assert.equal(isProtected('App_Api_Token'), true);
    assert.equal(isProtected('MY_DAPR_THING'), false);
  });
});
