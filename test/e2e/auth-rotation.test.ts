// Token rotation without restart, under continuous load on both protocols: the token file
// (a Kubernetes-style Secret volume with a `..data` symlink swap, then plain rewrites) goes
// OLD → OLD+NEW → NEW while clients keep calling; not one call may fail. Also: an empty or
// missing file keeps the last good tokens, reported in the log and the metrics. Clients are
// the project's own client (src/client) with a token callback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type PillionClient } from '../../src/client/index.js';
import { Dapr } from '../../src/gen/dapr/proto/runtime/v1/dapr_pb.js';
import { httpRaw, metricValue, scrapeMetrics, sleep, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';

const OLD = 'rotation-old-token-7f3a9c1e5b';
const NEW = 'rotation-new-token-2d8e4b6f0a';

describe('token file rotation under load (HTTP and gRPC)', () => {
  let sc: Sidecar;
  let dir: string;
  let clientToken = OLD;
  const clients: PillionClient[] = [];

  /** Kubernetes Secret volume layout: tokens → ..data/tokens, ..data → ..<version> */
  const publish = (version: string, text: string): void => {
    mkdirSync(join(dir, version));
    writeFileSync(join(dir, version, 'tokens'), text);
    symlinkSync(version, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };

  before(async () => {
    dir = tempDir('pillion-secret-');
    publish('..v1', `# the API tokens\n${OLD}\n`);
    symlinkSync('..data/tokens', join(dir, 'tokens'));
    sc = await startSidecar({ appId: 'rotation', args: ['--api-token-file', join(dir, 'tokens')] });
  });
  after(async () => {
    for (const c of clients) c.close();
    await stopAll();
  });

  const accepted = async (token: string): Promise<boolean> =>
    (await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': token } })).status === 200;
  const waitFor = async (what: string, cond: () => Promise<boolean>): Promise<number> => {
    const t0 = Date.now();
    while (!(await cond())) {
      assert.ok(Date.now() - t0 < 2500, `${what} not applied within 2.5 s`);
      await sleep(50);
    }
    return Date.now() - t0;
  };

  test('no call fails while the token rotates', async () => {
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const loop = async (c: PillionClient, grpc: boolean): Promise<void> => {
      while (running) {
        try {
          if (grpc) {
            const r = await c.grpc(Dapr.method.getMetadata, {});
            assert.equal(r.id, 'rotation');
          } else {
            const r = await c.http('GET', '/v1.0/metadata');
            if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
          }
          ok++;
        } catch (err) {
          failures.push(`${grpc ? 'gRPC' : 'HTTP'}: ${(err as Error).message}`);
        }
      }
    };
    const loops: Promise<void>[] = [];
    for (let i = 0; i < 4; i++) {
      const c = createClient({ httpPort: sc.httpPort, grpcPort: sc.grpcPort, token: () => clientToken });
      clients.push(c);
      loops.push(loop(c, i % 2 === 1));
    }
    await sleep(400);
    publish('..v2', `${OLD}\n${NEW}\n`); // overlap: both valid
    const tAdd = await waitFor('adding the new token', () => accepted(NEW));
    await sleep(300);
    clientToken = NEW; // clients switch
    await sleep(400);
    writeFileSync(join(dir, '..v2', 'tokens'), `${NEW}\n`); // old one removed (in place)
    const tRemove = await waitFor('removing the old token', async () => !(await accepted(OLD)));
    await sleep(400);
    running = false;
    await Promise.all(loops);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failed calls`);
    assert.ok(ok > 100, `only ${ok} calls made`);
    assert.ok(tAdd < 2000 && tRemove < 2000, `applied after ${tAdd} / ${tRemove} ms`);
  });

  test('an empty or vanished file keeps the last good tokens, and says so', async () => {
    writeFileSync(join(dir, '..v2', 'tokens'), '# nothing here\n\n');
    await sleep(1500);
    assert.ok(await accepted(NEW), 'empty file: last good set kept');
    rmSync(join(dir, '..v2', 'tokens'));
    await sleep(1500);
    assert.ok(await accepted(NEW), 'missing file: last good set kept');
    for (let i = 0; i < 40 && !/cannot be read \(ENOENT\)/.test(sc.output); i++) await sleep(50);
    assert.match(sc.output, /API token file .* holds no token; keeping the 1 token\(s\) loaded before/);
    assert.match(sc.output, /API token file .* cannot be read \(ENOENT\); keeping the 1 token\(s\) loaded before/);
    writeFileSync(join(dir, '..v2', 'tokens'), `${NEW}\n`);
    const m = await scrapeMetrics(sc);
    assert.ok(metricValue(m, 'pillion_api_token_reloads_total', { result: 'success' }) >= 2);
    assert.ok(metricValue(m, 'pillion_api_token_reloads_total', { result: 'error' }) >= 2);
    assert.equal(metricValue(m, 'pillion_api_tokens_loaded'), 1);
    assert.ok(metricValue(m, 'pillion_api_auth_total', { protocol: 'grpc', result: 'allowed', reason: 'static_token' }) > 10);
    assert.ok(metricValue(m, 'pillion_api_auth_total', { protocol: 'http', result: 'allowed', reason: 'static_token' }) > 10);
  });

  test('the log names tokens by fingerprint only', () => {
    assert.ok(!sc.output.includes(OLD) && !sc.output.includes(NEW));
    assert.ok(!sc.output.includes(OLD.slice(0, 14)));
    assert.match(sc.output, /fingerprints [0-9a-f]{8}, [0-9a-f]{8}/);
  });
});

describe('DAPR_API_TOKEN_FILE and DAPR_API_TOKEN together', () => {
  after(stopAll);
  test('the file wins; the variable is ignored with a warning', async () => {
    const d = tempDir('pillion-tokfile-');
    writeFileSync(join(d, 't'), 'from-the-file-0123456789\n');
    const sc = await startSidecar({ appId: 'both', token: 'from-the-env-0123456789', env: { DAPR_API_TOKEN_FILE: join(d, 't') } });
    const get = (t: string) => httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': t } });
    assert.equal((await get('from-the-file-0123456789')).status, 200);
    assert.equal((await get('from-the-env-0123456789')).status, 401);
    assert.match(sc.output, /DAPR_API_TOKEN is ignored: the API token file takes precedence/);
  });

  test('a missing token file stops start-up with a clear error', async () => {
    const sc = await startSidecar({ appId: 'nofile', args: ['--api-token-file', '/nonexistent/tokens'], waitReady: false });
    const exit = await sc.waitExit();
    assert.equal(exit.code, 1);
    assert.match(sc.stderr, /API token file \/nonexistent\/tokens: cannot be read \(ENOENT\)/);
  });
});
