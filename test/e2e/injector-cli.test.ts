// Black-box tests of `pillion inject` and `pillion token create` (the real process).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, minimalEnv, PILLION_BIN, tempDir } from '../helpers/sidecar.js';

const run = (args: string[], input?: string, env: Record<string, string> = {}) =>
  spawnSync(PILLION_BIN, args, { input, encoding: 'utf8', env: minimalEnv(env), timeout: 20_000 });

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  namespace: shop
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata:
      labels: {app: orders}
      annotations:
        dapr.io/enabled: "true"
        dapr.io/app-id: orders
        dapr.io/app-port: "3000"
        dapr.io/api-token-secret: orders-token
    spec:
      containers:
        - name: orders
          image: orders:1
---
apiVersion: v1
kind: Service
metadata: {name: orders}
spec: {ports: [{port: 80}]}
`;

test.after(() => cleanupTempDirs());

test('inject -f -: injected YAML on stdout, outcomes on stderr', async () => {
  const r = run(['inject', '-f', '-'], MANIFEST, { SIDECAR_IMAGE: 'registry.example/pillion:1' });
  assert.equal(r.status, 0, r.stderr);
  const YAML = await import('yaml');
  const [dep, svc] = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS());
  const sidecar = dep.spec.template.spec.containers[1];
  assert.equal(sidecar.name, 'daprd');
  assert.equal(sidecar.image, 'registry.example/pillion:1');
  assert.deepEqual(sidecar.args.slice(0, 4), ['--mode', 'kubernetes', '--app-id', 'orders']);
  assert.deepEqual(dep.spec.template.metadata.labels, { app: 'orders', 'dapr.io/sidecar-injected': 'true', 'dapr.io/app-id': 'orders', 'dapr.io/metrics-enabled': 'true' });
  assert.equal(svc.kind, 'Service');
  assert.equal(r.stderr, 'injected Deployment/shop/orders\nunchanged Service/orders: kind Service has no pod template\n');
});

test('inject: --sidecar-image beats SIDECAR_IMAGE; a file argument works; injecting twice changes nothing', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'm.yaml'), MANIFEST);
  const once = run(['inject', '-f', join(dir, 'm.yaml'), '--sidecar-image', 'x:2'], undefined, { SIDECAR_IMAGE: 'y:1' });
  assert.equal(once.status, 0, once.stderr);
  assert.match(once.stdout, /image: x:2/);
  const twice = run(['inject', '-f', '-'], once.stdout);
  assert.equal(twice.status, 0);
  assert.match(twice.stderr, /skipped Deployment\/shop\/orders: the pod already has a "daprd" container/);
});

test('inject: invalid annotations → exit 1, resource unchanged, reason on stderr', () => {
  const r = run(['inject', '-f', '-'], MANIFEST.replace('dapr.io/app-port: "3000"', 'dapr.io/app-port: "web"'));
  assert.equal(r.status, 1);
  assert.doesNotMatch(r.stdout, /daprd/);
  assert.match(r.stderr, /error Deployment\/shop\/orders: dapr\.io\/app-port: "web" is not a port number/);
});

test('inject: usage errors exit 2', () => {
  assert.equal(run(['inject']).status, 2);
  assert.equal(run(['inject', '-f', '-', '--bogus'], '').status, 2);
  assert.equal(run(['inject', '-f', '-', '--image-pull-policy', 'Sometimes'], '').status, 2);
});

test('token create: random hex, base64url', () => {
  const hex = run(['token', 'create']);
  assert.equal(hex.status, 0);
  assert.match(hex.stdout, /^[0-9a-f]{64}\n$/);
  assert.match(run(['token', 'create', '--encoding', 'base64url', '--bytes', '24']).stdout, /^[A-Za-z0-9_-]{32}\n$/);
  assert.equal(run(['token', 'create', '--bytes', '4']).status, 2);
});

test('token create --jwt: a JWT verifiable with the public key', async () => {
  const dir = tempDir();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const r = run(['token', 'create', '--jwt', '--key', join(dir, 'key.pem'), '--sub', 'orders', '--aud', 'pillion', '--ttl', '1h']);
  assert.equal(r.status, 0, r.stderr);
  const { jwtVerify } = await import('jose');
  const { payload, protectedHeader } = await jwtVerify(r.stdout.trim(), publicKey, { audience: 'pillion', subject: 'orders' });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.exp! - payload.iat!, 3600);
  assert.equal(run(['token', 'create', '--jwt']).status, 2);
  assert.equal(run(['token', 'create', '--sub', 'x']).status, 2);
});

test('token rotate: usage errors exit 2 before touching any cluster', () => {
  assert.equal(run(['token', 'rotate', '--namespaces', 'a']).status, 2);
  assert.equal(run(['token', 'rotate', '--secret', 's']).status, 2);
  assert.equal(run(['token', 'nope']).status, 2);
});

test('injector certs --out-dir: files and caBundle, no cluster needed', async () => {
  const dir = tempDir();
  const r = run(['injector', 'certs', '--out-dir', dir, '--namespace', 'ns1', '--service', 'svc1']);
  assert.equal(r.status, 0, r.stderr);
  const { X509Certificate } = await import('node:crypto');
  const { readFileSync, statSync } = await import('node:fs');
  const ca = new X509Certificate(Buffer.from(r.stdout.trim(), 'base64'));
  const leaf = new X509Certificate(readFileSync(join(dir, 'tls.crt')));
  assert.ok(leaf.verify(ca.publicKey));
  assert.ok(leaf.checkHost('svc1.ns1.svc'));
  assert.equal(statSync(join(dir, 'tls.key')).mode & 0o777, 0o600);
});
