// The pure parts of the app transports: which transport each --app-protocol means, the TLS
// options (verification only with a CA), CA bundle parsing, and the HTTP/2 request headers of
// the h2c channel (connection-specific headers are illegal in HTTP/2 and must be left out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appTransport, parseCaBundle, tlsOptions } from '../../../src/appchannel/tls.js';
import { h2RequestHeaders } from '../../../src/appchannel/h2c-channel.js';
import { createWebhookCerts } from '../../../src/injector/webhook-certs.js';

test('each --app-protocol maps to an API family and a wire', () => {
  const t = (p: Parameters<typeof appTransport>[0]) => {
    const x = appTransport(p, '127.0.0.1');
    return [x.family, x.tls !== undefined, x.h2c];
  };
  assert.deepEqual(t('http'), ['http', false, false]);
  assert.deepEqual(t('https'), ['http', true, false]);
  assert.deepEqual(t('h2c'), ['http', false, true]);
  assert.deepEqual(t('grpc'), ['grpc', false, false]);
  assert.deepEqual(t('grpcs'), ['grpc', true, false]);
});

test('TLS options: unverified without a CA (as daprd), verified against the CA with one; TLS 1.2+', () => {
  assert.deepEqual(tlsOptions('127.0.0.1'), { minVersion: 'TLSv1.2', rejectUnauthorized: false });
  assert.deepEqual(tlsOptions('app.local', 'PEM'), { minVersion: 'TLSv1.2', rejectUnauthorized: true, ca: 'PEM', servername: 'app.local' });
  assert.equal(tlsOptions('::1', 'PEM').servername, undefined, 'no SNI for an IP address');
});

test('CA bundles: every certificate kept, junk around them ignored, none or a broken one refused', () => {
  const a = createWebhookCerts({ dnsNames: ['a'], now: new Date(), days: 1 }).caCert;
  const b = createWebhookCerts({ dnsNames: ['b'], now: new Date(), days: 1 }).caCert;
  const bundle = parseCaBundle(`# comment\n${a}\nsome text\n${b}`);
  assert.equal(bundle.match(/BEGIN CERTIFICATE/g)?.length, 2);
  assert.throws(() => parseCaBundle('nothing here'), /holds no PEM certificate/);
  assert.throws(() => parseCaBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), /certificate 1 is unreadable/);
});

test('h2c request headers: path and query kept, connection-specific headers dropped, repeats kept', () => {
  const h = h2RequestHeaders({
    verb: 'PUT', method: 'a%2Fb/c', query: 'x=1&y', body: new Uint8Array(),
    headers: [['host', 'x'], ['connection', 'close'], ['keep-alive', '5'], ['transfer-encoding', 'chunked'], ['te', 'trailers'], ['upgrade', 'h2c'],
      ['content-length', '3'], ['x-a', '1'], ['x-a', '2'], ['content-type', 'text/plain'], [':path', '/evil']],
  });
  assert.deepEqual(h, { ':method': 'PUT', ':path': '/a%2Fb/c?x=1&y', 'x-a': ['1', '2'], 'content-type': 'text/plain' });
});
