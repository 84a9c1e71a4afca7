// Cancellation of service invocation when the caller goes away: an HTTP caller that closes its
// connection, a gRPC InvokeService caller that cancels its stream (RST_STREAM) or whose
// deadline passes. The call to the app is aborted — the app sees its request closed long
// before it would have answered — and, with --app-max-concurrency 1, the freed slot serves
// the next call at once. Locally and through another app's sidecar (the internal mTLS stream
// is cancelled, and the remote sidecar aborts ITS call to its app).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { InvokeServiceRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/invoke_pb.js';
import { freePorts, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { request } from '../helpers/apps.js';
import { DAPR_SERVICE, frame, grpcRaw } from '../helpers/grpc.js';

const TOKEN = 'cancel-api-token-5f0c2a';
const SLOW_ANSWER_MS = 5000;
// How long the app may take to see its request closed: well below SLOW_ANSWER_MS, so a call
// that was not aborted (the app answered after 5 s) can never pass for one that was.
const ABORT_BOUND_MS = 3000;
const DEADLINE_EXCEEDED = 4; // gRPC status code

interface SlowCall {
  /** resolves when the app sees the request closed before it answered */
  readonly closed: Promise<void>;
}

/** An HTTP app: /slow answers after SLOW_ANSWER_MS (unless its request is closed first);
 * anything else answers at once and records how many slow calls had been answered by then. */
class SlowApp {
  port = 0;
  lateAnswers = 0;
  answeredFast: number[] = [];
  private arrivals: Array<(c: SlowCall) => void> = [];
  private readonly server = http.createServer((req, res) => {
    req.resume();
    if (!req.url?.startsWith('/slow')) {
      this.answeredFast.push(this.lateAnswers);
      res.writeHead(req.url?.startsWith('/dapr/') ? 404 : 200).end('fast');
      return;
    }
    let onClosed!: () => void;
    const closed = new Promise<void>((r) => (onClosed = r));
    const timer = setTimeout(() => {
      this.lateAnswers++;
      res.writeHead(200).end('late');
    }, SLOW_ANSWER_MS);
    res.once('close', () => {
      if (res.writableFinished) return;
      clearTimeout(timer);
      onClosed();
    });
    this.arrivals.shift()?.({ closed });
  });

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** the next /slow request, once it reached the app */
  nextSlow(): Promise<SlowCall> {
    return new Promise((r) => this.arrivals.push(r));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} (not within ${ms} ms)`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** Starts an HTTP invocation and returns the request, to be destroyed by the test. */
function httpCall(port: number, path: string): http.ClientRequest {
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'dapr-api-token': TOKEN }, agent: false });
  req.on('error', () => {}); // destroyed on purpose
  req.end('payload');
  return req;
}

function invokeServiceFrame(appId: string, method: string): Buffer {
  return frame(toBinary(InvokeServiceRequestSchema, create(InvokeServiceRequestSchema, {
    id: appId,
    message: { method, data: create(AnySchema, { value: Buffer.from('payload') }), httpExtension: { verb: HTTPExtension_Verb.POST } },
  })));
}

/** Starts InvokeService on a raw HTTP/2 stream, so the test can cancel it (RST_STREAM CANCEL). */
function grpcCall(port: number, appId: string, method: string): { session: http2.ClientHttp2Session; stream: http2.ClientHttp2Stream } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  const stream = session.request({
    ':method': 'POST', ':path': `${DAPR_SERVICE}/InvokeService`, 'content-type': 'application/grpc', te: 'trailers', 'dapr-api-token': TOKEN,
  });
  stream.on('error', () => {});
  stream.end(invokeServiceFrame(appId, method));
  return { session, stream };
}

/** After an aborted slow call, a fast one is served at once: the --app-max-concurrency slot
 * was freed, long before the slow call would have answered. */
async function assertSlotFree(app: SlowApp, port: number, appId: string): Promise<void> {
  const res = await within(request(port, 'GET', `/v1.0/invoke/${appId}/method/fast`, [['dapr-api-token', TOKEN]]), ABORT_BOUND_MS, 'the next call was not served');
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), 'fast');
  assert.equal(app.answeredFast.at(-1), 0, 'served before any slow call answered');
}

describe('local app', () => {
  const app = new SlowApp();
  let sc: Sidecar;

  before(async () => {
    await app.start();
    sc = await startSidecar({ appId: 'cancel-local', token: TOKEN, args: ['--app-port', String(app.port), '--app-max-concurrency', '1'] });
  });
  after(async () => {
    await stopAll();
    await app.close();
  });

  test('HTTP: the caller closes its connection → the app sees its request closed; the slot is free', async () => {
    const arrived = app.nextSlow();
    const req = httpCall(sc.httpPort, '/v1.0/invoke/cancel-local/method/slow');
    const call = await within(arrived, ABORT_BOUND_MS, 'the slow call did not reach the app');
    req.destroy();
    await within(call.closed, ABORT_BOUND_MS, 'the app did not see the call aborted');
    await assertSlotFree(app, sc.httpPort, 'cancel-local');
  });

  test('HTTP dapr-app-id header form: same', async () => {
    const arrived = app.nextSlow();
    const req = http.request({ host: '127.0.0.1', port: sc.httpPort, method: 'GET', path: '/slow', headers: { 'dapr-api-token': TOKEN, 'dapr-app-id': 'cancel-local' }, agent: false });
    req.on('error', () => {});
    req.end();
    const call = await within(arrived, ABORT_BOUND_MS, 'the slow call did not reach the app');
    req.destroy();
    await within(call.closed, ABORT_BOUND_MS, 'the app did not see the call aborted');
    await assertSlotFree(app, sc.httpPort, 'cancel-local');
  });

  test('gRPC InvokeService: the caller cancels (RST_STREAM) → the app sees its request closed; the slot is free', async () => {
    const arrived = app.nextSlow();
    const { session, stream } = grpcCall(sc.grpcPort, 'cancel-local', 'slow');
    const call = await within(arrived, ABORT_BOUND_MS, 'the slow call did not reach the app');
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await within(call.closed, ABORT_BOUND_MS, 'the app did not see the call aborted');
    session.close();
    await assertSlotFree(app, sc.httpPort, 'cancel-local');
  });

  test("gRPC InvokeService: the caller's deadline passes → DEADLINE_EXCEEDED, the app sees its request closed", async () => {
    const arrived = app.nextSlow();
    const res = grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/InvokeService`, metadata: { 'dapr-api-token': TOKEN, 'grpc-timeout': '300m' }, raw: invokeServiceFrame('cancel-local', 'slow') });
    const call = await within(arrived, ABORT_BOUND_MS, 'the slow call did not reach the app');
    await within(call.closed, ABORT_BOUND_MS, 'the app did not see the call aborted');
    assert.equal((await res).code, DEADLINE_EXCEEDED);
    await assertSlotFree(app, sc.httpPort, 'cancel-local');
  });

  test('an answered call is not cancelled by the caller closing afterwards', async () => {
    const res = await request(sc.httpPort, 'POST', '/v1.0/invoke/cancel-local/method/fast', [['dapr-api-token', TOKEN]], 'x');
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'fast');
  });
});

