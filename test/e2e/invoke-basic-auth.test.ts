// The Basic-auth form of the target app id, as daprd: `http://dapr-app-id:<app-id>@host/<method>`
// (Authorization: Basic base64("dapr-app-id:<app-id>")). The dapr-app-id header beats it, it
// beats the app id of a /v1.0/invoke/… URL (then the whole path is the method), it is not a
// credential for the API (the token is still required) and it never reaches the app. With
// --api-token-allow-bearer, Basic stays the target form and only Bearer carries the token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { headerValues, request, startHttpApp, type RecordingApp } from '../helpers/apps.js';

const TOKEN = 'basic-api-token-0e6d51';
const APP_TOKEN = 'basic-app-token-93ba7c';
const APP_ID = 'basic-target';

let app: RecordingApp;
let sc: Sidecar;
let bearer: Sidecar;

before(async () => {
  app = await startHttpApp();
  const args = ['--app-port', String(app.port)];
  [sc, bearer] = await Promise.all([
    startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args }),
    startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: [...args, '--api-token-allow-bearer'] }),
  ]);
});

after(async () => {
  await stopAll();
  await app.close();
});

const basic = (userPass: string): [string, string] => ['authorization', `Basic ${Buffer.from(userPass).toString('base64')}`];
const auth = (): [string, string] => ['dapr-api-token', TOKEN];
const last = () => app.seen.at(-1)!;

/** Neither the caller's token nor the credential naming the target reached the app. */
function assertAddressedToSidecarOnly(raw: readonly string[]): void {
  assert.deepEqual(headerValues(raw, 'authorization'), []);
  assert.deepEqual(headerValues(raw, 'dapr-app-id'), []);
  assert.deepEqual(headerValues(raw, 'dapr-api-token'), [APP_TOKEN]);
}

