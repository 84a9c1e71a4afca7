// What the own app receives, as a pure function of the caller's headers and the sidecar's
// settings; and the app channel's concurrency limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appHeaders } from '../../src/core/invoke.js';
import { withLimits, AppChannelError, type AppChannel, type AppRequest } from '../../src/appchannel/channel.js';
import type { CoreContext } from '../../src/core/context.js';

function ctxWith(o: { token?: string; header?: string; namespace?: string }): CoreContext {
  return {
    appId: 'me',
    invocation: { channel: () => undefined, appReachable: () => true, appToken: () => o.token, tokenHeader: o.header ?? 'dapr-api-token', namespace: o.namespace },
  } as unknown as CoreContext;
}

test('app token SET, identities set, spoofed and connection-scoped headers dropped', () => {
  const out = appHeaders(ctxWith({ token: 'app-tok', namespace: 'shop' }), [
    ['dapr-api-token', 'caller'], ['dapr-caller-app-id', 'x'], ['dapr-callee-app-id', 'y'], ['dapr-caller-namespace', 'z'],
    ['connection', 'close, x-scoped'], ['x-scoped', '1'], ['keep-alive', 't'], ['te', 'trailers'], ['trailer', 'a'],
    ['transfer-encoding', 'chunked'], ['upgrade', 'h2c'], ['proxy-authorization', 'p'], ['host', 'h'], ['content-length', '3'],
    ['x-kept', 'k'], ['x-kept', 'k2'],
  ], 'me');
  assert.deepEqual(out, [
    ['x-kept', 'k'], ['x-kept', 'k2'],
    ['dapr-caller-app-id', 'me'], ['dapr-callee-app-id', 'me'], ['dapr-caller-namespace', 'shop'], ['dapr-api-token', 'app-tok'],
  ]);
});

test('a custom token header: the caller cannot supply it, dapr-api-token is never relayed', () => {
  const out = appHeaders(ctxWith({ header: 'x-api-key' }), [['x-api-key', 'forged'], ['dapr-api-token', 'caller']], 'me');
  assert.deepEqual(out, [['dapr-caller-app-id', 'me'], ['dapr-callee-app-id', 'me']]);
  const withToken = appHeaders(ctxWith({ header: 'x-api-key', token: 't' }), [['x-api-key', 'forged']], 'me');
  assert.deepEqual(withToken.filter(([k]) => k === 'x-api-key'), [['x-api-key', 't']]);
});

test('withLimits: max concurrency queues in order; the timeout covers queueing', async () => {
  let inFlight = 0;
  let max = 0;
  const order: string[] = [];
  const slow: AppChannel = {
    protocol: 'http',
    close() {},
    async invoke(req: AppRequest) {
      inFlight++;
      max = Math.max(max, inFlight);
      order.push(req.method);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      return { status: 200, headers: [], body: new Uint8Array() };
    },
  };
  const ch = withLimits(slow, { maxConcurrency: 2, timeoutMs: 0 });
  const req = (method: string): AppRequest => ({ verb: 'GET', method, query: '', headers: [], body: new Uint8Array() });
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((m) => ch.invoke(req(m))));
  assert.equal(max, 2);
  assert.deepEqual(order, ['a', 'b', 'c', 'd', 'e']);

  const tight = withLimits(slow, { maxConcurrency: 1, timeoutMs: 10 });
  const results = await Promise.allSettled([tight.invoke(req('x')), tight.invoke(req('y'))]);
  const second = results[1];
  assert.equal(second.status, 'rejected');
  assert.ok((second as PromiseRejectedResult).reason instanceof AppChannelError);
  assert.equal(((second as PromiseRejectedResult).reason as AppChannelError).kind, 'timeout');
});
