// Table tests for each builder: decide, the sidecar parts, the patch helpers, JSON patch.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, isDns1123Label, type Settings } from '../../../src/injector/decide.js';
import { appEnv, sidecarArgs, sidecarContainer, sidecarEnv, sidecarProbes, sidecarResources, sidecarVolumes } from '../../../src/injector/sidecar.js';
import { appEnvOps, labelOps, listOps } from '../../../src/injector/patch.js';
import { applyPatch, PatchError } from '../../../src/injector/json-patch.js';
import { pod, TEST_CONFIG } from './fixtures.js';
import { parseArgs } from '../../../src/cli/parse-args.js';
import { buildRunConfig } from '../../../src/config/run-config.js';

const settings = (annotations: Record<string, string> = {}): Settings => {
  const d = decide(pod(annotations));
  assert.equal(d.action, 'inject', JSON.stringify(d));
  return (d as Extract<typeof d, { action: 'inject' }>).settings;
};

describe('decide', () => {
  const cases: Array<[string, Record<string, string> | undefined, string, string[]]> = [
    ['no annotations', undefined, 'skip', ['not-enabled']],
    ['enabled "True"', { 'dapr.io/enabled': 'True' }, 'inject', []],
    ['enabled " true "', { 'dapr.io/enabled': ' true ' }, 'inject', []],
    ['enabled "yes"', { 'dapr.io/enabled': 'yes' }, 'skip', ['not-enabled']],
    ['app-id with dots', { 'dapr.io/app-id': 'a.b' }, 'deny', ['invalid-app-id']],
    ['app-id ending in -', { 'dapr.io/app-id': 'a-' }, 'inject', []],
    ['app-id upper case', { 'dapr.io/app-id': 'Orders' }, 'deny', ['invalid-app-id']],
    ['bad secret name', { 'dapr.io/api-token-secret': 'Bad Secret' }, 'deny', ['invalid-secret-name']],
    ['empty secret name', { 'dapr.io/app-token-secret': '' }, 'deny', ['invalid-secret-name']],
    ['several problems reported together', { 'dapr.io/app-id': '', 'dapr.io/app-port': 'x', 'dapr.io/metrics-port': 'y' }, 'deny', ['invalid-app-id', 'invalid-port', 'invalid-port']],
  ];
  for (const [name, ann, action, codes] of cases) {
    test(name, () => {
      const p = ann === undefined ? { metadata: { name: 'p' }, spec: { containers: [] } } : pod(ann);
      const d = decide(p);
      assert.equal(d.action, action);
      assert.deepEqual(d.action === 'inject' ? [] : d.reasons.map((r) => r.code), codes);
    });
  }
  test('a pod without metadata is skipped, not a crash', () => assert.equal(decide({ spec: { containers: [] } }).action, 'skip'));
  test('DNS-1123 label rule', () => {
    for (const ok of ['a', 'a-b', '0a', 'x'.repeat(63)]) assert.ok(isDns1123Label(ok), ok);
    for (const bad of ['', 'A', '-a', 'a-', 'a_b', 'a.b', 'x'.repeat(64)]) assert.ok(!isDns1123Label(bad), bad);
  });
});

