// The injector, `pillion token rotate`, `pillion injector certs` and deploy/ against a REAL
// Kubernetes control plane: etcd + kube-apiserver + kube-controller-manager built from the Go
// modules (scripts/k8s-binaries.mjs, cached outside the repo). The webhook is registered from
// deploy/30-webhook.yaml (with a url instead of the in-cluster Service) and every assertion
// reads what the API server STORED, after its own defaulting, validation and admission chain.
//
// Skipped, with the reason, only when the machine has no Go toolchain to build the binaries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { createWebhookCerts } from '../../src/injector/webhook-certs.js';
import { kubeBinaries } from '../helpers/kube-binaries.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { freePorts, minimalEnv, PILLION_BIN, ROOT, runCli, tempDir, cleanupTempDirs } from '../helpers/sidecar.js';

type Any = Record<string, any>;

const binaries = await kubeBinaries();
const skip = binaries.ok ? false : binaries.reason;

const DEPLOY = join(ROOT, 'deploy');
const WEBHOOK_NAME = 'pillion-injector-e2e';
const NS = 'shop-e2e';

const pod = (name: string, annotations: Record<string, string> = {}, spec: Any = {}): Any => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: name }, annotations },
  spec: { containers: [{ name: 'app', image: 'example.com/app:1', ports: [{ containerPort: 3000 }] }], ...spec },
});

const annotated = (appId: string, extra: Record<string, string> = {}) => ({
  'dapr.io/enabled': 'true',
  'dapr.io/app-id': appId,
  'dapr.io/app-port': '3000',
  'dapr.io/api-token-secret': 'web-token',
  ...extra,
});

const deployment = (name: string, annotations: Record<string, string>): Any => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name }, annotations }, spec: { containers: [{ name: 'app', image: 'example.com/app:1' }] } },
  },
});

const container = (p: Any, name: string): Any | undefined => (p.spec.containers as Any[]).find((c) => c.name === name);
const env = (c: Any, name: string): Any | undefined => (c.env as Any[] | undefined)?.find((e) => e.name === name);
const secretToken = (s: Any): string => Buffer.from(s.data.token, 'base64').toString();

/** The webhook of deploy/30-webhook.yaml, pointed at the local injector instead of its Service. */
async function webhookConfiguration(port: number, caPem: string): Promise<Any> {
  const YAML = await import('yaml');
  const cfg = YAML.parse(readFileSync(join(DEPLOY, '30-webhook.yaml'), 'utf8')) as Any;
  cfg.metadata.name = WEBHOOK_NAME;
  for (const w of cfg.webhooks as Any[]) {
    // localhost: the name the test certificate is made for (the API server checks it)
    w.clientConfig = { url: `https://localhost:${port}/mutate`, caBundle: Buffer.from(caPem).toString('base64') };
  }
  return cfg;
}

// each test carries the skip reason (a skipped describe would count no skipped test at all)
const it = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

