// Response metadata a handler sets (an app's headers relayed by InvokeService): only what the
// transport does not own, in a form node's HTTP/2 server always accepts — a header it refused
// would throw where the call's answer is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { addMetadata } from '../../../src/api/grpc/response-metadata.js';

test('names the transport owns, pseudo-headers, upper case and invalid values are left out', () => {
  const into: http2.OutgoingHttpHeaders = {};
  addMetadata(into, [
    ['grpc-status', '0'], ['grpc-message', 'x'], ['content-type', 'text/html'], ['content-length', '3'], ['te', 'trailers'], ['connection', 'close'],
    ['keep-alive', '1'], ['transfer-encoding', 'chunked'], ['upgrade', 'h2c'], ['http2-settings', 'AAA'], ['host', 'h'], [':status', '500'],
    ['X-Upper', 'v'], ['x-crlf', 'a\r\nb'], ['x-nul', 'a\u0000b'], ['x-ok', 'fine'],
  ]);
  assert.deepEqual(into, { 'x-ok': 'fine' });
});

test('a repeated name is joined with ", ", set-cookie stays a list', () => {
  const into: http2.OutgoingHttpHeaders = {};
  addMetadata(into, [['etag', '"a"'], ['etag', '"b"'], ['x-m', '1'], ['x-m', '2'], ['x-m', '3'], ['set-cookie', 'a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT'], ['set-cookie', 'b=2']]);
  assert.deepEqual(into, { etag: '"a", "b"', 'x-m': '1, 2, 3', 'set-cookie': ['a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT', 'b=2'] });
});

test('whatever an app sends, node accepts the result as response headers and as trailers', async () => {
  const hostile: Array<[string, string]> = [];
  for (const name of ['etag', 'location', 'content-encoding', 'date', 'age', 'server', 'retry-after', 'last-modified', 'http2-settings', 'proxy-authorization', 'x-any']) {
    hostile.push([name, 'v1'], [name, 'v2']);
  }
  const md: http2.OutgoingHttpHeaders = {};
  addMetadata(md, hostile);
  const server = http2.createServer();
  server.on('stream', (stream) => {
    stream.respond({ ...md, ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ ...md, 'grpc-status': '0' }));
    stream.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  try {
    const seen = await new Promise<{ h: http2.IncomingHttpHeaders; t: http2.IncomingHttpHeaders }>((resolve, reject) => {
      const req = client.request({ ':path': '/x', ':method': 'POST' });
      let h: http2.IncomingHttpHeaders = {};
      req.on('response', (x) => (h = x)).on('trailers', (t) => resolve({ h, t })).on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(seen.h.etag, 'v1, v2');
    assert.equal(seen.h['x-any'], 'v1, v2');
    assert.equal(seen.t['grpc-status'], '0');
    assert.equal(seen.t.location, 'v1, v2');
  } finally {
    client.close();
    server.close();
  }
});
