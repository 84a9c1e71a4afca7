// A token that is not ASCII (DAPR_API_TOKEN, APP_API_TOKEN) works as daprd's does: it is the
// token's UTF-8 bytes that travel in the header and are compared, on both protocols; the
// app receives its app token's UTF-8 bytes; the pillion command-line client sends it so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { minimalEnv, runCli, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { headerValues, request, startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { DAPR_SERVICE, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'tök-日本-api-5d1c';
const APP_TOKEN = 'äpp-tøken-日-9b2e';
/** What a client puts on the wire: the UTF-8 bytes (node reads and writes header strings one byte per character). */
const wire = (t: string): string => Buffer.from(t, 'utf8').toString('latin1');

let app: RecordingApp;
let sc: Sidecar;
before(async () => {
  app = await startHttpApp();
  sc = await startSidecar({ appId: 'non-ascii', token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN }, args: ['--app-port', String(app.port)] });
});
after(async () => {
  await stopAll();
  await app.close();
});

describe('a token that is not ASCII', () => {
  test('HTTP: its UTF-8 bytes are accepted, other bytes refused; the app gets its app token as UTF-8 bytes, never the API token', async () => {
    const ok = await request(sc.httpPort, 'GET', '/v1.0/invoke/non-ascii/method/x', [['dapr-api-token', wire(TOKEN)]]);
    assert.equal(ok.status, 200);
    const got = headerValues(app.seen.at(-1)!.rawHeaders, 'dapr-api-token');
    assert.deepEqual(got.map((v) => Buffer.from(v, 'latin1').toString('utf8')), [APP_TOKEN]);
    for (const presented of [wire('tök-日本-api-5d1d'), 'tk--api-5d1c', wire(TOKEN) + ' x']) {
      assert.equal((await request(sc.httpPort, 'GET', '/v1.0/metadata', [['dapr-api-token', presented]])).status, 401);
    }
  });

  test('gRPC: the same bytes in metadata are accepted, others refused', async () => {
    const call = (token: string) => grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, metadata: { 'dapr-api-token': token }, messages: [new Uint8Array()] });
    assert.equal((await call(wire(TOKEN))).code, GrpcStatus.OK);
    assert.equal((await call(wire('tök-日本-api-5d1d'))).code, GrpcStatus.UNAUTHENTICATED);
  });

  test('the pillion client sends it as its UTF-8 bytes (HTTP and gRPC)', async () => {
    for (const protocol of ['http', 'grpc']) {
      const r = await runCli(['invoke', '--protocol', protocol, '--app-id', 'non-ascii', '--method', 'cli', '--verb', 'GET'], {
        env: minimalEnv({ DAPR_API_TOKEN: TOKEN, DAPR_HTTP_PORT: String(sc.httpPort), DAPR_GRPC_PORT: String(sc.grpcPort) }),
      });
      assert.equal(r.code, 0, `${protocol}: ${r.stderr}`);
      assert.equal(app.seen.at(-1)!.url, '/cli');
    }
  });
});
