// The lean AsyncResource#bind: what a bound function does is unchanged — async scope, `this`,
// arguments, return value, length, errors — and node:http2 still works on top of it. Each test
// file runs in its own process, so swapping the method here touches nothing else.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource, executionAsyncId } from 'node:async_hooks';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { buildsDeprecatedAccessor, useLeanAsyncBind } from '../../../src/util/lean-async-bind.js';

const [major] = process.versions.node.split('.').map(Number);

describe('lean-async-bind', () => {
  test('swaps the method where Node builds the deprecated accessor, once', () => {
    const before = buildsDeprecatedAccessor();
    // Node 20–23 build it; this project runs on Node 20.
    if (major! < 24) assert.equal(before, true);
    assert.equal(useLeanAsyncBind(), before);
    assert.equal(buildsDeprecatedAccessor(), false);
    const swapped = AsyncResource.prototype.bind;
    assert.equal(useLeanAsyncBind(), before, 'a second call changes nothing');
    assert.equal(AsyncResource.prototype.bind, swapped);
    assert.equal(Object.getOwnPropertyDescriptor(AsyncResource.prototype, 'bind')?.enumerable, false);
  });

  test('the bound function runs in the resource\'s async scope, with the caller\'s this and arguments', () => {
    useLeanAsyncBind();
    const als = new AsyncLocalStorage<string>();
    const resource = als.run('at-bind', () => new AsyncResource('test'));
    function fn(this: unknown, a: number, b: number): unknown {
      return { store: als.getStore(), id: executionAsyncId(), self: this, sum: a + b };
    }
    const bound = resource.bind(fn);
    assert.equal(bound.length, 2);
    assert.equal('asyncResource' in bound, false);
    const receiver = { m: bound };
    const out = als.run('at-call', () => receiver.m(2, 3)) as { store: string; id: number; self: unknown; sum: number };
    assert.deepEqual(out, { store: 'at-bind', id: resource.asyncId(), self: receiver, sum: 5 });
  });

  test('a bound thisArg wins, errors pass through, and a non-function is refused as before', () => {
    useLeanAsyncBind();
    const resource = new AsyncResource('test');
    const self = { name: 'bound' };
    // (Node's bind takes a thisArg; @types/node does not declare it)
    const bindWith = resource.bind.bind(resource) as unknown as (fn: (this: typeof self, x: string) => string, thisArg: unknown) => (x: string) => string;
    const bound = bindWith(function (this: typeof self, x: string) {
      return `${this.name}:${x}`;
    }, self);
    assert.equal((bound as (this: unknown, x: string) => string).call({ name: 'other' }, 'x'), 'bound:x');
    assert.equal(bound.length, 1);
    assert.throws(() => resource.bind(() => {
      throw new Error('inside');
    })(), /inside/);
    assert.throws(() => resource.bind('nope' as unknown as () => void), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('AsyncResource.bind and AsyncLocalStorage.bind/snapshot keep their context', () => {
    useLeanAsyncBind();
    const als = new AsyncLocalStorage<number>();
    const staticBound = als.run(1, () => AsyncResource.bind(() => als.getStore()));
    const alsBound = als.run(2, () => AsyncLocalStorage.bind(() => als.getStore()));
    const snapshot = als.run(3, () => AsyncLocalStorage.snapshot());
    assert.deepEqual(als.run(9, () => [staticBound(), alsBound(), snapshot(() => als.getStore())]), [1, 2, 3]);
  });

  test('node:http2 requests made before and after the session connects still work', async () => {
    useLeanAsyncBind();
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(`you asked for ${headers[':path']}`);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const get = (path: string): Promise<string> => new Promise((ok, fail) => {
      const req = session.request({ ':path': path });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => ok(body));
      req.on('error', fail);
      req.end();
    });
    try {
      // The first is queued until the session is up: its start runs later through the bound function.
      const first = get('/queued');
      assert.equal(session.connecting, true);
      assert.equal(await first, 'you asked for /queued');
      assert.equal(await get('/direct'), 'you asked for /direct');
    } finally {
      session.close();
      server.close();
    }
  });
});
