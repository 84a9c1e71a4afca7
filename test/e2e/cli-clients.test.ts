// `pillion invoke`, `pillion publish` and `pillion state get|set|delete` against a real
// sidecar with DAPR_API_TOKEN, over HTTP and gRPC (and a Unix socket): what they print, their
// exit codes, the token sent from the env / a token file and never printed, and clear
// failures without it. A plain node:http server standing in for the sidecar shows the exact
// publish request on the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { headerValues, startHttpApp, type RecordingApp, type Seen } from '../helpers/apps.js';
import { minimalEnv, runCli, startSidecar, stopAll, tempDir, type CliResult, type Sidecar } from '../helpers/sidecar.js';
import { eventually } from '../helpers/health-apps.js';

const TOKEN = 'cli-client-token-2b7e9a';
const APP_TOKEN = 'cli-client-app-token-51';
const APP_ID = 'cli-target';
let app: RecordingApp;
let sc: Sidecar;
let dir: string;

before(async () => {
  app = await startHttpApp();
  app.answer = (s) => {
    if (s.url === '/dapr/subscribe') return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ pubsubname: 'pubsub', topic: 'orders', route: '/orders' }]) };
    if (s.url === '/dapr/config') return { status: 404 };
    if (s.url.startsWith('/missing')) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'no such order' };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ got: s.method, url: s.url, body: s.body.toString() }) };
  };
  dir = tempDir('pillion-cli-res-');
  writeFileSync(join(dir, 'components.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.in-memory
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
`);
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, resourcesPaths: [dir], args: ['--app-port', String(app.port)] });
});
after(async () => {
  await stopAll();
  await app.close();
});

/** Runs `pillion <args>` with the sidecar's ports in the env, and the token unless told otherwise. */
async function cli(args: string[], env: Record<string, string | undefined> = { DAPR_API_TOKEN: TOKEN }): Promise<CliResult> {
  const r = await runCli(args, { env: minimalEnv({ DAPR_HTTP_PORT: String(sc.httpPort), DAPR_GRPC_PORT: String(sc.grpcPort), ...env }) });
  assert.ok(!(r.stdout + r.stderr).includes(TOKEN), `the token was printed: ${r.stdout}${r.stderr}`);
  return r;
}
const ok = (r: CliResult): CliResult => {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
};
const lastCall = (): Seen => app.seen.filter((s) => !s.url.startsWith('/dapr/')).at(-1)!;

for (const protocol of ['http', 'grpc'] as const) {
  describe(`pillion invoke (--protocol ${protocol})`, () => {
    test('calls the app with the data and prints its answer; the app sees its app token, not ours', async () => {
      const r = ok(await cli(['invoke', '--protocol', protocol, '--app-id', APP_ID, '--method', 'orders/7?x=1', '--data', '{"qty":2}']));
      assert.deepEqual(JSON.parse(r.stdout), { got: 'POST', url: '/orders/7?x=1', body: '{"qty":2}' });
      const s = lastCall();
      assert.deepEqual(headerValues(s.rawHeaders, 'content-type'), ['application/json']);
      assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
    });

    test('--verb GET without data, short flags as the Dapr CLI', async () => {
      const r = ok(await cli(['invoke', '--protocol', protocol, '-a', APP_ID, '-m', 'orders', '-v', 'get']));
      assert.deepEqual(JSON.parse(r.stdout), { got: 'GET', url: '/orders', body: '' });
    });

    test('--data-file sends the file as the body', async () => {
      const f = join(dir, 'body.json');
      writeFileSync(f, '{"from":"file"}');
      const r = ok(await cli(['invoke', '--protocol', protocol, '--app-id', APP_ID, '--method', 'orders', '--data-file', f]));
      assert.equal(JSON.parse(r.stdout).body, '{"from":"file"}');
    });

    test('an endpoint outside Dapr by URL: called under its path, with neither token', async () => {
      const r = ok(await cli(['invoke', '--protocol', protocol, '--app-id', `http://127.0.0.1:${app.port}/ext`, '--method', 'orders', '--verb', 'GET']));
      assert.deepEqual(JSON.parse(r.stdout), { got: 'GET', url: '/ext/orders', body: '' });
      const s = lastCall();
      assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), []);
      assert.deepEqual(headerValues(s.rawHeaders, 'dapr-caller-app-id'), []);
    });

    test('without a token: exit 1 and the 401 explained', async () => {
      const r = await cli(['invoke', '--protocol', protocol, '--app-id', APP_ID, '--method', 'orders'], {});
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      const want = protocol === 'http' ? 'HTTP 401: invalid api token' : 'gRPC UNAUTHENTICATED: Unauthorized';
      assert.equal(r.stderr, `pillion invoke: ${want} (no token was sent: set DAPR_API_TOKEN, DAPR_API_TOKEN_FILE or --token-file)\n`);
    });

    test('a wrong token: refused, and named by its source only', async () => {
      const r = await cli(['invoke', '--protocol', protocol, '--app-id', APP_ID, '--method', 'orders'], { DAPR_API_TOKEN: 'not-the-token-x9' });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\(the token from DAPR_API_TOKEN was refused\)\n$/);
      assert.ok(!r.stderr.includes('not-the-token-x9'));
    });
  });
}

