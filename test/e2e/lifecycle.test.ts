// Process lifecycle: durability across a crash, signals, CLI flags (daprd-compatible),
// launching as daprd, component YAML errors, the app command, and the Shutdown API.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { StateItemSchema } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import {
  DAPRD_BIN,
  PILLION_BIN,
  freePorts,
  httpRaw,
  jsonOf,
  runCli,
  sleep,
  startSidecar,
  stopAll,
  tempDir,
  type Sidecar,
} from '../helpers/sidecar.js';
import { daprGrpcClient } from '../helpers/connect.js';

after(stopAll);

const TOKEN = 'lifecycle-e2e-token-99';
const H = { 'dapr-api-token': TOKEN };

function saveHttp(sc: Sidecar, key: string, value: unknown) {
  return httpRaw({
    port: sc.httpPort,
    method: 'POST',
    path: '/v1.0/state/statestore',
    headers: { ...sc.authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify([{ key, value }]),
  });
}
function getHttp(sc: Sidecar, key: string) {
  return httpRaw({ port: sc.httpPort, path: `/v1.0/state/statestore/${key}`, headers: sc.authHeaders() });
}
function metadata(sc: Sidecar) {
  return httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: sc.authHeaders() }).then((r) => {
    assert.equal(r.status, 200, r.text);
    return jsonOf<{ id: string; components?: Array<{ name: string; type: string }> }>(r);
  });
}

const COMPONENT = (name: string, type = 'state.in-memory') => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata: []
`;

describe('durability of the embedded default store', () => {
  test('state written over HTTP and gRPC survives SIGKILL and a restart with the same PILLION_HOME', async () => {
    const home = tempDir('pillion-durable-');
    const first = await startSidecar({ appId: 'durable', token: TOKEN, home });
    const s = await saveHttp(first, 'via-http', { kept: true });
    assert.equal(s.status, 204, s.text);
    const blob = new Uint8Array([0, 1, 2, 254, 255]);
    await daprGrpcClient(first.grpcPort, TOKEN).saveState({ storeName: 'statestore', states: [create(StateItemSchema, { key: 'via-grpc', value: blob })] });
    const killed = await first.kill();
    assert.equal(killed.signal, 'SIGKILL');

    const second = await startSidecar({ appId: 'durable', token: TOKEN, home });
    const r = await getHttp(second, 'via-http');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { kept: true });
    const g = await daprGrpcClient(second.grpcPort, TOKEN).getState({ storeName: 'statestore', key: 'via-grpc' });
    assert.deepEqual([...g.data], [...blob]);
    assert.equal((await second.stop()).code, 0);
  });

  test('another app id on the same PILLION_HOME does not see the first app\'s keys (key prefix)', async () => {
    const home = tempDir('pillion-durable2-');
    const a = await startSidecar({ appId: 'app-a', home });
    await saveHttp(a, 'shared-name', 'from-a');
    await a.stop();
    const b = await startSidecar({ appId: 'app-b', home });
    assert.equal((await getHttp(b, 'shared-name')).status, 204);
    await b.stop();
  });
});

describe('signals', { concurrency: 2 }, () => {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    test(`${sig} stops the sidecar with exit code 0 in under 3 s`, async () => {
      const sc = await startSidecar({ appId: `sig-${sig.toLowerCase()}`, token: TOKEN });
      // idle keep-alive connections (HTTP agent after a request, gRPC session after a call)
      // must not hold the shutdown up
      const agent = new http.Agent({ keepAlive: true });
      await new Promise<void>((r) => http.get({ host: '127.0.0.1', port: sc.httpPort, path: '/v1.0/healthz', agent }, (res) => res.resume().on('end', () => r())));
      await daprGrpcClient(sc.grpcPort, TOKEN).getMetadata({});
      const t0 = Date.now();
      const exit = await sc.stop(sig, 8000);
      const took = Date.now() - t0;
      agent.destroy();
      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}\n${sc.output}`);
      assert.ok(took < 3000, `took ${took} ms`);
      assert.ok(!sc.output.includes(TOKEN));
    });
  }
});

