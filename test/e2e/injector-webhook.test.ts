// Black-box tests of `pillion injector`: the real process over real HTTPS sockets, with a
// certificate made for the test (and a second one to check the reload).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { createWebhookCerts } from '../../src/injector/webhook-certs.js';
import { cleanupTempDirs, freePorts, minimalEnv, PILLION_BIN, tempDir } from '../helpers/sidecar.js';

interface Reply { status: number; body: string; headers: http.IncomingHttpHeaders; peerFingerprint: string }

let dir: string;
let port: number;
let metricsPort: number;
let proc: ChildProcess;
let ca: string;
let output = '';

function request(path: string, opts: { method?: string; body?: string | Buffer; contentType?: string | null; ca?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
    const req = https.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'POST', ca: opts.ca ?? ca, servername: 'localhost', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), headers: res.headers, peerFingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256 }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const reviewOf = (apiVersion: string, object: unknown, kind = { group: '', version: 'v1', kind: 'Pod' }, operation = 'CREATE') =>
  JSON.stringify({ apiVersion, kind: 'AdmissionReview', request: { uid: 'uid-123', kind, resource: { group: '', version: 'v1', resource: 'pods' }, operation, namespace: 'shop', object } });

const annotatedPod = (annotations: Record<string, string>) => ({
  metadata: { generateName: 'web-', annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'web', ...annotations } },
  spec: { containers: [{ name: 'web', image: 'web:1' }] },
});

function writeCerts(): string {
  const c = createWebhookCerts({ dnsNames: ['localhost'], now: new Date(), days: 1 });
  // atomic replacement, as the kubelet updates a mounted Secret
  writeFileSync(join(dir, 'tls.key.new'), c.key);
  writeFileSync(join(dir, 'tls.crt.new'), c.cert);
  renameSync(join(dir, 'tls.key.new'), join(dir, 'tls.key'));
  renameSync(join(dir, 'tls.crt.new'), join(dir, 'tls.crt'));
  return c.caCert;
}

