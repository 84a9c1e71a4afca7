// Pillion as a drop-in for daprd under the Dapr CLI. The CLI itself cannot be installed on
// this machine, so this replays what `dapr run` (CLI 1.16–1.18) does, as read from its source:
//   1. runs `~/.dapr/bin/daprd --version` and, when the version is below 1.14, drops the
//      scheduler flag (leaving a stray value that breaks flag parsing) — so our version must
//      read as a Dapr version;
//   2. starts ~/.dapr/bin/daprd with the argv below (fixed order, default values included),
//      inheriting the user's environment (with DAPR_API_TOKEN);
//   3. `dapr list` / `dapr stop` find sidecars whose /proc/<pid>/comm is "daprd" and read
//      their flags from /proc/<pid>/cmdline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PILLION_BIN, freePorts, runCli, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';

const TOKEN = 'cli-token-0123456789abcdef';

/** A throwaway HOME with the self-hosted layout `dapr init --slim` makes. */
function daprHome(): { home: string; daprd: string } {
  const home = tempDir('pillion-dapr-home-');
  mkdirSync(join(home, '.dapr', 'bin'), { recursive: true });
  mkdirSync(join(home, '.dapr', 'components'), { recursive: true });
  const daprd = join(home, '.dapr', 'bin', 'daprd');
  symlinkSync(PILLION_BIN, daprd);
  writeFileSync(
    join(home, '.dapr', 'config.yaml'),
    'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: daprConfig\nspec: {}\n',
  );
  writeFileSync(
    join(home, '.dapr', 'components', 'statestore.yaml'),
    'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.in-memory\n  version: v1\n',
  );
  return { home, daprd };
}

describe('started by the Dapr CLI as ~/.dapr/bin/daprd', () => {
  let sc: Sidecar;
  let d: { home: string; daprd: string };
  let out: string;
  let ports: number[];

  before(async () => {
    d = daprHome();
    out = join(d.home, 'app-result.json');
    ports = await freePorts(5);
    const [http, grpc, metrics, internal, pub] = ports as [number, number, number, number, number];
    // The argv `dapr run --app-id demo --dapr-http-port H --dapr-grpc-port G -- <app>` builds.
    const argv = [
      '--config', join(d.home, '.dapr', 'config.yaml'),
      '--app-protocol', 'http',
      '--log-level', 'info',
      '--app-max-concurrency', '-1',
      '--placement-host-address', 'localhost:50005',
      '--components-path', join(d.home, '.dapr', 'components'),
      '--max-body-size', '4Mi',
      '--read-buffer-size', '4Ki',
      '--scheduler-host-address', 'localhost:50006',
      '--app-id', 'demo',
      '--app-port', '0',
      '--dapr-http-port', String(http),
      '--dapr-grpc-port', String(grpc),
      '--profile-port', '-1',
      '--metrics-port', String(metrics),
      '--dapr-internal-grpc-port', String(internal),
      '--dapr-public-port', String(pub),
    ];
    const app = [
      'node', '-e',
      `const u='http://127.0.0.1:'+process.env.DAPR_HTTP_PORT+'/v1.0/metadata';
       (async()=>{const a=await fetch(u,{headers:{'dapr-api-token':process.env.DAPR_API_TOKEN}});const b=await fetch(u);
       require('fs').writeFileSync(${JSON.stringify(out)},JSON.stringify({withToken:a.status,body:await a.json(),withoutToken:b.status,env:{APP_ID:process.env.APP_ID,DAPR_GRPC_PORT:process.env.DAPR_GRPC_PORT}}));
       setTimeout(()=>{},60000)})()`,
    ];
    sc = await startSidecar({
      bin: d.daprd,
      runSubcommand: false,
      rawArgs: argv,
      appCommand: app,
      token: TOKEN,
      env: { HOME: d.home },
      ports: { http, grpc, metrics, public: pub },
    });
  });
  after(stopAll);

  test('`daprd --version` reads as a Dapr version the CLI keeps its scheduler flags for (>= 1.14)', async () => {
    const r = await runCli(['--version'], { bin: d.daprd });
    assert.equal(r.code, 0);
    const [major, minor] = r.stdout.trim().split('.').map(Number);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
    assert.ok(major! > 1 || (major === 1 && minor! >= 14), r.stdout);
  });

  test('the app gets its env and reaches the sidecar with DAPR_API_TOKEN; without it, 401', async () => {
    let result: { withToken: number; withoutToken: number; body: { id: string }; env: Record<string, string> } | undefined;
    for (let i = 0; i < 100 && !result; i++) {
      try {
        result = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(result, 'the app wrote no result');
    assert.equal(result.withToken, 200);
    assert.equal(result.body.id, 'demo');
    assert.equal(result.withoutToken, 401);
    assert.deepEqual(result.env, { APP_ID: 'demo', DAPR_GRPC_PORT: String(ports[1]) });
  });

  test('`dapr list` can find it: process name "daprd", flags intact in its command line', () => {
    const pid = sc.proc.pid!;
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'daprd');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const at = cmdline.indexOf('--app-id');
    assert.ok(at > 0 && cmdline[at + 1] === 'demo', cmdline.join(' '));
    assert.ok(cmdline.includes('--dapr-http-port'));
  });

  test('the control-plane flags the CLI always passes are ignored with one warning, not fatal', () => {
    const warnings = sc.output.split('\n').filter((l) => l.includes('Ignoring flags'));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /--placement-host-address/);
    assert.match(warnings[0]!, /--scheduler-host-address/);
    assert.ok(!sc.output.includes(TOKEN));
  });

  test('`dapr stop` (SIGTERM to the daprd pid) ends it with exit 0', async () => {
    const exit = await sc.stop('SIGTERM', 5000);
    assert.equal(exit.code, 0);
  });
});

test('`pillion --version` prints Pillion\'s own semver', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
});
