// An h2c app (--app-protocol h2c) answering more than --max-body-size, against the real
// process: the oversized call fails (or, once its status is out, is cut off), and the calls
// after it work at once — the app's connection is not left refusing new streams.
import { after, before, describe, test } from 'node:test';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { request } from '../helpers/apps.js';
import { daprGrpcClient } from '../helpers/connect.js';

const TOKEN = 'h2c-oversized-token-8f40';
const APP_ID = 'h2c-oversized';
const auth: Array<[string, string]> = [['dapr-api-token', TOKEN]];
// Past --max-body-size (4Mi by default) and past node's maxSessionMemory (10 MB) on the app.
const BIG = 16 << 20;
let app: http2.Http2Server;
let sc: Sidecar;

before(async () => {
  // /big-declared: BIG bytes with their Content-Length; /big: the same without; else "pong".
  app = http2.createServer();
  app.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    stream.resume();
    stream.on('end', () => {
      const path = String(headers[':path']);
      if (path === '/big-declared') {
        stream.respond({ ':status': 200, 'content-length': String(BIG) });
        return void stream.end(Buffer.alloc(BIG, 0x41));
      }
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(path === '/big' ? Buffer.alloc(BIG, 0x41) : 'pong');
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
  const port = (app.address() as AddressInfo).port;
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, args: ['--app-port', String(port), '--app-protocol', 'h2c'] });
});
after(async () => {
  await stopAll();
  await new Promise<void>((r) => app.close(() => r()));
});

async function assertWorks(): Promise<void> {
  const res = await request(sc.httpPort, 'GET', `/v1.0/invoke/${APP_ID}/method/small`, auth);
  assert.equal(res.status, 200, res.body.toString());
  assert.equal(res.body.toString(), 'pong');
  const g = await daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method: 'small', httpExtension: { verb: HTTPExtension_Verb.POST } } });
  assert.equal(Buffer.from(g.data!.value).toString(), 'pong');
}

describe('an h2c answer larger than --max-body-size', () => {
  test('declared: 500, then the next calls work', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await request(sc.httpPort, 'GET', `/v1.0/invoke/${APP_ID}/method/big-declared`, auth);
      assert.equal(res.status, 500);
      assert.match(res.body.toString(), /the app's answer is larger than/);
      await assertWorks();
    }
  });

  test('undeclared: cut off mid-way, then the next calls work', async () => {
    for (let i = 0; i < 2; i++) {
      // The status was out before the body grew too large: the caller's answer breaks off.
      const res = await fetch(`http://127.0.0.1:${sc.httpPort}/v1.0/invoke/${APP_ID}/method/big`, { headers: { 'dapr-api-token': TOKEN } });
      assert.equal(res.status, 200);
      await assert.rejects(res.arrayBuffer());
      await assertWorks();
    }
  });

  test('over gRPC InvokeService (read whole): the call fails, the next ones work', async () => {
    await assert.rejects(daprGrpcClient(sc.grpcPort, TOKEN).invokeService({ id: APP_ID, message: { method: 'big', httpExtension: { verb: HTTPExtension_Verb.POST } } }));
    await assertWorks();
  });
});