describe('pillion invoke: answers and errors', () => {
  test('an app answer that is not 2xx: its body on stdout, exit 1', async () => {
    const r = await cli(['invoke', '--app-id', APP_ID, '--method', 'missing/3', '--verb', 'GET']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'no such order');
    assert.equal(r.stderr, 'pillion invoke: the app answered HTTP 404\n');
  });

  test("a Dapr error: exit 1 with Dapr's error code and message", async () => {
    const r = await cli(['invoke', '--app-id', 'nobody', '--method', 'x', '--dapr-http-port', String(sc.httpPort)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pillion invoke: ERR_DIRECT_INVOKE: failed to invoke, id: nobody, .* \(HTTP 500\)\n$/);
  });

  test('--token-file (and DAPR_API_TOKEN_FILE) supply the token; a missing file is a clear error', async () => {
    const f = join(dir, 'token');
    writeFileSync(f, `# the API token\n${TOKEN}\n`);
    ok(await cli(['invoke', '--app-id', APP_ID, '--method', 'orders', '--token-file', f], {}));
    ok(await cli(['invoke', '--protocol', 'grpc', '--app-id', APP_ID, '--method', 'orders'], { DAPR_API_TOKEN_FILE: f }));
    const r = await cli(['invoke', '--app-id', APP_ID, '--method', 'orders', '--token-file', join(dir, 'nope')], {});
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `pillion invoke: cannot read the token file ${join(dir, 'nope')} (ENOENT)\n`);
    const empty = join(dir, 'empty-token');
    writeFileSync(empty, '# nothing here\n\n');
    const e = await cli(['invoke', '--app-id', APP_ID, '--method', 'orders', '--token-file', empty], {});
    assert.equal(e.stderr, `pillion invoke: the token file ${empty} holds no token\n`);
    const bad = await cli(['invoke', '--app-id', APP_ID, '--method', 'orders'], { DAPR_API_TOKEN: 'two words-secretish' });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'pillion invoke: the token from DAPR_API_TOKEN holds characters a header cannot carry (spaces or control characters)\n');
  });

  test('usage errors exit 2 with the usage', async () => {
    for (const args of [['invoke', '--app-id', APP_ID], ['invoke', '--method', 'x'], ['invoke', '-a', APP_ID, '-m', 'x', '-d', '1', '-f', 'f'], ['invoke', '-a', APP_ID, '-m', 'x', '--verb', 'FETCH'], ['invoke', '--bogus'], ['invoke', '-a', APP_ID, '-m', 'x', '--protocol', 'ws']]) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^pillion invoke: .*\n\nUsage: pillion invoke/);
    }
  });

  test('no sidecar there: exit 1, says where it looked', async () => {
    const r = await cli(['invoke', '--app-id', APP_ID, '--method', 'x', '--dapr-http-port', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the sidecar at 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });
});

