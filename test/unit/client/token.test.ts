// Where pillion/client takes its token from: option, callback, a token file it re-reads when it
// changes (so clients rotate with the sidecar), DAPR_API_TOKEN_FILE, DAPR_API_TOKEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenProvider } from '../../../src/client/token.js';

test('an explicit token or callback wins; then the file; then DAPR_API_TOKEN; else none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pillion-client-'));
  const file = join(dir, 'token');
  writeFileSync(file, '# comment\n\nfrom-file\nsecond\n');
  const env = { DAPR_API_TOKEN: 'from-env', DAPR_API_TOKEN_FILE: file };
  assert.equal(await tokenProvider({ token: 'explicit', env })(), 'explicit');
  assert.equal(await tokenProvider({ token: () => 'callback', env })(), 'callback');
  assert.equal(await tokenProvider({ env })(), 'from-file');
  assert.equal(await tokenProvider({ env: { DAPR_API_TOKEN: 'from-env' } })(), 'from-env');
  assert.equal(await tokenProvider({ env: {} })(), undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('the token file is re-read after it is replaced; an empty file keeps the last token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pillion-client-'));
  const file = join(dir, 'token');
  writeFileSync(file, 'one\n');
  const get = tokenProvider({ tokenFile: file, env: {} });
  assert.equal(await get(), 'one');
  writeFileSync(join(dir, 'next'), 'two\n');
  renameSync(join(dir, 'next'), file); // atomic replace, as a Secret volume update
  await new Promise((r) => setTimeout(r, 1100)); // re-checked at most once a second
  assert.equal(await get(), 'two');
  writeFileSync(file, '');
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(await get(), 'two');
  rmSync(dir, { recursive: true, force: true });
});