describe('sidecar builders', () => {
  test('args: defaults', () => {
    assert.deepEqual(sidecarArgs(settings()), [
      '--mode', 'kubernetes', '--app-id', 'app', '--dapr-http-port', '3500', '--dapr-public-port', '3501',
      '--dapr-public-listen-address', '0.0.0.0', '--metrics-listen-address', '0.0.0.0',
      '--dapr-internal-grpc-listen-address', '0.0.0.0', '--trust-bundle-dir', '/var/run/secrets/pillion.io/trust', '--app-protocol', 'http',
      '--dapr-grpc-port', '50001', '--dapr-internal-grpc-port', '50002', '--dapr-listen-addresses', '127.0.0.1',
      '--enable-metrics=true', '--metrics-port', '9090', '--log-level', 'info', '--log-as-json=false',
    ]);
  });
  const argCases: Array<[Record<string, string>, string[]]> = [
    [{ 'dapr.io/app-port': '3000' }, ['--app-port', '3000']],
    [{ 'dapr.io/app-max-concurrency': '-1' }, ['--app-max-concurrency', '-1']],
    [{ 'dapr.io/enable-app-health-check': 'true', 'dapr.io/app-health-check-path': '/ready' }, ['--enable-app-health-check=true', '--app-health-check-path', '/ready']],
    [{ 'dapr.io/graceful-shutdown-seconds': '30' }, ['--dapr-graceful-shutdown-seconds', '30']],
    [{ 'dapr.io/http-max-request-size': '16' }, ['--dapr-http-max-request-size', '16']],
    [{ 'dapr.io/read-buffer-size': '8Ki' }, ['--read-buffer-size', '8Ki']],
  ];
  for (const [ann, want] of argCases) {
    test(`args: ${Object.keys(ann).join(', ')}`, () => {
      const args = sidecarArgs(settings(ann));
      const at = args.indexOf(want[0]!);
      assert.ok(at >= 0, args.join(' '));
      assert.deepEqual(args.slice(at, at + want.length), want);
    });
  }
  test('args: the generated command line is accepted by pillion run', () => {
    const s = settings({
      'dapr.io/app-port': '3000', 'dapr.io/app-protocol': 'grpc', 'dapr.io/log-as-json': 'true', 'dapr.io/enable-metrics': 'false',
      'dapr.io/graceful-shutdown-seconds': '9', 'dapr.io/block-shutdown-duration': '5s', 'dapr.io/max-body-size': '8Mi', 'dapr.io/app-max-concurrency': '4',
    });
    const parsed = parseArgs(sidecarArgs(s));
    assert.deepEqual(parsed.errors, []);
    const cfg = buildRunConfig(parsed, { PILLION_HOME: '/tmp/x' });
    assert.deepEqual([cfg.appId, cfg.mode, cfg.appProtocol, cfg.logAsJson, cfg.metrics.enabled, cfg.maxBodyBytes, cfg.blockShutdownMs], ['app', 'kubernetes', 'grpc', true, false, 8 * 1024 * 1024, 5000]);
  });
  test('args: graceful-shutdown -1 passes nothing', () => assert.ok(!sidecarArgs(settings()).includes('--dapr-graceful-shutdown-seconds')));

  test('env: tokens come last, from the secrets, key "token"', () => {
    const env = sidecarEnv(settings({ 'dapr.io/api-token-secret': 's1', 'dapr.io/app-token-secret': 's2', 'dapr.io/env': 'X=1' }));
    assert.deepEqual(env.map((e) => e.name), ['NAMESPACE', 'POD_NAME', 'PILLION_HOME', 'X', 'DAPR_API_TOKEN', 'APP_API_TOKEN', 'DAPR_API_TOKEN_FILE', 'APP_API_TOKEN_FILE']);
    assert.deepEqual(env[4], { name: 'DAPR_API_TOKEN', valueFrom: { secretKeyRef: { name: 's1', key: 'token' } } });
    assert.deepEqual(env[5], { name: 'APP_API_TOKEN', valueFrom: { secretKeyRef: { name: 's2', key: 'token' } } });
    assert.deepEqual(env[6], { name: 'DAPR_API_TOKEN_FILE', value: '/var/run/secrets/pillion.io/api-token/token' });
    assert.deepEqual(env[7], { name: 'APP_API_TOKEN_FILE', value: '/var/run/secrets/pillion.io/app-token/token' });
  });
  test('env: the app token Secret alone gives APP_API_TOKEN and APP_API_TOKEN_FILE only', () => {
    const env = sidecarEnv(settings({ 'dapr.io/app-token-secret': 's2' }));
    assert.deepEqual(env.filter((e) => e.name.includes('TOKEN')).map((e) => e.name), ['APP_API_TOKEN', 'APP_API_TOKEN_FILE']);
  });
  test('volumes: the app token Secret (key "token" only) mounted read-only in the sidecar', () => {
    const s = settings({ 'dapr.io/app-token-secret': 's2' });
    assert.deepEqual(sidecarVolumes(s), [
      { name: 'pillion-data', emptyDir: {} },
      { name: 'dapr-app-token', secret: { secretName: 's2', items: [{ key: 'token', path: 'token' }] } },
      { name: 'pillion-trust', secret: { secretName: 'pillion-trust', optional: true } },
    ]);
    assert.deepEqual(sidecarContainer(s, TEST_CONFIG).volumeMounts, [
      { name: 'pillion-data', mountPath: '/var/lib/pillion' },
      { name: 'dapr-app-token', mountPath: '/var/run/secrets/pillion.io/app-token', readOnly: true },
      { name: 'pillion-trust', mountPath: '/var/run/secrets/pillion.io/trust', readOnly: true },
    ]);
  });
  test('volume-conflict: a pod volume named dapr-app-token is refused only when the injector would add it', () => {
    const withVolume = (ann: Record<string, string>) => pod(ann, { spec: { containers: [{ name: 'app', image: 'app:1' }], volumes: [{ name: 'dapr-app-token', emptyDir: {} }] } });
    const d = decide(withVolume({ 'dapr.io/app-token-secret': 's2' }));
    assert.equal(d.action, 'deny');
    assert.deepEqual(d.action === 'deny' && d.reasons.map((r) => r.code), ['volume-conflict']);
    assert.equal(decide(withVolume({})).action, 'inject');
  });
  test('env: no token secrets, no token vars', () => {
    assert.ok(!sidecarEnv(settings()).some((e) => e.name.includes('TOKEN')));
  });
  test('volumes: the api token secret read-only, the data emptyDir, the optional trust Secret read-only', () => {
    const s = settings({ 'dapr.io/api-token-secret': 's1' });
    assert.deepEqual(sidecarVolumes(s), [
      { name: 'pillion-data', emptyDir: {} },
      { name: 'dapr-api-token', secret: { secretName: 's1', items: [{ key: 'token', path: 'token' }] } },
      { name: 'pillion-trust', secret: { secretName: 'pillion-trust', optional: true } },
    ]);
    const c = sidecarContainer(s, TEST_CONFIG);
    assert.deepEqual(c.volumeMounts, [
      { name: 'pillion-data', mountPath: '/var/lib/pillion' },
      { name: 'dapr-api-token', mountPath: '/var/run/secrets/pillion.io/api-token', readOnly: true },
      { name: 'pillion-trust', mountPath: '/var/run/secrets/pillion.io/trust', readOnly: true },
    ]);
  });
  test('probes: parity defaults on the public port', () => {
    assert.deepEqual(sidecarProbes(settings()), {
      readinessProbe: { httpGet: { path: '/v1.0/healthz', port: 3501 }, initialDelaySeconds: 1, timeoutSeconds: 1, periodSeconds: 1, failureThreshold: 5 },
      livenessProbe: { tcpSocket: { port: 3501 }, initialDelaySeconds: 180, timeoutSeconds: 3, periodSeconds: 10, failureThreshold: 5 },
    });
  });
  const resCases: Array<[Record<string, string>, object]> = [
    [{}, {}],
    [{ 'dapr.io/sidecar-cpu-request': '10m' }, { requests: { cpu: '10m' } }],
    [{ 'dapr.io/sidecar-memory-limit': '1Gi' }, { limits: { memory: '1Gi' } }],
  ];
  for (const [ann, want] of resCases) test(`resources: ${JSON.stringify(ann)}`, () => assert.deepEqual(sidecarResources(settings(ann)), want));
  test('image: annotation, else the configured one', () => {
    assert.equal(sidecarContainer(settings(), TEST_CONFIG).image, 'pillion:test');
    assert.equal(sidecarContainer(settings({ 'dapr.io/sidecar-image': 'x:1' }), TEST_CONFIG).image, 'x:1');
    assert.equal(sidecarContainer(settings(), { ...TEST_CONFIG, imagePullPolicy: 'Always' }).imagePullPolicy, 'Always');
  });
  test('container: name, ports, securityContext', () => {
    const c = sidecarContainer(settings({ 'dapr.io/grpc-port': '50100' }), TEST_CONFIG);
    assert.equal(c.name, 'daprd');
    assert.deepEqual((c.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]), [['dapr-http', 3500], ['dapr-grpc', 50100], ['dapr-internal', 50002], ['dapr-metrics', 9090]]);
    assert.deepEqual(c.securityContext, { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
  });
  test('app env', () => {
    assert.deepEqual(appEnv(settings({ 'dapr.io/app-protocol': 'grpc', 'dapr.io/grpc-port': '50100' })), [
      { name: 'DAPR_HTTP_PORT', value: '3500' }, { name: 'DAPR_GRPC_PORT', value: '50100' }, { name: 'APP_PROTOCOL', value: 'grpc' },
    ]);
  });
});

describe('patch helpers', () => {
  test('labels: create the map, or add each (escaped)', () => {
    assert.deepEqual(labelOps({ spec: { containers: [] } }, { a: '1' }), [{ op: 'add', path: '/metadata', value: { labels: { a: '1' } } }]);
    assert.deepEqual(labelOps({ metadata: {}, spec: { containers: [] } }, { a: '1' }), [{ op: 'add', path: '/metadata/labels', value: { a: '1' } }]);
    assert.deepEqual(labelOps({ metadata: { labels: {} }, spec: { containers: [] } }, { 'x/y~z': '1' }), [{ op: 'add', path: '/metadata/labels/x~1y~0z', value: '1' }]);
  });
  test('lists: create, append, or nothing', () => {
    assert.deepEqual(listOps('/a', undefined, [1, 2]), [{ op: 'add', path: '/a', value: [1, 2] }]);
    assert.deepEqual(listOps('/a', [], [1, 2]), [{ op: 'add', path: '/a/-', value: 1 }, { op: 'add', path: '/a/-', value: 2 }]);
    assert.deepEqual(listOps('/a', undefined, []), []);
  });
  test('app env: variables already set are left alone', () => {
    const p = pod({}, { spec: { containers: [{ name: 'a', env: [{ name: 'APP_PROTOCOL', value: 'grpc' }, { name: 'DAPR_HTTP_PORT', value: '1' }, { name: 'DAPR_GRPC_PORT', value: '2' }] }, { name: 'b' }] } });
    const ops = appEnvOps(p, settings());
    assert.deepEqual(ops.map((o) => o.path), ['/spec/containers/1/env']);
  });
});

describe('applyPatch', () => {
  test('adds to objects and arrays, with escaping, without touching the input', () => {
    const doc = { a: { 'x/y': 1 }, l: [1] };
    const out = applyPatch(doc, [{ op: 'add', path: '/a/x~1z', value: 2 }, { op: 'add', path: '/l/-', value: 3 }, { op: 'add', path: '/l/0', value: 0 }]);
    assert.deepEqual(out, { a: { 'x/y': 1, 'x/z': 2 }, l: [0, 1, 3] });
    assert.deepEqual(doc, { a: { 'x/y': 1 }, l: [1] });
  });
  test('missing parents are errors', () => {
    assert.throws(() => applyPatch({}, [{ op: 'add', path: '/a/b', value: 1 }]), PatchError);
    assert.throws(() => applyPatch({ l: [] }, [{ op: 'add', path: '/l/5', value: 1 }]), PatchError);
  });
});