for (const protocol of ['http', 'grpc'] as const) {
  describe(`pillion state (--protocol ${protocol})`, () => {
    const key = `order-${protocol}`;
    const p = ['--protocol', protocol];

    test('set, get (value and --output json with the ETag), delete', async () => {
      ok(await cli(['state', 'set', ...p, '--key', key, '--data', '{"qty": 2, "item":"tea"}']));
      assert.equal(ok(await cli(['state', 'get', ...p, '--key', key])).stdout, '{"item":"tea","qty":2}');
      const j = JSON.parse(ok(await cli(['state', 'get', ...p, '--key', key, '--output', 'json'])).stdout) as { key: string; value: unknown; etag: string };
      assert.deepEqual({ key: j.key, value: j.value }, { key, value: { item: 'tea', qty: 2 } });
      assert.ok(j.etag.length > 0);
      ok(await cli(['state', 'set', ...p, '-s', 'statestore', '-k', key, '-d', '3', '--etag', j.etag]));
      ok(await cli(['state', 'delete', ...p, '--key', key]));
      const r = await cli(['state', 'get', ...p, '--key', key]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `pillion state get: key "${key}" not found in state store "statestore"\n`);
    });

    test('text that is not JSON is stored as a JSON string, the same on both protocols', async () => {
      ok(await cli(['state', 'set', ...p, '--key', `${key}-text`, '--data', 'hello']));
      for (const other of ['http', 'grpc']) assert.equal(ok(await cli(['state', 'get', '--protocol', other, '--key', `${key}-text`])).stdout, '"hello"');
    });

    test("a wrong ETag: exit 1 with Dapr's error code", async () => {
      ok(await cli(['state', 'set', ...p, '--key', `${key}-e`, '--data', '1']));
      const r = await cli(['state', 'set', ...p, '--key', `${key}-e`, '--data', '2', '--etag', '999999']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, protocol === 'http' ? /^pillion state set: ERR_STATE_SAVE: .* \(HTTP 409\)\n$/ : /^pillion state set: ERR_STATE_SAVE: .* \(gRPC ABORTED\)\n$/);
    });

    test('an unknown store and a missing token are clear errors', async () => {
      const r = await cli(['state', 'get', ...p, '--store', 'nope', '--key', 'k']);
      assert.equal(r.code, 1);
      // over gRPC the code is the ErrorInfo reason daprd sends there (dapr/kit's DAPR_* tag)
      assert.match(r.stderr, protocol === 'http' ? /ERR_STATE_STORE_NOT_FOUND: state store nope is not found/ : /DAPR_STATE_NOT_FOUND: state store nope is not found/);
      const u = await cli(['state', 'get', ...p, '--key', 'k'], {});
      assert.equal(u.code, 1);
      assert.match(u.stderr, /401|UNAUTHENTICATED/);
      assert.match(u.stderr, /no token was sent/);
    });
  });
}