describe('another app, through its sidecar', () => {
  const app = new SlowApp();
  let alpha: Sidecar;

  before(async () => {
    await app.start();
    const home = tempDir('pillion-cancel-home-');
    const [ia, ib] = await freePorts(2);
    alpha = await startSidecar({ appId: 'cancel-alpha', token: TOKEN, home, args: ['--dapr-internal-grpc-port', String(ia)] });
    await startSidecar({ appId: 'cancel-beta', token: TOKEN, home, args: ['--dapr-internal-grpc-port', String(ib), '--app-port', String(app.port), '--app-max-concurrency', '1'] });
  });
  after(async () => {
    await stopAll();
    await app.close();
  });

  test('HTTP caller closes → the internal stream is cancelled and the remote app sees its request closed', async () => {
    const arrived = app.nextSlow();
    const req = httpCall(alpha.httpPort, '/v1.0/invoke/cancel-beta/method/slow');
    const call = await within(arrived, ABORT_BOUND_MS, 'the slow call did not reach the remote app');
    req.destroy();
    await within(call.closed, ABORT_BOUND_MS, 'the remote app did not see the call aborted');
    await assertSlotFree(app, alpha.httpPort, 'cancel-beta');
  });

  test('gRPC InvokeService cancelled → the remote app sees its request closed', async () => {
    const arrived = app.nextSlow();
    const { session, stream } = grpcCall(alpha.grpcPort, 'cancel-beta', 'slow');
    const call = await within(arrived, ABORT_BOUND_MS, 'the slow call did not reach the remote app');
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await within(call.closed, ABORT_BOUND_MS, 'the remote app did not see the call aborted');
    session.close();
    await assertSlotFree(app, alpha.httpPort, 'cancel-beta');
  });
});
