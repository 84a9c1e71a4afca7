// The app token on the way to the app: APP_API_TOKEN_FILE (reloaded while running) takes
// precedence over APP_API_TOKEN; --app-token-header / APP_API_TOKEN_HEADER renames the header
// (a caller cannot supply it); no app token configured = no token header at all; in
// Kubernetes mode dapr-caller-namespace is set from NAMESPACE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, sleep, startSidecar, stopAll, tempDir } from '../helpers/sidecar.js';
import { headerValues, request, startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { Code, daprGrpcClient, grpcError } from '../helpers/connect.js';

const TOKEN = 'app-token-suite-caller-31';
let app: RecordingApp;
before(async () => {
  app = await startHttpApp();
});
after(async () => {
  await stopAll();
  await app.close();
});
const auth: Array<[string, string]> = [['dapr-api-token', TOKEN]];
const last = () => app.seen.at(-1)!;

describe('app token source and header', () => {
  test('APP_API_TOKEN_FILE + APP_API_TOKEN_HEADER: the named header carries the current token; dapr-api-token is not sent', async () => {
    const dir = tempDir();
    const file = join(dir, 'app-token');
    writeFileSync(file, '# app token\nfile-token-one\n');
    const sc = await startSidecar({
      appId: 'tok', token: TOKEN,
      env: { APP_API_TOKEN: 'env-token-ignored', APP_API_TOKEN_FILE: file, APP_API_TOKEN_HEADER: 'X-Api-Key' },
      args: ['--app-port', String(app.port)],
    });
    await request(sc.httpPort, 'GET', '/v1.0/invoke/tok/method/a', [...auth, ['x-api-key', 'spoofed-by-caller']]);
    assert.deepEqual(headerValues(last().rawHeaders, 'x-api-key'), ['file-token-one']);
    assert.deepEqual(headerValues(last().rawHeaders, 'dapr-api-token'), []);

    // rotate the file (atomic replace, as Kubernetes does) and see the new token arrive
    writeFileSync(join(dir, 'next'), 'file-token-two\n');
    renameSync(join(dir, 'next'), file);
    let seen: string[] = [];
    for (let i = 0; i < 60; i++) {
      await request(sc.httpPort, 'GET', '/v1.0/invoke/tok/method/a', auth);
      seen = headerValues(last().rawHeaders, 'x-api-key');
      if (seen[0] === 'file-token-two') break;
      await sleep(50);
    }
    assert.deepEqual(seen, ['file-token-two']);
    assert.ok(!sc.output.includes('file-token-two') && !sc.output.includes('file-token-one'), 'tokens never logged');
  });

  test('--app-token-header wins over APP_API_TOKEN_HEADER', async () => {
    const sc = await startSidecar({
      appId: 'tok2', token: TOKEN, env: { APP_API_TOKEN: 'app-tok', APP_API_TOKEN_HEADER: 'x-ignored' },
      args: ['--app-port', String(app.port), '--app-token-header', 'x-app-auth'],
    });
    await request(sc.httpPort, 'GET', '/v1.0/invoke/tok2/method/a', auth);
    assert.deepEqual(headerValues(last().rawHeaders, 'x-app-auth'), ['app-tok']);
    assert.deepEqual(headerValues(last().rawHeaders, 'x-ignored'), []);
  });

  test('no app token configured: the app gets no token header, and never the caller token', async () => {
    const sc = await startSidecar({ appId: 'notok', token: TOKEN, args: ['--app-port', String(app.port)] });
    await request(sc.httpPort, 'GET', '/v1.0/invoke/notok/method/a', auth);
    assert.deepEqual(headerValues(last().rawHeaders, 'dapr-api-token'), []);
  });

  test('a header the sidecar owns cannot carry the app token (start-up error)', async () => {
    const r = await runCli(['run', '--app-id', 'x', '--app-token-header', 'dapr-caller-app-id']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /--app-token-header/);
  });

  test('invoke denied by the Configuration: URL form, header form and InvokeService are hidden', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'config.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {name: c}\nspec:\n  api:\n    denied:\n      - {name: invoke, version: v1.0, protocol: http}\n      - {name: invoke, version: v1, protocol: grpc}\n');
    const sc = await startSidecar({ appId: 'denied', token: TOKEN, env: { APP_API_TOKEN: 'x' }, args: ['--app-port', String(app.port), '--config', join(d, 'config.yaml')] });
    const n = app.seen.length;
    assert.equal((await request(sc.httpPort, 'GET', '/v1.0/invoke/denied/method/a', auth)).status, 404);
    assert.equal((await request(sc.httpPort, 'GET', '/a', [...auth, ['dapr-app-id', 'denied']])).status, 404);
    const e = await grpcError(() => daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: 'denied', message: { method: 'a' } }));
    assert.equal(e.code, Code.Unimplemented);
    assert.equal(app.seen.length, n);
  });

  test('Kubernetes mode: dapr-caller-namespace from NAMESPACE; standalone: omitted', async () => {
    const sc = await startSidecar({ appId: 'k8s', token: TOKEN, env: { NAMESPACE: 'shop' }, args: ['--app-port', String(app.port), '--mode', 'kubernetes'] });
    await request(sc.httpPort, 'GET', '/v1.0/invoke/k8s/method/a', [...auth, ['dapr-caller-namespace', 'spoof']]);
    assert.deepEqual(headerValues(last().rawHeaders, 'dapr-caller-namespace'), ['shop']);
  });
});