describe('command line', { concurrency: 2 }, () => {
  test('--version prints a semantic version and exits 0', async () => {
    for (const args of [['--version'], ['version'], ['run', '--version']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout.trim(), /^v?\d+\.\d+\.\d+(-[\w.]+)?(\+[\w.]+)?$/, `${args.join(' ')} printed ${JSON.stringify(r.stdout)}`);
    }
  });

  test('run --help exits 0 and documents --app-id', async () => {
    const r = await runCli(['run', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--app-id/);
    assert.match(r.stdout, /--dapr-http-port/);
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout + top.stderr, /run/);
  });

  const BAD: Array<{ name: string; args: string[]; mentions: RegExp }> = [
    { name: 'a non-numeric port', args: ['--app-id', 'x', '--dapr-http-port', 'abc'], mentions: /dapr-http-port/ },
    { name: 'a port out of range', args: ['--app-id', 'x', '--dapr-grpc-port', '70000'], mentions: /dapr-grpc-port/ },
    { name: 'a missing --app-id', args: ['--dapr-http-port', '3999'], mentions: /app-id/ },
    { name: 'an unknown flag', args: ['--app-id', 'x', '--no-such-flag', '1'], mentions: /no-such-flag/ },
    { name: 'a flag without its value', args: ['--app-id'], mentions: /app-id/ },
    { name: 'an invalid size', args: ['--app-id', 'x', '--max-body-size', 'lots'], mentions: /max-body-size/ },
    { name: 'an invalid log level', args: ['--app-id', 'x', '--log-level', 'loud'], mentions: /log-level/ },
    { name: 'an invalid mode', args: ['--app-id', 'x', '--mode', 'cloud'], mentions: /mode/ },
    { name: 'a stray positional argument', args: ['--app-id', 'x', 'extra'], mentions: /extra/ },
  ];
  for (const b of BAD) {
    test(`${b.name} exits non-zero with a message naming the problem`, async () => {
      const r = await runCli(['run', ...b.args]);
      assert.notEqual(r.code, 0, `exit ${r.code}`);
      assert.match(r.stderr, b.mentions, `stderr: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /dapr initialized/);
    });
  }

  test('an unknown command exits non-zero', async () => {
    const r = await runCli(['frobnicate']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /frobnicate/);
  });

  test('a port already in use exits non-zero and names the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as net.AddressInfo).port;
    try {
      const [g, p, m] = await freePorts(3);
      const r = await runCli(['run', '--app-id', 'busy', '--dapr-http-port', String(busy), '--dapr-grpc-port', String(g), '--dapr-public-port', String(p), '--metrics-port', String(m)]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr + r.stdout, new RegExp(String(busy)));
    } finally {
      blocker.close();
    }
  });
});

describe('daprd-compatible flags', { concurrency: 2 }, () => {
  test('--flag=value, single-dash flags, negative values, old and new resource flags and ignored flags all work together', async () => {
    const dirA = tempDir('pillion-res-a-');
    const dirB = tempDir('pillion-res-b-');
    const dirC = tempDir('pillion-res-c-');
    writeFileSync(join(dirA, 'a.yaml'), COMPONENT('store-a'));
    writeFileSync(join(dirB, 'b.yaml'), COMPONENT('store-b'));
    writeFileSync(join(dirC, 'c.yml'), COMPONENT('store-c'));
    const [h, g, p, m] = await freePorts(4);
    const sc = await startSidecar({
      ports: { http: h!, grpc: g!, public: p!, metrics: m! },
      rawArgs: [
        '-app-id', 'flags-app',
        `--dapr-http-port=${h}`,
        '-dapr-grpc-port', String(g),
        `-dapr-public-port=${p}`,
        '--metrics-port', String(m),
        '--app-max-concurrency', '-1',
        '--components-path', dirA,
        '--resources-path', dirB,
        `--resources-path=${dirC}`,
        '--max-body-size', '4Mi',
        '--mode', 'standalone',
        '--log-level', 'info',
        '--enable-metrics=true',
        '--placement-host-address', 'localhost:50005',
        '--scheduler-host-address', 'localhost:50006',
        '--enable-mtls',
      ],
    });
    const md = await metadata(sc);
    assert.equal(md.id, 'flags-app');
    // plus the embedded in-memory pub/sub, added because no file defines one
    assert.deepEqual((md.components ?? []).map((c) => c.name).sort(), ['pubsub', 'store-a', 'store-b', 'store-c']);
    const warns = sc.stdout.split('\n').filter((l) => /level=warn/.test(l));
    assert.equal(warns.length, 1, `expected ONE warning, got:\n${warns.join('\n')}`);
    assert.match(warns[0]!, /placement-host-address/);
    assert.match(warns[0]!, /scheduler-host-address/);
    assert.equal((await sc.stop()).code, 0);
  });

  test('a single ignored flag gives one warning and the sidecar still starts', async () => {
    const sc = await startSidecar({ appId: 'ignored-flag', args: ['--placement-host-address', 'localhost:50005'] });
    const lines = sc.stdout.split('\n').filter((l) => l.includes('placement-host-address'));
    assert.equal(lines.length, 1, sc.stdout);
    assert.match(lines[0]!, /level=warn/);
    await sc.stop();
  });
});

describe('launching as daprd', { concurrency: 2 }, () => {
  test('bin/daprd works without the run subcommand', async () => {
    const sc = await startSidecar({ appId: 'as-daprd', bin: DAPRD_BIN });
    assert.equal((await metadata(sc)).id, 'as-daprd');
    assert.equal((await sc.stop()).code, 0);
  });

  test('a symlink named daprd elsewhere (e.g. ~/.dapr/bin/daprd) resolves the install and works', async () => {
    const dir = tempDir('pillion-dotdapr-');
    mkdirSync(join(dir, 'bin'));
    const link = join(dir, 'bin', 'daprd');
    symlinkSync(PILLION_BIN, link);
    const sc = await startSidecar({ appId: 'linked-daprd', bin: link });
    assert.equal((await metadata(sc)).id, 'linked-daprd');
    const v = await runCli(['--version'], { bin: link });
    assert.equal(v.code, 0);
    assert.match(v.stdout, /\d+\.\d+\.\d+/);
    await sc.stop();
  });

  test('starts with an almost empty environment (only PILLION_HOME; no PATH, no HOME)', async () => {
    const home = tempDir('pillion-emptyenv-');
    const sc = await startSidecar({ appId: 'empty-env', home, exactEnv: { PILLION_HOME: home } });
    const s = await saveHttp(sc, 'k', 'v');
    assert.equal(s.status, 204, s.text);
    assert.ok(existsSync(join(home, 'state.db')), 'the embedded store lives in PILLION_HOME');
    assert.equal((await sc.stop()).code, 0);
  });
});

describe('component resources', { concurrency: 2 }, () => {
  test('a YAML syntax error exits non-zero and names the file', async () => {
    const dir = tempDir('pillion-badyaml-');
    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n spec: [unclosed\n');
    const sc = await startSidecar({ appId: 'bad-yaml', resourcesPaths: [dir], waitReady: false });
    const exit = await sc.waitExit(10_000);
    assert.notEqual(exit.code, 0);
    assert.match(sc.stderr, /broken\.yaml/);
    assert.doesNotMatch(sc.stdout, /dapr initialized/);
  });

  test('a Component without spec.type exits non-zero naming the file and the field', async () => {
    const dir = tempDir('pillion-notype-');
    writeFileSync(join(dir, 'notype.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  version: v1\n  metadata: []\n');
    const sc = await startSidecar({ appId: 'no-type', resourcesPaths: [dir], waitReady: false });
    const exit = await sc.waitExit(10_000);
    assert.notEqual(exit.code, 0);
    assert.match(sc.stderr, /notype\.yaml/);
    assert.match(sc.stderr, /spec\.type|type/);
  });

  test('an unknown component type exits non-zero naming the type', async () => {
    const dir = tempDir('pillion-unknowntype-');
    writeFileSync(join(dir, 'c.yaml'), COMPONENT('weird', 'state.nosuchthing'));
    const sc = await startSidecar({ appId: 'unknown-type', resourcesPaths: [dir], waitReady: false });
    const exit = await sc.waitExit(10_000);
    assert.notEqual(exit.code, 0);
    assert.match(sc.stderr, /state\.nosuchthing/);
  });

  test('a multi-document file with Configuration, Subscription and Resiliency next to a Component starts fine', async () => {
    const dir = tempDir('pillion-multidoc-');
    writeFileSync(
      join(dir, 'all.yaml'),
      [
        `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: appconfig
spec:
  tracing:
    samplingRate: "1"
`,
        COMPONENT('multi-store'),
        `apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: sub
spec:
  pubsubname: pubsub
  topic: orders
  routes:
    default: /orders
`,
        `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: res
spec:
  policies:
    retries:
      r:
        policy: constant
        duration: 1s
  targets: {}
`,
      ].join('---\n') + '---\n',
    );
    const sc = await startSidecar({ appId: 'multi-doc', resourcesPaths: [dir] });
    const md = await metadata(sc);
    assert.deepEqual((md.components ?? []).map((c) => c.name), ['multi-store', 'pubsub']); // pubsub: the embedded default
    const s = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/multi-store', headers: { 'content-type': 'application/json' }, body: '[{"key":"a","value":1}]' });
    assert.equal(s.status, 204, s.text);
    await sc.stop();
  });
});

describe('app command (pillion run … -- <app>)', () => {
  test('the app gets DAPR_HTTP_PORT, DAPR_GRPC_PORT, APP_ID and DAPR_API_TOKEN, can call the sidecar, and the sidecar exits when it exits', async () => {
    const dir = tempDir('pillion-app-');
    const out = join(dir, 'env.json');
    const script = `
      const fs = require('fs');
      const e = process.env;
      fetch('http://127.0.0.1:' + e.DAPR_HTTP_PORT + '/v1.0/metadata', { headers: { 'dapr-api-token': e.DAPR_API_TOKEN || '' } })
        .then((r) => r.json().then((j) => ({ status: r.status, id: j.id })), (err) => ({ error: String(err) }))
        .then((call) => {
          fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({
            DAPR_HTTP_PORT: e.DAPR_HTTP_PORT, DAPR_GRPC_PORT: e.DAPR_GRPC_PORT, APP_ID: e.APP_ID,
            DAPR_API_TOKEN: e.DAPR_API_TOKEN, call }));
          setTimeout(() => process.exit(0), 300);
        });`;
    const sc = await startSidecar({ appId: 'with-app', token: TOKEN, appCommand: [process.execPath, '-e', script], waitReady: false });
    const exit = await sc.waitExit(15_000);
    assert.equal(exit.code, 0, sc.output);
    const env = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    assert.equal(env.DAPR_HTTP_PORT, String(sc.httpPort));
    assert.equal(env.DAPR_GRPC_PORT, String(sc.grpcPort));
    assert.equal(env.APP_ID, 'with-app');
    assert.equal(env.DAPR_API_TOKEN, TOKEN);
    assert.deepEqual(env.call, { status: 200, id: 'with-app' });
    assert.ok(!sc.output.includes(TOKEN), 'the token must not be logged');
  });

  test('when the app fails, the sidecar exits too, with a non-zero code', async () => {
    const sc = await startSidecar({ appId: 'failing-app', appCommand: [process.execPath, '-e', 'setTimeout(() => process.exit(3), 200)'], waitReady: false });
    const exit = await sc.waitExit(15_000);
    assert.notEqual(exit.code, 0);
    assert.match(sc.output, /exit/i);
  });

  test('SIGTERM to the sidecar also stops the app', async () => {
    const dir = tempDir('pillion-app2-');
    const pidFile = join(dir, 'pid');
    const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
    const sc = await startSidecar({ appId: 'long-app', appCommand: [process.execPath, '-e', script] });
    const deadline = Date.now() + 5000;
    while (!existsSync(pidFile) && Date.now() < deadline) await sleep(20);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const exit = await sc.stop('SIGTERM', 8000);
    assert.equal(exit.code, 0, sc.output);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const until = Date.now() + 3000;
    while (alive() && Date.now() < until) await sleep(20);
    assert.ok(!alive(), 'the app process is still running after the sidecar stopped');
  });
});

describe('Shutdown API', { concurrency: 2 }, () => {
  test('HTTP POST /v1.0/shutdown without the token is refused and the sidecar keeps running', async () => {
    const sc = await startSidecar({ appId: 'shutdown-denied', token: TOKEN });
    const r = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/shutdown' });
    assert.equal(r.status, 401);
    await sleep(300);
    assert.ok(sc.running);
    assert.equal((await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz' })).status, 204);
    await sc.stop();
  });

  test('HTTP POST /v1.0/shutdown answers 204 and the process exits 0', async () => {
    const sc = await startSidecar({ appId: 'shutdown-http', token: TOKEN });
    const r = await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/shutdown', headers: H });
    assert.equal(r.status, 204, r.text);
    const exit = await sc.waitExit(8000);
    assert.equal(exit.code, 0, sc.output);
  });

  test('gRPC Shutdown returns OK and the process exits 0', async () => {
    const sc = await startSidecar({ appId: 'shutdown-grpc', token: TOKEN });
    await daprGrpcClient(sc.grpcPort, TOKEN).shutdown({});
    const exit = await sc.waitExit(8000);
    assert.equal(exit.code, 0, sc.output);
  });
});

