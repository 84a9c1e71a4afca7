// HTTP/1.1 pipelining: requests sent back to back on one connection are served one at a time,
// in order, as Go's server (daprd) serves them — so a client that pipelines many requests and
// never reads the answers cannot make the sidecar compute and hold all of them at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { sleep, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { startHttpApp, type RecordingApp } from '../helpers/apps.js';
import { DAPR_SERVICE, grpcRaw, GrpcStatus } from '../helpers/grpc.js';

const TOKEN = 'pipelining-token-5e0b1c';
const APP_ID = 'pipelining';
let app: RecordingApp;
let sc: Sidecar;

before(async () => {
  app = await startHttpApp();
  sc = await startSidecar({ appId: APP_ID, token: TOKEN, args: ['--app-port', String(app.port)] });
  // The sidecar's own discovery calls to the app (after it answers healthz) are over before
  // the tests count what is in flight at the app.
  for (let i = 0; i < 100 && !app.discovery.some((s) => s.url === '/dapr/subscribe'); i++) await sleep(50);
  await sleep(50);
});
after(async () => {
  await stopAll();
  await app.close();
});

const rssBytes = (pid: number): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

/** Writes `data` on a fresh connection and reads until `count` answers' status lines arrived. */
function pipelined(data: string, count: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(sc.httpPort, '127.0.0.1');
    let out = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      out += d;
      if ((out.match(/HTTP\/1\.1 \d{3} /g) ?? []).length >= count && /\r\n\r\n[^]*$/.test(out)) setTimeout(() => (sock.destroy(), resolve(out)), 100);
    });
    sock.on('error', reject);
    sock.write(data);
  });
}

describe('HTTP/1.1 pipelining', () => {
  test('five pipelined invocations: the app sees them one at a time, in order, and every answer comes back in order', async () => {
    app.maxInFlight = 0;
    app.answer = (s) => ({ status: 200, body: `answer ${s.url}`, delayMs: 30 });
    try {
      const n = app.seen.length;
      const one = (i: number): string => `GET /v1.0/invoke/${APP_ID}/method/p${i} HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\n\r\n`;
      const out = await pipelined([0, 1, 2, 3, 4].map(one).join(''), 5);
      assert.deepEqual(app.seen.slice(n).map((s) => s.url), ['/p0', '/p1', '/p2', '/p3', '/p4']);
      assert.equal(app.maxInFlight, 1);
      assert.deepEqual([...out.matchAll(/answer (\/p\d)/g)].map((m) => m[1]), ['/p0', '/p1', '/p2', '/p3', '/p4']);
    } finally {
      app.answer = (s) => ({ status: 200, body: s.url });
    }
  });

  test('a refused request in the middle of a pipeline: 401 in its place, the others served', async () => {
    const get = (token: string) => `GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${token}\r\n\r\n`;
    const out = await pipelined(get(TOKEN) + get('wrong') + get(TOKEN), 3);
    assert.deepEqual([...out.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]), ['200', '401', '200']);
  });

  test('a client that pipelines 200 reads of a 1 MB value and never reads: the sidecar does not hold the answers, and keeps serving', async () => {
    const save = await fetch(`http://127.0.0.1:${sc.httpPort}/v1.0/state/statestore`, {
      method: 'POST', headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify([{ key: 'big', value: 'x'.repeat(1024 * 1024) }]),
    });
    assert.equal(save.status, 204);
    const before = rssBytes(sc.proc.pid!);
    const sock = net.connect(sc.httpPort, '127.0.0.1');
    sock.on('error', () => {});
    sock.pause(); // never reads
    sock.write(`GET /v1.0/state/statestore/big HTTP/1.1\r\nHost: x\r\ndapr-api-token: ${TOKEN}\r\n\r\n`.repeat(200));
    try {
      // Served all at once, the 200 answers would take 200+ MB; one at a time, what the
      // socket's buffers take.
      for (let i = 0; i < 10; i++) {
        await sleep(100);
        const grown = rssBytes(sc.proc.pid!) - before;
        assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1048576)} MB with the answers unread`);
      }
      const h = await fetch(`http://127.0.0.1:${sc.httpPort}/v1.0/healthz`);
      assert.equal(h.status, 204);
      const g = await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, metadata: { 'dapr-api-token': TOKEN }, messages: [new Uint8Array()] });
      assert.equal(g.code, GrpcStatus.OK);
    } finally {
      sock.destroy();
    }
  });
});
