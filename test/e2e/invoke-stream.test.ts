// Streaming of HTTP service invocation bodies to and from an HTTP app, as daprd: a 20 MB
// answer reaches the caller while the app is still producing it (the app holds the rest back
// until the caller has seen the first bytes — a buffering sidecar could never deliver them)
// and arrives intact at a slow reader; a 20 MB upload reaches the app while the caller is
// still sending. --max-body-size still limits the request (413 ERR_BODY_TOO_LARGE) and the
// answer (a declared length above it: 500 ERR_DIRECT_INVOKE, as before).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { pseudoRandomBytes } from '../helpers/bytes.js';

const TOKEN = 'stream-api-token-c41e07';
const MB = 1024 * 1024;
const BIG = 20 * MB;
const CHUNK = 64 * 1024;
const BOUND_MS = 10_000;

const content = (size: number): Buffer => pseudoRandomBytes(size, 0x9e3779b9);
const PAYLOAD = content(BIG);
const PAYLOAD_SHA = createHash('sha256').update(PAYLOAD).digest('hex');

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} (not within ${ms} ms)`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

/** The app. GET /big[?chunked]: the first MB, then (once `release` resolves) the rest;
 * POST /upload: answers the byte count and SHA-256 of what it received. */
class StreamApp {
  port = 0;
  release = deferred();
  /** resolves when /big's answer was closed before it was complete */
  bigClosedEarly = deferred();
  bigFinished = false;
  uploadStarted = deferred();
  uploads = 0;
  private readonly server = http.createServer((req, res) => {
    if (req.url?.startsWith('/big')) return void this.big(req, res);
    if (req.url === '/upload') return this.upload(req, res);
    req.resume();
    res.writeHead(404).end();
  });

  private async big(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    req.resume();
    this.bigFinished = false;
    res.once('close', () => (res.writableFinished ? (this.bigFinished = true) : this.bigClosedEarly.resolve()));
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(req.url === '/big' ? { 'content-length': String(BIG) } : {}) });
    for (let off = 0; off < BIG && !res.destroyed; off += CHUNK) {
      if (off === MB) await this.release.promise;
      if (!res.write(PAYLOAD.subarray(off, off + CHUNK))) {
        await new Promise<void>((r) => {
          const done = (): void => {
            res.off('drain', done).off('close', done);
            r();
          };
          res.on('drain', done).on('close', done);
        });
      }
    }
    res.end();
  }

  private upload(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.uploads++;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      if (bytes === 0) this.uploadStarted.resolve();
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
    req.on('error', () => {});
  }

  reset(): void {
    this.release = deferred();
    this.bigClosedEarly = deferred();
    this.uploadStarted = deferred();
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const app = new StreamApp();
let roomy: Sidecar; // --max-body-size 32Mi
let tight: Sidecar; // --max-body-size 1Mi

before(async () => {
  await app.start();
  [roomy, tight] = await Promise.all([
    startSidecar({ appId: 'stream', token: TOKEN, args: ['--app-port', String(app.port), '--max-body-size', '32Mi'] }),
    startSidecar({ appId: 'stream', token: TOKEN, args: ['--app-port', String(app.port), '--max-body-size', '1Mi'] }),
  ]);
});

after(async () => {
  await stopAll();
  await app.close();
});

/** Opens GET /big through the sidecar; resolves with the response once its head is in. */
function getBig(port: number, path: string): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { 'dapr-api-token': TOKEN }, agent: false }, (res) => resolve({ req, res }));
    req.on('error', reject);
    req.end();
  });
}

/** Reads a response slowly: a pause after every MB. */
function readSlowly(res: http.IncomingMessage, first: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks = [...first];
    let sinceBreak = 0;
    res.on('data', (c: Buffer) => {
      chunks.push(c);
      sinceBreak += c.length;
      if (sinceBreak >= MB) {
        sinceBreak = 0;
        res.pause();
        setTimeout(() => res.resume(), 20);
      }
    });
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', reject);
    res.once('aborted', () => reject(new Error('aborted')));
    res.resume(); // firstBytes() paused it
  });
}

/** The first bytes of a response body. */
function firstBytes(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => res.once('data', (c: Buffer) => {
    res.pause();
    resolve(c);
  }));
}

describe('the answer streams back', () => {
  for (const path of ['/v1.0/invoke/stream/method/big', '/v1.0/invoke/stream/method/big?chunked']) {
    test(`20 MB (${path.includes('chunked') ? 'chunked' : 'declared length'}): first bytes before the app finished, then all of it to a slow reader`, async () => {
      app.reset();
      const { res } = await within(getBig(roomy.httpPort, path), BOUND_MS, 'no response head while the app holds its answer back');
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-length'], path.includes('chunked') ? undefined : String(BIG));
      const head = await within(firstBytes(res), BOUND_MS, 'no body bytes while the app holds its answer back');
      assert.equal(app.bigFinished, false, 'the app had not finished when the caller got its first bytes');
      app.release.resolve();
      const body = await within(readSlowly(res, [head]), 60_000, 'the body did not arrive');
      assert.equal(body.length, BIG);
      assert.equal(createHash('sha256').update(body).digest('hex'), PAYLOAD_SHA);
    });
  }

  test('the caller going away mid-answer closes the call to the app', async () => {
    app.reset();
    const { req, res } = await within(getBig(roomy.httpPort, '/v1.0/invoke/stream/method/big'), BOUND_MS, 'no response head');
    await within(firstBytes(res), BOUND_MS, 'no body bytes');
    req.destroy();
    await within(app.bigClosedEarly.promise, BOUND_MS, 'the app did not see its answer cut off');
    app.release.resolve();
  });

  test('an answer declared larger than --max-body-size: 500 ERR_DIRECT_INVOKE before anything is relayed, as before', async () => {
    app.reset();
    app.release.resolve();
    const { res } = await getBig(tight.httpPort, '/v1.0/invoke/stream/method/big');
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    assert.equal(res.statusCode, 500);
    const e = JSON.parse(Buffer.concat(chunks).toString());
    assert.equal(e.errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(e.message, /larger than 1048576 bytes/);
  });

  test('an undeclared answer growing past --max-body-size is cut off: the caller never gets a complete answer', async () => {
    app.reset();
    app.release.resolve();
    const { res } = await getBig(tight.httpPort, '/v1.0/invoke/stream/method/big?chunked');
    assert.equal(res.statusCode, 200);
    await assert.rejects(readSlowly(res, []));
  });
});

describe('the request body streams to the app', () => {
  /** Sends `size` bytes: the first MB, then — once `waitFor` resolves — the rest. */
  function upload(port: number, size: number, declareLength: boolean, waitFor?: Promise<void>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'dapr-api-token': TOKEN, 'content-type': 'application/octet-stream' };
      if (declareLength) headers['content-length'] = String(size);
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1.0/invoke/stream/method/upload', headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const data = PAYLOAD.subarray(0, size);
      req.write(data.subarray(0, MB));
      void (async () => {
        if (waitFor) await within(waitFor, BOUND_MS, 'the app got nothing while the caller was still sending');
        req.end(data.subarray(MB));
      })().catch(reject);
    });
  }

  for (const declared of [true, false]) {
    test(`20 MB upload (${declared ? 'Content-Length' : 'chunked'}): the app receives bytes before the caller finished, all of them intact`, async () => {
      app.reset();
      const r = await upload(roomy.httpPort, BIG, declared, app.uploadStarted.promise);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { bytes: BIG, sha256: PAYLOAD_SHA });
    });
  }

  test('a declared length above --max-body-size: 413 ERR_BODY_TOO_LARGE, nothing reaches the app', async () => {
    const n = app.uploads;
    const r = await upload(tight.httpPort, 2 * MB, true);
    assert.equal(r.status, 413);
    assert.equal(JSON.parse(r.body).errorCode, 'ERR_BODY_TOO_LARGE');
    assert.equal(app.uploads, n);
  });

  test('a chunked body growing past --max-body-size: 413 ERR_BODY_TOO_LARGE', async () => {
    const r = await upload(tight.httpPort, 2 * MB, false);
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.body), { errorCode: 'ERR_BODY_TOO_LARGE', message: 'request body too large: the limit is 1048576 bytes (--max-body-size)' });
  });

  test('after all that, both sidecars still serve', async () => {
    for (const sc of [roomy, tight]) {
      const r = await upload(sc.httpPort, 1000, true);
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).bytes, 1000);
    }
  });
});