describe('Basic-auth form of the app id', () => {
  test('a URL with dapr-app-id:<app-id>@ credentials invokes the app (the path is the method)', async () => {
    const n = app.seen.length;
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // Node turns the URL's user info into Authorization: Basic, as Go's and curl's clients do.
      const req = http.request(`http://dapr-app-id:${APP_ID}@127.0.0.1:${sc.httpPort}/orders/7?expand=1`, { method: 'PUT', headers: { 'dapr-api-token': TOKEN }, agent: false }, (r) => {
        let body = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('payload');
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(app.seen.length, n + 1);
    assert.equal(last().method, 'PUT');
    assert.equal(last().url, '/orders/7?expand=1');
    assert.equal(last().body.toString(), 'payload');
    assert.deepEqual(headerValues(last().rawHeaders, 'dapr-caller-app-id'), [APP_ID]);
    assertAddressedToSidecarOnly(last().rawHeaders);
  });

  test('the user name is matched in any case; the method is the cleaned path, as daprd', async () => {
    const res = await request(sc.httpPort, 'GET', '///a//b/./c/', [auth(), basic(`DAPR-App-Id:${APP_ID}`)]);
    assert.equal(res.status, 200);
    assert.equal(last().url, '/a/b/c');
    assertAddressedToSidecarOnly(last().rawHeaders);
  });

  test('the dapr-app-id header takes precedence over Basic', async () => {
    const res = await request(sc.httpPort, 'POST', '/by-header', [auth(), ['dapr-app-id', APP_ID], basic('dapr-app-id:someone-else')], 'x');
    assert.equal(res.status, 200);
    assert.equal(last().url, '/by-header');
    assertAddressedToSidecarOnly(last().rawHeaders);
  });

  test("Basic takes precedence over the URL's app id: the whole path is the method", async () => {
    const res = await request(sc.httpPort, 'GET', '/v1.0/invoke/someone-else/method/x?q=1', [auth(), basic(`dapr-app-id:${APP_ID}`)]);
    assert.equal(res.status, 200);
    assert.equal(last().url, '/v1.0/invoke/someone-else/method/x?q=1');
    assertAddressedToSidecarOnly(last().rawHeaders);
  });

  test('other Basic credentials are not a target: 404 on an unmatched path, forwarded on the URL form', async () => {
    for (const value of [
      `Basic ${Buffer.from('alice:secret').toString('base64')}`,
      `basic ${Buffer.from(`dapr-app-id:${APP_ID}`).toString('base64')}`, // daprd: the scheme is case-sensitive
      `Basic ${Buffer.from(`dapr-app-id:${APP_ID}:extra`).toString('base64')}`, // exactly one ':'
      'Basic !!not-base64!!',
    ]) {
      const n = app.seen.length;
      const miss = await request(sc.httpPort, 'GET', '/nowhere', [auth(), ['authorization', value]]);
      assert.equal(miss.status, 404, value);
      assert.deepEqual(JSON.parse(miss.body.toString()), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed getting app id either from the URL path or the header dapr-app-id' });
      assert.equal(app.seen.length, n, 'nothing reached the app');
    }
    const alice = `Basic ${Buffer.from('alice:secret').toString('base64')}`;
    const res = await request(sc.httpPort, 'GET', `/v1.0/invoke/${APP_ID}/method/profile`, [auth(), ['authorization', alice]]);
    assert.equal(res.status, 200);
    assert.equal(last().url, '/profile');
    assert.deepEqual(headerValues(last().rawHeaders, 'authorization'), [alice], "the app's own credentials travel on, as daprd");
  });

  test('an empty app id (dapr-app-id:) is 404 ERR_DIRECT_INVOKE, as daprd', async () => {
    const n = app.seen.length;
    for (const path of ['/x', `/v1.0/invoke/${APP_ID}/method/x`]) {
      const res = await request(sc.httpPort, 'GET', path, [auth(), basic('dapr-app-id:')]);
      assert.equal(res.status, 404, path);
      assert.equal(JSON.parse(res.body.toString()).errorCode, 'ERR_DIRECT_INVOKE');
    }
    assert.equal(app.seen.length, n);
  });

  test('another app id in Basic goes to that app (here: no sidecar serves it)', async () => {
    const res = await request(sc.httpPort, 'GET', '/x', [auth(), basic('dapr-app-id:nobody-serves-this')]);
    assert.equal(res.status, 500);
    assert.equal(JSON.parse(res.body.toString()).errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(JSON.parse(res.body.toString()).message, /^failed to invoke, id: nobody-serves-this, err: /);
  });

  test('Basic is not an API credential: without the token, 401 and nothing reaches the app', async () => {
    const n = app.seen.length;
    for (const headers of [[basic(`dapr-app-id:${APP_ID}`)], [basic(`dapr-app-id:${APP_ID}`), ['dapr-api-token', 'wrong']]] as Array<Array<[string, string]>>) {
      assert.equal((await request(sc.httpPort, 'GET', '/x', headers)).status, 401);
      assert.equal((await request(sc.httpPort, 'GET', `/v1.0/invoke/${APP_ID}/method/x`, headers)).status, 401);
    }
    assert.equal(app.seen.length, n);
  });

  test('the public port never invokes the app', async () => {
    const n = app.seen.length;
    const res = await request(sc.ports.public, 'GET', '/x', [auth(), basic(`dapr-app-id:${APP_ID}`)]);
    assert.notEqual(res.status, 200);
    assert.equal(app.seen.length, n);
  });
});

describe('with --api-token-allow-bearer', () => {
  test('Basic names the target, dapr-api-token authenticates; neither reaches the app', async () => {
    const res = await request(bearer.httpPort, 'POST', '/with-basic', [auth(), basic(`dapr-app-id:${APP_ID}`)], 'b');
    assert.equal(res.status, 200);
    assert.equal(last().url, '/with-basic');
    assertAddressedToSidecarOnly(last().rawHeaders);
  });

  test('Basic alone is no token: 401 with the Bearer challenge', async () => {
    const n = app.seen.length;
    const res = await request(bearer.httpPort, 'GET', '/x', [basic(`dapr-app-id:${APP_ID}`)]);
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="dapr"');
    assert.equal(app.seen.length, n);
  });

  test('Bearer carries the token, the dapr-app-id header the target; Authorization is not forwarded', async () => {
    const res = await request(bearer.httpPort, 'GET', '/with-bearer', [['authorization', `Bearer ${TOKEN}`], ['dapr-app-id', APP_ID]]);
    assert.equal(res.status, 200);
    assert.equal(last().url, '/with-bearer');
    assertAddressedToSidecarOnly(last().rawHeaders);
    assert.ok(!last().rawHeaders.join('\n').includes(TOKEN), 'the caller token never reaches the app');
  });

  test('other Basic credentials are removed with the option on (every non-target Authorization is)', async () => {
    const res = await request(bearer.httpPort, 'GET', `/v1.0/invoke/${APP_ID}/method/p`, [auth(), ['authorization', `Basic ${Buffer.from('alice:secret').toString('base64')}`]]);
    assert.equal(res.status, 200);
    assert.deepEqual(headerValues(last().rawHeaders, 'authorization'), []);
  });
});