before(async () => {
  dir = tempDir('pillion-injector-');
  ca = writeCerts();
  [port, metricsPort] = (await freePorts(2)) as [number, number];
  proc = spawn(PILLION_BIN, ['injector', '--port', String(port), '--listen-address', '127.0.0.1', '--metrics-port', String(metricsPort), '--metrics-listen-address', '127.0.0.1',
    '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'), '--cert-poll-seconds', '1', '--sidecar-image', 'pillion:e2e', '--max-body-size', '64Ki', '--log-level', 'debug'],
  { env: minimalEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => (output += d));
  proc.stderr!.on('data', (d: Buffer) => (output += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await request('/readyz', { method: 'GET' })).status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`injector did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(() => {
  if (proc.exitCode === null) proc.kill('SIGKILL');
  cleanupTempDirs();
});

describe('POST /mutate', () => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    test(`${apiVersion}: an annotated pod gets a base64 JSON patch; apiVersion, kind and uid echoed`, async () => {
      const r = await request('/mutate', { body: reviewOf(apiVersion, annotatedPod({ 'dapr.io/api-token-secret': 'web-token' })) });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const out = JSON.parse(r.body);
      assert.equal(out.apiVersion, apiVersion);
      assert.equal(out.kind, 'AdmissionReview');
      assert.equal(out.response.uid, 'uid-123');
      assert.equal(out.response.allowed, true);
      assert.equal(out.response.patchType, 'JSONPatch');
      const patch = JSON.parse(Buffer.from(out.response.patch, 'base64').toString());
      const sidecar = patch.find((op: { path: string }) => op.path === '/spec/containers/-').value;
      assert.equal(sidecar.name, 'daprd');
      assert.equal(sidecar.image, 'pillion:e2e');
      assert.deepEqual(sidecar.env.find((e: { name: string }) => e.name === 'DAPR_API_TOKEN'), { name: 'DAPR_API_TOKEN', valueFrom: { secretKeyRef: { name: 'web-token', key: 'token' } } });
    });
  }
  test('not a pod: allowed, no patch', async () => {
    const out = JSON.parse((await request('/mutate', { body: reviewOf('admission.k8s.io/v1', { metadata: {} }, { group: 'apps', version: 'v1', kind: 'Deployment' }) })).body);
    assert.deepEqual(out.response, { uid: 'uid-123', allowed: true });
  });
  test('not enabled: allowed, no patch', async () => {
    const out = JSON.parse((await request('/mutate', { body: reviewOf('admission.k8s.io/v1', annotatedPod({ 'dapr.io/enabled': 'false' })) })).body);
    assert.deepEqual(out.response, { uid: 'uid-123', allowed: true });
  });
  test('invalid annotations: allowed false with a clear message', async () => {
    const out = JSON.parse((await request('/mutate', { body: reviewOf('admission.k8s.io/v1', annotatedPod({ 'dapr.io/app-id': 'Web_1', 'dapr.io/app-port': 'http' })) })).body);
    assert.equal(out.response.allowed, false);
    assert.match(out.response.status.message, /"Web_1-dapr" must be a DNS-1123 label/);
    assert.match(out.response.status.message, /dapr\.io\/app-port: "http" is not a port number/);
  });
  test('a bad integer annotation: injected, with a warning', async () => {
    const out = JSON.parse((await request('/mutate', { body: reviewOf('admission.k8s.io/v1', annotatedPod({ 'dapr.io/sidecar-liveness-probe-threshold': 'many' })) })).body);
    assert.equal(out.response.allowed, true);
    assert.match(out.response.warnings[0], /sidecar-liveness-probe-threshold: "many" is not an integer; using the default 5/);
  });
  test('undecodable body: allowed false', async () => {
    const out = JSON.parse((await request('/mutate', { body: '{"apiVersion": ' })).body);
    assert.equal(out.response.allowed, false);
    assert.match(out.response.status.message, /cannot decode the AdmissionReview/);
  });
  test('not an AdmissionReview: allowed false', async () => {
    const out = JSON.parse((await request('/mutate', { body: '{"kind":"Pod"}' })).body);
    assert.equal(out.response.allowed, false);
  });
  test('empty body: 400', async () => assert.equal((await request('/mutate', { body: '' })).status, 400));
  test('non-JSON content type: 415', async () => {
    assert.equal((await request('/mutate', { body: '{}', contentType: 'text/plain' })).status, 415);
    assert.equal((await request('/mutate', { body: '{}', contentType: null })).status, 415);
  });
  test('JSON content type with parameters is accepted', async () => {
    assert.equal((await request('/mutate', { body: reviewOf('admission.k8s.io/v1', annotatedPod({})), contentType: 'application/json; charset=utf-8' })).status, 200);
  });
  test('body over the limit: 413', async () => {
    assert.equal((await request('/mutate', { body: Buffer.alloc(65 * 1024, 0x20) })).status, 413);
  });
  test('GET /mutate: 405; unknown path: 404', async () => {
    assert.equal((await request('/mutate', { method: 'GET' })).status, 405);
    assert.equal((await request('/nope', { method: 'GET' })).status, 404);
  });
});

describe('operations', () => {
  test('/healthz and /readyz', async () => {
    assert.equal((await request('/healthz', { method: 'GET' })).status, 200);
    assert.equal((await request('/readyz', { method: 'GET' })).status, 200);
  });
  test('metrics count injections by result and reason', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: metricsPort, path: '/metrics' }, (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    assert.match(text, /pillion_injector_injections_total\{result="injected",reason="none"\} [1-9]/);
    assert.match(text, /pillion_injector_injections_total\{result="denied",reason="invalid-app-id"\} 1/);
    assert.match(text, /pillion_injector_injections_total\{result="skipped",reason="not-a-pod"\} 1/);
    assert.match(text, /pillion_injector_injections_total\{result="error",reason="bad-request"\} 2/);
  });
  test('the certificate is reloaded when its files change', async () => {
    const before = await request('/healthz', { method: 'GET' });
    const newCa = writeCerts();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const r = await request('/healthz', { method: 'GET', ca: newCa });
        assert.notEqual(r.peerFingerprint, before.peerFingerprint);
        assert.equal(r.peerFingerprint, new X509Certificate(readCert()).fingerprint256);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    ca = newCa;
    assert.match(output, /TLS certificate reloaded/);
  });
  test('SIGTERM: graceful shutdown, exit 0', async () => {
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(output, /injector webhook stopped/);
  });
});

function readCert(): string {
  // the first certificate of the chain file is the serving certificate
  const text = readFileSync(join(dir, 'tls.crt'), 'utf8');
  return text.slice(0, text.indexOf('-----END CERTIFICATE-----') + 25);
}