describe('Kubernetes: a real kube-apiserver', () => {
  let cluster: KubeCluster;
  let injector: ChildProcess;
  let injectorOut = '';

  before(async () => {
    if (!binaries.ok) return;
    cluster = await KubeCluster.start(binaries.bins);

    // the injector, on a free port, with a certificate for "localhost"
    const dir = tempDir('pillion-kube-injector-');
    const certs = createWebhookCerts({ dnsNames: ['localhost'], now: new Date(), days: 1 });
    writeFileSync(join(dir, 'tls.crt'), certs.cert);
    writeFileSync(join(dir, 'tls.key'), certs.key, { mode: 0o600 });
    const [port] = (await freePorts(1)) as [number];
    injector = spawn(PILLION_BIN, ['injector', '--port', String(port), '--listen-address', '127.0.0.1', '--metrics-port', '0',
      '--tls-cert-file', join(dir, 'tls.crt'), '--tls-key-file', join(dir, 'tls.key'), '--sidecar-image', 'pillion:e2e'],
    { env: minimalEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    injector.stdout!.on('data', (d: Buffer) => (injectorOut += d));
    injector.stderr!.on('data', (d: Buffer) => (injectorOut += d));
    const withInjectorLog = async <T>(p: Promise<T>): Promise<T> => {
      try {
        return await p;
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- pillion injector:\n${injectorOut}`);
      }
    };
    await withInjectorLog(cluster.waitFor('the injector /readyz', async () => (await httpsStatus(port, '/readyz', certs.caCert)) === 200 || undefined, 15_000));

    await cluster.ok('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', await webhookConfiguration(port, certs.caCert));
    const applied = await cluster.kubectl(['apply', '-f', join(DEPLOY, '00-namespace.yaml')]);
    assert.equal(applied.code, 0, applied.stderr);
    await cluster.createNamespace(NS);
    await cluster.ok('POST', `/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-token' }, stringData: { token: 'e2e-token' } });
    // the API server picks the new webhook up through an informer: wait until a dry-run
    // create comes back injected
    await withInjectorLog(cluster.waitFor('the webhook to be called', async () => {
      const r = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, pod('probe', annotated('probe')));
      return r.status === 201 && container(r.body, 'daprd') ? true : undefined;
    }, 30_000));
  });

  after(async () => {
    if (injector && injector.exitCode === null) injector.kill('SIGKILL');
    await cluster?.stop();
    cleanupTempDirs();
  });

  it('an annotated Pod is stored with the daprd sidecar, its token from the Secret, labels and app env', async () => {
    const created = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, pod('web', annotated('web', { 'dapr.io/sidecar-cpu-request': '0.1', 'dapr.io/sidecar-memory-limit': '256Mi' })));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const p = await cluster.ok(`GET`, `/api/v1/namespaces/${NS}/pods/web`);
    assert.deepEqual(p.spec.containers.map((c: Any) => c.name), ['app', 'daprd']);
    const d = container(p, 'daprd')!;
    assert.equal(d.image, 'pillion:e2e');
    assert.deepEqual(d.command, ['pillion', 'run']);
    const args = d.args as string[];
    for (const [flag, value] of [['--mode', 'kubernetes'], ['--app-id', 'web'], ['--app-port', '3000'], ['--dapr-http-port', '3500'], ['--dapr-public-port', '3501']]) {
      assert.equal(args[args.indexOf(flag!) + 1], value, `${flag} in ${args.join(' ')}`);
    }
    assert.deepEqual(Object.fromEntries((d.ports as Any[]).map((x) => [x.name, x.containerPort])), { 'dapr-http': 3500, 'dapr-grpc': 50001, 'dapr-internal': 50002, 'dapr-metrics': 9090 });
    assert.deepEqual(d.readinessProbe.httpGet, { path: '/v1.0/healthz', port: 3501, scheme: 'HTTP' });
    assert.deepEqual(d.livenessProbe.tcpSocket, { port: 3501 });
    assert.equal(d.livenessProbe.initialDelaySeconds, 180);
    // what the kubelet will use, after the API server's defaulting: quantities normalised
    // ("0.1" → "100m"), and a request that is not set defaults to its limit
    assert.deepEqual(d.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } });
    assert.deepEqual(d.securityContext, {
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(env(d, 'DAPR_API_TOKEN'), { name: 'DAPR_API_TOKEN', valueFrom: { secretKeyRef: { name: 'web-token', key: 'token' } } });
    assert.deepEqual(env(d, 'DAPR_API_TOKEN_FILE'), { name: 'DAPR_API_TOKEN_FILE', value: '/var/run/secrets/pillion.io/api-token/token' });
    assert.deepEqual(env(d, 'NAMESPACE')?.valueFrom, { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } });
    assert.ok((d.volumeMounts as Any[]).some((m) => m.name === 'dapr-api-token' && m.mountPath === '/var/run/secrets/pillion.io/api-token' && m.readOnly === true));
    const tokenVolume = (p.spec.volumes as Any[]).find((v) => v.name === 'dapr-api-token');
    assert.deepEqual(tokenVolume?.secret, { secretName: 'web-token', items: [{ key: 'token', path: 'token' }], defaultMode: 420 });
    assert.deepEqual((p.spec.volumes as Any[]).find((v) => v.name === 'pillion-data')?.emptyDir, {});
    const app = container(p, 'app')!;
    assert.equal(env(app, 'DAPR_HTTP_PORT')?.value, '3500');
    assert.equal(env(app, 'DAPR_GRPC_PORT')?.value, '50001');
    assert.equal(env(app, 'APP_PROTOCOL')?.value, 'http');
    assert.deepEqual(p.metadata.labels, { app: 'web', 'dapr.io/sidecar-injected': 'true', 'dapr.io/app-id': 'web', 'dapr.io/metrics-enabled': 'true' });
    assert.equal(p.metadata.annotations['dapr.io/api-token-secret'], 'web-token');
  });

  it('invalid annotations: the API server refuses the Pod with the injector\'s message', async () => {
    const r = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, pod('bad', annotated('Bad_App', { 'dapr.io/app-port': 'http' })));
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.message, /admission webhook "sidecar-injector\.pillion\.io" denied the request: pillion injector: cannot inject the sidecar/);
    assert.match(r.body.message, /"Bad_App-dapr" must be a DNS-1123 label/);
    assert.match(r.body.message, /dapr\.io\/app-port: "http" is not a port number/);
    assert.equal((await cluster.api('GET', `/api/v1/namespaces/${NS}/pods/bad`)).status, 404);
  });

  it('a bad integer annotation: injected with the default, and the API server passes the warning on', async () => {
    const r = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, pod('warned', annotated('warned', { 'dapr.io/sidecar-liveness-probe-threshold': 'many' })));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    // a Warning header (RFC 7234): 299 - "<text>", inner quotes escaped
    assert.match(String(r.headers.warning), /^299 - ".*sidecar-liveness-probe-threshold: \\"many\\" is not an integer; using the default 5/);
    assert.equal(container(r.body, 'daprd')?.livenessProbe.failureThreshold, 5);
  });

  it('a Pod without the annotations is stored as sent', async () => {
    const r = await cluster.api('POST', `/api/v1/namespaces/${NS}/pods`, pod('plain'));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const p = await cluster.ok('GET', `/api/v1/namespaces/${NS}/pods/plain`);
    assert.deepEqual(p.spec.containers.map((c: Any) => c.name), ['app']);
    assert.equal(container(p, 'app')!.env, undefined);
    assert.deepEqual(p.metadata.labels, { app: 'plain' });
    assert.ok(!(p.spec.volumes as Any[]).some((v) => ['pillion-data', 'dapr-api-token'].includes(v.name)));
  });

  it('the injector\'s own namespace is never injected (namespaceSelector)', async () => {
    await cluster.waitForServiceAccount('pillion-system');
    // pillion-system enforces the restricted Pod Security Standard: a compliant pod
    const restricted = pod('annotated', annotated('annotated'), {
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'app', image: 'example.com/app:1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
    });
    const r = await cluster.api('POST', '/api/v1/namespaces/pillion-system/pods', restricted);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.spec.containers.map((c: Any) => c.name), ['app']);
    assert.equal(r.body.metadata.labels['dapr.io/sidecar-injected'], undefined);
  });

  it('a Deployment is stored as sent; the Pods its ReplicaSet creates are injected', async () => {
    const r = await cluster.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment('orders', annotated('orders')));
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.spec.template.spec.containers.map((c: Any) => c.name), ['app']);
    const p = await cluster.waitFor('a Pod of Deployment orders', async () => {
      const list = await cluster.ok('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dorders`);
      return list.items[0] as Any | undefined;
    }, 60_000);
    assert.match(p.metadata.name, /^orders-/);
    assert.deepEqual(p.spec.containers.map((c: Any) => c.name), ['app', 'daprd']);
    assert.deepEqual(env(container(p, 'daprd')!, 'DAPR_API_TOKEN')?.valueFrom, { secretKeyRef: { name: 'web-token', key: 'token' } });
    assert.equal(p.metadata.labels['dapr.io/app-id'], 'orders');
    assert.equal(p.metadata.ownerReferences[0].kind, 'ReplicaSet');
  });

  it('pillion inject output is accepted by the API server, and the webhook does not inject it twice', async () => {
    const dir = tempDir('pillion-kube-inject-');
    writeFileSync(join(dir, 'in.json'), JSON.stringify({ ...deployment('pre', annotated('pre')), metadata: { name: 'pre', namespace: NS } }));
    const injected = await runCli(['inject', '-f', join(dir, 'in.json'), '--sidecar-image', 'pillion:e2e'], { timeoutMs: 30_000 });
    assert.equal(injected.code, 0, injected.stderr);
    writeFileSync(join(dir, 'out.yaml'), injected.stdout);
    const r = await cluster.kubectl(['apply', '-f', join(dir, 'out.yaml')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const stored = await cluster.ok('GET', `/apis/apps/v1/namespaces/${NS}/deployments/pre`);
    assert.deepEqual(stored.spec.template.spec.containers.map((c: Any) => c.name), ['app', 'daprd']);
    const p = await cluster.waitFor('a Pod of Deployment pre', async () => {
      const list = await cluster.ok('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dpre`);
      return list.items[0] as Any | undefined;
    }, 60_000);
    assert.deepEqual(p.spec.containers.map((c: Any) => c.name), ['app', 'daprd']);
  });

  it('pillion token rotate --restart: Secrets in both namespaces updated, the workloads using them restarted', async () => {
    await cluster.createNamespace('rot-a');
    await cluster.createNamespace('rot-b');
    await cluster.ok('POST', '/api/v1/namespaces/rot-a/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-token' }, stringData: { token: 'old-token', other: 'kept' } });
    await cluster.ok('POST', '/apis/apps/v1/namespaces/rot-a/deployments', deployment('uses', { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'uses', 'dapr.io/api-token-secret': 'app-token' }));
    await cluster.ok('POST', '/apis/apps/v1/namespaces/rot-a/deployments', deployment('other', { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'other', 'dapr.io/api-token-secret': 'another-token' }));
    await cluster.ok('POST', '/apis/apps/v1/namespaces/rot-b/deployments', deployment('uses-app', { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'uses-app', 'dapr.io/app-token-secret': 'app-token' }));
    // `kubectl rollout restart` also rolls StatefulSets and DaemonSets: so does --restart
    const uses = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'stateful', 'dapr.io/api-token-secret': 'app-token' };
    const sts = deployment('stateful', uses);
    await cluster.ok('POST', '/apis/apps/v1/namespaces/rot-a/statefulsets', { ...sts, kind: 'StatefulSet', spec: { ...sts.spec, serviceName: 'stateful' } });
    const ds = deployment('daemon', { ...uses, 'dapr.io/app-id': 'daemon' });
    delete ds.spec.replicas;
    await cluster.ok('POST', '/apis/apps/v1/namespaces/rot-b/daemonsets', { ...ds, kind: 'DaemonSet' });

    const r = await runCli(['token', 'rotate', '--secret', 'app-token', '--namespaces', 'rot-a,rot-b', '--restart'], {
      env: minimalEnv({ KUBECONFIG: cluster.kubeconfig, HOME: cluster.dir }),
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const a = await cluster.ok('GET', '/api/v1/namespaces/rot-a/secrets/app-token');
    const b = await cluster.ok('GET', '/api/v1/namespaces/rot-b/secrets/app-token');
    const token = secretToken(a);
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.equal(secretToken(b), token);
    assert.equal(Buffer.from(a.data.other, 'base64').toString(), 'kept');
    assert.ok(!(r.stdout + r.stderr).includes(token), 'the token is never printed');
    assert.match(r.stderr, /updated Secret rot-a\/app-token/);
    assert.match(r.stderr, /created Secret rot-b\/app-token/);

    const restartedAt = async (ns: string, name: string): Promise<string | undefined> =>
      (await cluster.ok('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    assert.match((await restartedAt('rot-a', 'uses')) ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match((await restartedAt('rot-b', 'uses-app')) ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(await restartedAt('rot-a', 'other'), undefined);
    for (const [ns, kind, name] of [['rot-a', 'statefulsets', 'stateful'], ['rot-b', 'daemonsets', 'daemon']] as const) {
      const w = await cluster.ok('GET', `/apis/apps/v1/namespaces/${ns}/${kind}/${name}`);
      assert.match(w.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'] ?? '', /^\d{4}-\d\d-\d\dT/, `${kind}/${name}`);
    }
    assert.match(r.stderr, /restarted StatefulSet rot-a\/stateful/);
    assert.match(r.stderr, /restarted DaemonSet rot-b\/daemon/);
    // the changed template makes the Deployment controller roll out a second ReplicaSet
    await cluster.waitFor('a second ReplicaSet of rot-a/uses', async () => {
      const list = await cluster.ok('GET', '/apis/apps/v1/namespaces/rot-a/replicasets?labelSelector=app%3Duses');
      return list.items.length >= 2 || undefined;
    }, 60_000);
  });

  it('kubectl apply --dry-run=server -f deploy/: accepted, and the restricted Pod Security Standard holds', async () => {
    const r = await cluster.kubectl(['apply', '--dry-run=server', '-f', DEPLOY]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const obj of ['namespace/pillion-system', 'serviceaccount/pillion-injector', 'role.rbac.authorization.k8s.io/pillion-injector-certs',
      'clusterrole.rbac.authorization.k8s.io/pillion-injector-certs', 'deployment.apps/pillion-injector', 'poddisruptionbudget.policy/pillion-injector',
      'service/pillion-injector', 'mutatingwebhookconfiguration.admissionregistration.k8s.io/pillion-injector', 'job.batch/pillion-injector-certs']) {
      assert.match(r.stdout, new RegExp(`^${obj.replace(/\./g, '\\.')} .*\\(server dry run\\)$`, 'm'), obj);
    }
    // PodSecurity admission warns about workload templates that would violate the namespace's level
    assert.doesNotMatch(r.stderr, /Warning/i, r.stderr);
  });

  it('kubectl apply -f deploy/example/: stored, and the example Deployment\'s Pod is injected', async () => {
    const dry = await cluster.kubectl(['apply', '--dry-run=server', '-f', join(DEPLOY, 'example')]);
    // the dry run cannot create the namespace its other objects need: only the namespace is checked here
    assert.match(dry.stdout, /^namespace\/shop created \(server dry run\)$/m, dry.stdout + dry.stderr);
    const r = await cluster.kubectl(['apply', '-f', join(DEPLOY, 'example')]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /deployment\.apps\/orders created/);
    const p = await cluster.waitFor('a Pod of shop/orders', async () => {
      const list = await cluster.ok('GET', '/api/v1/namespaces/shop/pods?labelSelector=app%3Dorders');
      return list.items[0] as Any | undefined;
    }, 90_000);
    const d = container(p, 'daprd')!;
    assert.ok(d, 'daprd injected');
    assert.deepEqual(env(d, 'DAPR_API_TOKEN')?.valueFrom, { secretKeyRef: { name: 'orders-api-token', key: 'token' } });
    // the app's own DAPR_API_TOKEN (from the same Secret) is kept; the ports are added
    const app = container(p, 'orders')!;
    assert.deepEqual(env(app, 'DAPR_API_TOKEN')?.valueFrom, { secretKeyRef: { name: 'orders-api-token', key: 'token' } });
    assert.equal(env(app, 'DAPR_HTTP_PORT')?.value, '3500');
  });

  it('pillion injector certs, run with only the RBAC of deploy/10-rbac.yaml: TLS Secret written, caBundle set', async () => {
    for (const f of ['10-rbac.yaml', '30-webhook.yaml']) {
      const r = await cluster.kubectl(['apply', '-f', join(DEPLOY, f)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    await cluster.waitFor('ServiceAccount pillion-injector-certs', async () => (await cluster.api('GET', '/api/v1/namespaces/pillion-system/serviceaccounts/pillion-injector-certs')).status === 200 || undefined);
    // the identity of the certs Job: a token of its ServiceAccount, from the TokenRequest API
    const tr = await cluster.ok('POST', '/api/v1/namespaces/pillion-system/serviceaccounts/pillion-injector-certs/token', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 },
    });
    const kubeconfig = join(cluster.dir, 'kubeconfig-certs-job');
    writeFileSync(kubeconfig, readFileSync(cluster.kubeconfig, 'utf8').replace(/token: "[^"]+"/, `token: "${tr.status.token as string}"`), { mode: 0o600 });
    try {
      const r = await runCli(['injector', 'certs'], { env: minimalEnv({ KUBECONFIG: kubeconfig, HOME: cluster.dir }), timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const secret = await cluster.ok('GET', '/api/v1/namespaces/pillion-system/secrets/pillion-injector-tls');
      assert.equal(secret.type, 'kubernetes.io/tls');
      assert.match(Buffer.from(secret.data['tls.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
      const cfg = await cluster.ok('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pillion-injector');
      assert.equal(cfg.webhooks[0].clientConfig.caBundle, secret.data['ca.crt']);
      // a second run renews: it may update only its own Secret, which RBAC allows by name
      const again = await runCli(['injector', 'certs'], { env: minimalEnv({ KUBECONFIG: kubeconfig, HOME: cluster.dir }), timeoutMs: 60_000 });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      const renewed = await cluster.ok('GET', '/api/v1/namespaces/pillion-system/secrets/pillion-injector-tls');
      assert.notEqual(renewed.data['ca.crt'], secret.data['ca.crt']);
    } finally {
      // the in-cluster webhook has no server here; failurePolicy Ignore, but do not leave it around
      await cluster.api('DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pillion-injector');
    }
  });
});

function httpsStatus(port: number, path: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}