describe('pillion state: usage', () => {
  test('bad command lines exit 2', async () => {
    for (const args of [['state'], ['state', 'put', '--key', 'k'], ['state', 'get'], ['state', 'set', '--key', 'k'], ['state', 'get', '--key', 'k', '--output', 'yaml'], ['state', 'delete', '--key', 'k', '--data', 'x']]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });
});

for (const protocol of ['http', 'grpc'] as const) {
  describe(`pillion publish (--protocol ${protocol})`, () => {
    test('the event reaches the subscribed app', async () => {
      await eventually(() => assert.match(sc.output, /Subscribed to topic orders/));
      const id = `evt-${protocol}`;
      const r = ok(await cli(['publish', '--protocol', protocol, '--pubsub', 'pubsub', '--topic', 'orders', '--data', JSON.stringify({ id })]));
      assert.equal(r.stdout, '');
      const got = await eventually(() => {
        const d = app.seen.find((s) => s.url === '/orders' && s.body.toString().includes(id));
        assert.ok(d, 'not delivered yet');
        return d;
      });
      const ce = JSON.parse(got.body.toString()) as { data: unknown; datacontenttype: string };
      assert.deepEqual(ce.data, { id });
      assert.equal(ce.datacontenttype, 'application/json');
    });

    test('an unknown pub/sub: exit 1 with its error code (ERR_PUBSUB_NOT_FOUND over HTTP, the gRPC reason DAPR_PUBSUB_NOT_FOUND over gRPC); no token: exit 1', async () => {
      const r = await cli(['publish', '--protocol', protocol, '-p', 'nope', '-t', 'orders', '-d', '{}']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, protocol === 'http' ? /^pillion publish: ERR_PUBSUB_NOT_FOUND: / : /^pillion publish: DAPR_PUBSUB_NOT_FOUND: /);
      const u = await cli(['publish', '--protocol', protocol, '-p', 'pubsub', '-t', 'orders', '-d', '{}'], {});
      assert.equal(u.code, 1);
      assert.match(u.stderr, /no token was sent/);
    });
  });
}

describe('pillion publish: the request on the wire (a node:http stand-in for the sidecar)', () => {
  test('POST /v1.0/publish/<pubsub>/<topic> with the token, the content type and metadata as query', async () => {
    const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    try {
      const cloudEvent = JSON.stringify({ id: '1', source: 's', specversion: '1.0', type: 't', data: { a: 1 } });
      ok(await cli(['publish', '--dapr-http-port', String(port), '-i', 'orders-app', '-p', 'pubsub', '-t', 'orders/new', '-d', cloudEvent, '-m', '{"rawPayload":"true","ttlInSeconds":60}']));
      ok(await cli(['publish', '--dapr-http-port', String(port), '-p', 'pubsub', '-t', 'plain', '-d', 'hello', '--content-type', 'text/plain']));
      assert.equal(seen[0]!.method, 'POST');
      assert.equal(seen[0]!.url, '/v1.0/publish/pubsub/orders/new?metadata.rawPayload=true&metadata.ttlInSeconds=60');
      assert.equal(seen[0]!.headers['content-type'], 'application/cloudevents+json');
      assert.equal(seen[0]!.headers['dapr-api-token'], TOKEN);
      assert.equal(seen[0]!.body, cloudEvent);
      assert.equal(seen[1]!.url, '/v1.0/publish/pubsub/plain');
      assert.equal(seen[1]!.headers['content-type'], 'text/plain');
      assert.equal(seen[1]!.body, 'hello');
    } finally {
      server.close();
    }
  });
});

describe('over the sidecar Unix sockets (-u)', () => {
  test('state set/get through dapr-<app-id>-<http|grpc>.socket in the folder', async () => {
    const sock = tempDir('pillion-uds-');
    const sc2 = await startSidecar({ appId: 'uds-app', token: TOKEN, args: ['--unix-domain-socket', sock], waitReady: false });
    try {
      await eventually(async () => ok(await cli(['state', 'set', '-u', sock, '-a', 'uds-app', '--key', 'u1', '--data', '{"v":1}'])));
      assert.equal(ok(await cli(['state', 'get', '--protocol', 'grpc', '-u', sock, '-a', 'uds-app', '--key', 'u1'])).stdout, '{"v":1}');
      assert.equal(ok(await cli(['state', 'get', '-u', join(sock, 'dapr-uds-app-http.socket'), '--key', 'u1'])).stdout, '{"v":1}');
      const r = await cli(['state', 'get', '-u', sock, '--key', 'u1']);
      assert.equal(r.code, 2, 'a folder needs the app id');
    } finally {
      await sc2.stop();
    }
  });
});
