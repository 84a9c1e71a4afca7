// Streamed sidecar-to-sidecar invocation (CallLocalStream), between real Pillion processes
// sharing a temporary PILLION_HOME, and streamed bodies to an h2c app:
//  - a 20 MB upload reaches the remote app while the caller is still sending (the caller holds
//    the rest back until the app has seen bytes — a sidecar buffering the body could never
//    deliver them) and a 20 MB answer reaches the caller while the remote app still holds its
//    rest back; both intact, with the caller's / the app's Content-Length relayed;
//  - a 50 MB echo through both sidecars leaves their peak resident memory far below the body
//    size (/proc/<pid>/status VmHWM, reset through clear_refs before the transfer);
//  - the caller going away cancels the remote app's call (answer and upload);
//  - the internal port's CallLocalStream: mutual TLS as CallLocal, the certificate's app id as
//    the caller, the remote sidecar's app token only, a refused head and sequence gap;
//  - a peer that does not serve CallLocalStream (UNIMPLEMENTED) is called with CallLocal
//    instead, as daprd falls back — unless too much of the body was already sent;
//  - an h2c app (--app-protocol h2c), called through its own sidecar and from another one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { freePorts, startSidecar, stopAll, tempDir, type Sidecar } from '../helpers/sidecar.js';
import { frame } from '../helpers/grpc.js';
import { FrameDecoder } from '../../src/api/grpc/framing.js';
import { createCa, issueLeaf, parseCa, type TrustAuthority } from '../../src/remote/trust.js';
import { Registry } from '../../src/remote/registry.js';
import { HTTPExtension_Verb } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import {
  InternalInvokeRequestSchema, InternalInvokeRequestStreamSchema, InternalInvokeResponseSchema, InternalInvokeResponseStreamSchema, ListStringValueSchema,
  type InternalInvokeRequest, type InternalInvokeResponseStream,
} from '../../src/gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { pseudoRandomBytes } from '../helpers/bytes.js';

const TOK_A = 'rstream-api-token-alpha-3d91';
const APP_A = 'rstream-app-token-alpha-70be';
const TOK_B = 'rstream-api-token-beta-c2a4';
const APP_B = 'rstream-app-token-beta-19f6';
const TOK_C = 'rstream-api-token-gamma-5e07';
const APP_C = 'rstream-app-token-gamma-a8d3';
const MB = 1024 * 1024;
const BIG = 20 * MB;
const ECHO = 50 * MB;
const CHUNK = 64 * 1024;
const BOUND_MS = 15_000;

const content = (size: number): Buffer => pseudoRandomBytes(size, 0x2545f491);
const PAYLOAD = content(BIG);
const PAYLOAD_SHA = createHash('sha256').update(PAYLOAD).digest('hex');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

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

// The app: the same handlers over HTTP/1.1 (node:http) and h2c (node:http2's compatibility API).
type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

interface UploadSeen {
  headers: Record<string, string | string[] | undefined>;
  bytes: number;
}

/** GET /big[?chunked]: the first MB, then (once `release` resolves) the rest; POST /upload:
 * answers the byte count and SHA-256 of what it received; POST /echo: the body straight back. */
class StreamApp {
  port = 0;
  release = deferred();
  bigClosedEarly = deferred();
  bigFinished = false;
  uploadStarted = deferred();
  uploadAborted = deferred();
  uploads: UploadSeen[] = [];
  private readonly server: http.Server | http2.Http2Server;

  constructor(readonly protocol: 'http' | 'h2c') {
    const handle = (req: Req, res: Res): void => {
      if (req.url?.startsWith('/big')) return void this.big(req, res);
      if (req.url === '/upload') return this.upload(req, res);
      if (req.url === '/echo') {
        (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/octet-stream' });
        return void (req as http.IncomingMessage).pipe(res as http.ServerResponse);
      }
      if (req.url === '/headers') {
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => {
          const json = JSON.stringify({ method: req.method, headers: req.headers, bytes });
          (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) }).end(json);
        });
        return;
      }
      if (req.url === '/sized') {
        // 100 kB (above the 64 KiB read whole), declared; a HEAD declares it without a body
        req.resume();
        (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '100000' });
        return void (res as http.ServerResponse).end(req.method === 'HEAD' ? undefined : PAYLOAD.subarray(0, 100_000));
      }
      if (req.url === '/small') {
        req.resume();
        return void (res as http.ServerResponse).writeHead(200, { 'content-type': 'text/plain', 'x-small': '1', 'content-length': '12' }).end('small answer');
      }
      req.resume();
      (res as http.ServerResponse).writeHead(req.url?.startsWith('/dapr/') ? 404 : 200).end();
    };
    this.server = protocol === 'http' ? http.createServer(handle) : http2.createServer(handle);
  }

  private async big(req: Req, res: Res): Promise<void> {
    req.resume();
    this.bigFinished = false;
    const early = this.bigClosedEarly;
    // (node:http2's compatibility response emits 'finish' on a reset too: track the end ourselves)
    let ended = false;
    res.once('close', () => ended || early.resolve());
    (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/octet-stream', ...(req.url === '/big' ? { 'content-length': String(BIG) } : {}) });
    for (let off = 0; off < BIG && !res.destroyed; off += CHUNK) {
      if (off === MB) await this.release.promise;
      if (!(res as http.ServerResponse).write(PAYLOAD.subarray(off, off + CHUNK))) {
        await new Promise<void>((r) => {
          const done = (): void => {
            res.off('drain', done).off('close', done);
            r();
          };
          res.on('drain', done).on('close', done);
        });
      }
    }
    if (res.destroyed) return;
    ended = this.bigFinished = true;
    res.end();
  }

  private upload(req: Req, res: Res): void {
    const seen: UploadSeen = { headers: { ...req.headers }, bytes: 0 };
    this.uploads.push(seen);
    const started = this.uploadStarted;
    const aborted = this.uploadAborted;
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      if (seen.bytes === 0) started.resolve();
      seen.bytes += c.length;
      hash.update(c);
    });
    // an HTTP/2 request reset by the client counts as complete, but aborted
    req.once('close', () => (req.complete && !req.aborted) || aborted.resolve());
    req.on('end', () => (res as http.ServerResponse).writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes: seen.bytes, sha256: hash.digest('hex') })));
    req.on('error', () => {});
  }

  reset(): void {
    this.release = deferred();
    this.bigClosedEarly = deferred();
    this.uploadStarted = deferred();
    this.uploadAborted = deferred();
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    (this.server as http.Server).closeAllConnections?.();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let home: string;
const httpApp = new StreamApp('http');
const h2cApp = new StreamApp('h2c');
let alpha: Sidecar; // no app: the caller
let beta: Sidecar; // HTTP/1.1 app
let gamma: Sidecar; // h2c app
const internalPort = new Map<string, number>();
const fakes: Array<{ close(): void }> = [];

async function sidecar(appId: string, token: string, appToken: string, args: string[]): Promise<Sidecar> {
  const [internal] = await freePorts(1);
  internalPort.set(appId, internal!);
  return startSidecar({
    appId, token, home, env: { APP_API_TOKEN: appToken },
    args: ['--dapr-internal-grpc-port', String(internal), '--max-body-size', '64Mi', ...args],
  });
}

before(async () => {
  home = tempDir('pillion-rstream-home-');
  await Promise.all([httpApp.start(), h2cApp.start()]);
  alpha = await sidecar('alpha', TOK_A, APP_A, []);
  [beta, gamma] = await Promise.all([
    sidecar('beta', TOK_B, APP_B, ['--app-port', String(httpApp.port)]),
    sidecar('gamma', TOK_C, APP_C, ['--app-port', String(h2cApp.port), '--app-protocol', 'h2c']),
  ]);
});

after(async () => {
  // a sidecar that died during the tests: its output says why
  for (const sc of [alpha, beta, gamma]) if (sc && !sc.running) console.error(`${sc.appId} exited:\n${sc.output}`);
  for (const f of fakes) f.close();
  await stopAll();
  await Promise.all([httpApp.close(), h2cApp.close()]);
});

// ---- HTTP helpers -------------------------------------------------------------------------

/** Opens GET `path` through a sidecar; resolves with the response once its head is in. */
function open(port: number, token: string, path: string): Promise<{ req: http.ClientRequest; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { 'dapr-api-token': token }, agent: false }, (res) => resolve({ req, res }));
    req.on('error', reject);
    req.end();
  });
}

function firstBytes(res: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => res.once('data', (c: Buffer) => {
    res.pause();
    resolve(c);
  }));
}

/** Reads the rest of a response slowly: a pause after every MB. */
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
    res.resume();
  });
}

/** POSTs `size` bytes of PAYLOAD: the first MB, then — once `waitFor` resolves — the rest. */
function upload(port: number, token: string, path: string, size: number, declareLength: boolean, waitFor?: Promise<void>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'dapr-api-token': token, 'content-type': 'application/octet-stream' };
    if (declareLength) headers['content-length'] = String(size);
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const data = PAYLOAD.subarray(0, size);
    req.write(data.subarray(0, Math.min(MB, size)));
    void (async () => {
      if (waitFor) await within(waitFor, BOUND_MS, 'the app got nothing while the caller was still sending');
      req.end(data.subarray(Math.min(MB, size)));
    })().catch(reject);
  });
}

async function small(port: number, token: string, method: string, path: string, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'dapr-api-token': token };
    if (body) headers['content-length'] = String(body.length);
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// ---- the streaming tests, for the remote HTTP app and the h2c app (own and remote) -----------

const routes: Array<{ name: string; app: StreamApp; via: () => Sidecar; token: string; target: string }> = [
  { name: 'remote HTTP app (alpha → beta)', app: httpApp, via: () => alpha, token: TOK_A, target: 'beta' },
  { name: 'own h2c app (gamma → its app)', app: h2cApp, via: () => gamma, token: TOK_C, target: 'gamma' },
  { name: 'remote h2c app (alpha → gamma)', app: h2cApp, via: () => alpha, token: TOK_A, target: 'gamma' },
];

for (const r of routes) {
  describe(`streamed bodies: ${r.name}`, () => {
    for (const declared of [true, false]) {
      test(`20 MB upload (${declared ? 'Content-Length' : 'chunked'}): the app receives bytes before the caller finished, all of them intact`, async () => {
        r.app.reset();
        const n = r.app.uploads.length;
        const res = await upload(r.via().httpPort, r.token, `/v1.0/invoke/${r.target}/method/upload`, BIG, declared, r.app.uploadStarted.promise);
        assert.equal(res.status, 200, res.body);
        assert.deepEqual(JSON.parse(res.body), { bytes: BIG, sha256: PAYLOAD_SHA });
        const seen = r.app.uploads[n]!;
        // HTTP/1.1: the caller's Content-Length is relayed, else chunked (HTTP/2 frames the body itself)
        if (r.app.protocol === 'http') assert.equal(seen.headers['content-length'], declared ? String(BIG) : undefined);
        const own = r.target === 'gamma' ? APP_C : APP_B;
        assert.equal(seen.headers['dapr-api-token'], own, 'the app gets its own sidecar\'s app token');
        assert.equal(seen.headers['dapr-caller-app-id'], r.via().appId);
        const text = JSON.stringify(seen.headers);
        for (const secret of [TOK_A, APP_A, TOK_B, TOK_C].concat(own === APP_B ? [APP_C] : [APP_B])) assert.ok(!text.includes(secret), 'a foreign secret reached the app');
      });
    }

    for (const path of ['big', 'big?chunked']) {
      test(`20 MB answer (${path.includes('chunked') ? 'chunked' : 'declared length'}): first bytes before the app finished, then all of it to a slow reader`, async () => {
        r.app.reset();
        const { res } = await within(open(r.via().httpPort, r.token, `/v1.0/invoke/${r.target}/method/${path}`), BOUND_MS, 'no response head while the app holds its answer back');
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['content-length'], path.includes('chunked') ? undefined : String(BIG));
        const head = await within(firstBytes(res), BOUND_MS, 'no body bytes while the app holds its answer back');
        assert.equal(r.app.bigFinished, false, 'the app had not finished when the caller got its first bytes');
        r.app.release.resolve();
        const body = await within(readSlowly(res, [head]), 120_000, 'the body did not arrive');
        assert.equal(body.length, BIG);
        assert.equal(sha(body), PAYLOAD_SHA);
      });
    }

    test('the caller going away mid-answer closes the call to the app', async () => {
      r.app.reset();
      const { req, res } = await within(open(r.via().httpPort, r.token, `/v1.0/invoke/${r.target}/method/big`), BOUND_MS, 'no response head');
      await within(firstBytes(res), BOUND_MS, 'no body bytes');
      req.destroy();
      await within(r.app.bigClosedEarly.promise, BOUND_MS, 'the app did not see its answer cut off');
      r.app.release.resolve();
    });

    test('the caller going away mid-upload aborts the app\'s request', async () => {
      r.app.reset();
      const req = http.request({
        host: '127.0.0.1', port: r.via().httpPort, method: 'POST', path: `/v1.0/invoke/${r.target}/method/upload`, agent: false,
        headers: { 'dapr-api-token': r.token, 'content-length': String(BIG) },
      });
      req.on('error', () => {});
      req.write(PAYLOAD.subarray(0, MB));
      await within(r.app.uploadStarted.promise, BOUND_MS, 'the app got nothing');
      req.destroy();
      await within(r.app.uploadAborted.promise, BOUND_MS, 'the app\'s request was not aborted');
    });

    test('HEAD: the declared length comes back without a body (not taken for a cut-off answer); GET: the body', async () => {
      const head = await small(r.via().httpPort, r.token, 'HEAD', `/v1.0/invoke/${r.target}/method/sized`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], '100000');
      assert.equal(head.body.length, 0);
      const get = await small(r.via().httpPort, r.token, 'GET', `/v1.0/invoke/${r.target}/method/sized`);
      assert.equal(get.status, 200);
      assert.equal(get.headers['content-length'], '100000');
      assert.ok(get.body.equals(PAYLOAD.subarray(0, 100_000)));
    });

    test('a small answer still comes back whole, with its Content-Length', async () => {
      const res = await small(r.via().httpPort, r.token, 'POST', `/v1.0/invoke/${r.target}/method/small`, Buffer.from('hi'));
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-length'], String('small answer'.length));
      assert.equal(res.headers['x-small'], '1');
      assert.equal(res.body.toString(), 'small answer');
    });
  });
}

// ---- memory ------------------------------------------------------------------------------

/** kB values of /proc/<pid>/status. */
function procStatus(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
}

/** Resets the peak (VmHWM) to the current RSS; false where the kernel does not allow it. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** POSTs ECHO bytes (the payload over and over, with backpressure) to /echo through alpha and
 * checks what comes back. */
async function echoThrough(): Promise<void> {
  const result = await new Promise<{ status: number; bytes: number; sha: string }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: alpha.httpPort, method: 'POST', path: '/v1.0/invoke/beta/method/echo', agent: false,
      headers: { 'dapr-api-token': TOK_A, 'content-length': String(ECHO), 'content-type': 'application/octet-stream' },
    }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    let off = 0;
    const pump = (): void => {
      while (off < ECHO) {
        const start = off % BIG;
        const piece = PAYLOAD.subarray(start, Math.min(start + CHUNK, BIG, start + ECHO - off));
        off += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  const expected = createHash('sha256');
  for (let off = 0; off < ECHO; off += BIG) expected.update(PAYLOAD.subarray(0, Math.min(BIG, ECHO - off)));
  assert.equal(result.status, 200);
  assert.equal(result.bytes, ECHO);
  assert.equal(result.sha, expected.digest('hex'));
}

describe('memory stays bounded', () => {
  // A sidecar holding the body whole grows by more than the body (measured: ~340 MB for this
  // transfer through unary CallLocal). The first transfer also settles the heap at its working
  // size (the JIT, pools, a young generation in use), so the second one is measured.
  test('a 50 MB echo through two sidecars: neither sidecar\'s peak resident memory grows by half the body', async () => {
    await echoThrough();
    const pids = [alpha.proc.pid!, beta.proc.pid!];
    const before = pids.map((p) => procStatus(p).rss);
    const resettable = pids.map(resetPeak).every(Boolean);
    // Where the peak cannot be reset, sample the resident size during the transfer instead.
    const peaks = [...before];
    const sampler = resettable ? undefined : setInterval(() => pids.forEach((p, i) => (peaks[i] = Math.max(peaks[i]!, procStatus(p).rss))), 10);
    try {
      await echoThrough();
    } finally {
      clearInterval(sampler);
    }
    pids.forEach((p, i) => {
      if (resettable) peaks[i] = procStatus(p).hwm;
      const growth = peaks[i]! - before[i]!;
      assert.ok(growth < ECHO / 2, `${i === 0 ? 'alpha' : 'beta'}: peak resident memory grew by ${(growth / MB).toFixed(1)} MB during a ${ECHO / MB} MB transfer`);
    });
  });
});

// ---- the internal port ------------------------------------------------------------------

const realCa = (): TrustAuthority =>
  parseCa(readFileSync(join(home, 'trust', 'ca.crt'), 'utf8'), readFileSync(join(home, 'trust', 'ca.key'), 'utf8'), 'test');

const list = (...values: string[]) => create(ListStringValueSchema, { values });

function streamHead(method: string, extra: Record<string, string> = {}): InternalInvokeRequest {
  const metadata: Record<string, ReturnType<typeof list>> = { 'dapr-caller-app-id': list('header-spoof') };
  for (const [k, v] of Object.entries(extra)) metadata[k] = list(v);
  return create(InternalInvokeRequestSchema, {
    ver: 1, metadata,
    message: { method, data: create(AnySchema, {}), contentType: 'application/octet-stream', httpExtension: { verb: HTTPExtension_Verb.POST } },
  });
}

interface StreamOutcome {
  status?: string;
  message?: string;
  error?: string;
  responses: InternalInvokeResponseStream[];
}

/** One raw CallLocalStream on the internal port: the given messages, then the end. */
function callStream(port: number, tls: http2.SecureClientSessionOptions, messages: Array<{ request?: InternalInvokeRequest; payload?: { data: Uint8Array; seq: bigint } }>): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, tls);
    const decoder = new FrameDecoder(64 * MB, undefined);
    const out: StreamOutcome = { responses: [] };
    const done = (): void => {
      clearTimeout(timer);
      session.destroy();
      resolve(out);
    };
    const timer = setTimeout(() => {
      out.error = 'timeout';
      done();
    }, BOUND_MS);
    session.on('error', (err) => {
      out.error = err.message;
      done();
    });
    const stream = session.request({ ':method': 'POST', ':path': '/dapr.proto.internals.v1.ServiceInvocation/CallLocalStream', 'content-type': 'application/grpc', te: 'trailers' });
    const grab = (h: http2.IncomingHttpHeaders): void => {
      if (h['grpc-status'] !== undefined) out.status = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) out.message = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', grab);
    stream.on('trailers', grab);
    stream.on('data', (c: Buffer) => {
      for (const m of decoder.push(c)) out.responses.push(fromBinary(InternalInvokeResponseStreamSchema, m));
    });
    stream.on('error', (err) => (out.error ??= err.message));
    stream.on('close', done);
    for (const m of messages) stream.write(frame(toBinary(InternalInvokeRequestStreamSchema, create(InternalInvokeRequestStreamSchema, m))));
    stream.end();
  });
}

describe('CallLocalStream on the internal port', () => {
  const port = (): number => internalPort.get('beta')!;

  test('without a client certificate, or with one from a foreign CA: refused, nothing reaches the app', async () => {
    const n = httpApp.uploads.length;
    const ca = realCa();
    const msgs = [{ request: streamHead('upload'), payload: { data: Buffer.from('x'), seq: 0n } }];
    const none = await callStream(port(), { ca: ca.caCertPem, checkServerIdentity: () => undefined }, msgs);
    assert.notEqual(none.status, '0');
    const foreign = parseCa(...(Object.values(createCa('public')) as [string, string]), 'foreign');
    const leaf = issueLeaf(foreign, { namespace: 'default', appId: 'alpha' });
    const bad = await callStream(port(), { ca: ca.caCertPem, cert: leaf.certPem, key: leaf.keyPem, checkServerIdentity: () => undefined }, msgs);
    assert.notEqual(bad.status, '0');
    assert.equal(httpApp.uploads.length, n);
  });

  const trusted = (appId = 'mallory'): http2.SecureClientSessionOptions => {
    const ca = realCa();
    const leaf = issueLeaf(ca, { namespace: 'default', appId });
    return { ca: ca.caCertPem, cert: leaf.certPem, key: leaf.keyPem, checkServerIdentity: () => undefined };
  };

  test('the certificate\'s app id is the caller; tokens in the metadata never reach the app, which gets its own sidecar\'s app token; chunks in sequence make the body', async () => {
    const n = httpApp.uploads.length;
    const parts = ['first ', 'second ', 'third'].map((s) => Buffer.from(s));
    const r = await callStream(port(), trusted(), [
      { request: streamHead('upload', { 'dapr-api-token': TOK_A, 'x-from-test': '1' }), payload: { data: parts[0]!, seq: 0n } },
      { payload: { data: parts[1]!, seq: 1n } },
      { payload: { data: parts[2]!, seq: 2n } },
    ]);
    assert.equal(r.status, '0', r.message ?? r.error);
    const [headMsg, ...rest] = r.responses;
    assert.equal(headMsg?.response?.status?.code, 200);
    const body = Buffer.concat([headMsg?.payload?.data ?? new Uint8Array(), ...rest.map((m) => m.payload?.data ?? new Uint8Array())].map((d) => Buffer.from(d)));
    const all = Buffer.concat(parts);
    assert.deepEqual(JSON.parse(body.toString()), { bytes: all.length, sha256: sha(all) });
    // payload sequence numbers of the answer count from 0
    assert.deepEqual(r.responses.filter((m) => m.payload).map((m) => m.payload!.seq), r.responses.filter((m) => m.payload).map((_, i) => BigInt(i)));
    const seen = httpApp.uploads[n]!;
    assert.equal(seen.headers['dapr-caller-app-id'], 'mallory');
    assert.equal(seen.headers['dapr-api-token'], APP_B);
    assert.equal(seen.headers['x-from-test'], '1');
  });

  test('a first message without the request head: INVALID_ARGUMENT, nothing reaches the app', async () => {
    const n = httpApp.uploads.length;
    const r = await callStream(port(), trusted(), [{ payload: { data: Buffer.from('x'), seq: 0n } }]);
    assert.equal(r.status, '3');
    assert.match(r.message ?? '', /request does not contain the required fields in the leading chunk/);
    assert.equal(httpApp.uploads.length, n);
  });

  test('a gap in the sequence fails the call (the app\'s request is aborted, never completed)', async () => {
    httpApp.reset();
    const r = await callStream(port(), trusted(), [
      { request: streamHead('upload'), payload: { data: Buffer.alloc(100_000, 1), seq: 0n } },
      { payload: { data: Buffer.from('x'), seq: 1n } },
      { payload: { data: Buffer.from('x'), seq: 3n } },
    ]);
    assert.equal(r.status, '13');
    assert.match(r.message ?? '', /invalid sequence number received: 3 \(expected: 2\)/);
    await within(httpApp.uploadAborted.promise, BOUND_MS, 'the app\'s request was not aborted');
  });

  test('a head alone without a declared length (daprd\'s bodiless GET) reaches the app as a bodiless GET', async () => {
    const head = streamHead('headers');
    head.message!.httpExtension = { $typeName: 'dapr.proto.common.v1.HTTPExtension', verb: HTTPExtension_Verb.GET, querystring: '' };
    const r = await callStream(port(), trusted(), [{ request: head }]);
    assert.equal(r.status, '0', r.message ?? r.error);
    const body = Buffer.concat(r.responses.map((m) => Buffer.from(m.payload?.data ?? new Uint8Array())));
    const seen = JSON.parse(body.toString()) as { method: string; headers: Record<string, string>; bytes: number };
    assert.equal(seen.method, 'GET');
    assert.equal(seen.bytes, 0);
    assert.equal(seen.headers['transfer-encoding'], undefined);
    assert.equal(seen.headers['content-length'], undefined);
    // the answer's length travels in its head, as daprd relays the app's Content-Length
    assert.deepEqual(r.responses[0]?.response?.headers['content-length']?.values, [String(body.length)]);
  });

  test('a second head in a later message fails the call', async () => {
    const r = await callStream(port(), trusted(), [
      { request: streamHead('upload'), payload: { data: Buffer.alloc(100_000, 1), seq: 0n } },
      { request: streamHead('upload'), payload: { data: Buffer.from('x'), seq: 1n } },
    ]);
    assert.equal(r.status, '13');
    assert.match(r.message ?? '', /request metadata found in non-leading chunk/);
  });
});

// ---- peers without CallLocalStream ----------------------------------------------------------

interface FakePeer {
  /** CallLocal requests it answered */
  unary: InternalInvokeRequest[];
  /** CallLocalStream attempts it refused */
  refused: number;
  close(): void;
}

/**
 * A sidecar of an older kind for app `appId`: serves CallLocal only and refuses
 * CallLocalStream with UNIMPLEMENTED — at once, or (`readFirst`) only after reading that many
 * body bytes. Registered in the shared registry like a real sidecar.
 */
async function fakePeer(appId: string, readFirst = 0, serveStream?: (stream: http2.ServerHttp2Stream) => void): Promise<FakePeer> {
  const ca = realCa();
  const leaf = issueLeaf(ca, { namespace: 'default', appId });
  const peer: FakePeer = { unary: [], refused: 0, close: () => {} };
  const server = http2.createSecureServer({ ca: ca.caCertPem, cert: leaf.certPem, key: leaf.keyPem, requestCert: true, rejectUnauthorized: true });
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path']);
    if (path.endsWith('/CallLocalStream')) {
      if (serveStream) return serveStream(stream);
      peer.refused++;
      const refuse = (): void => {
        if (!stream.destroyed) stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method CallLocalStream for service dapr.proto.internals.v1.ServiceInvocation' }, { endStream: true });
      };
      if (!readFirst) return refuse();
      let got = 0;
      stream.on('data', (c: Buffer) => {
        if (got < readFirst && (got += c.length) >= readFirst) refuse();
      });
      stream.on('error', () => {});
      return;
    }
    const decoder = new FrameDecoder(64 * MB, undefined);
    const msgs: Uint8Array[] = [];
    stream.on('data', (c: Buffer) => msgs.push(...decoder.push(c)));
    stream.on('end', () => {
      const req = fromBinary(InternalInvokeRequestSchema, msgs[0]!);
      peer.unary.push(req);
      const body = req.message?.data?.value ?? new Uint8Array();
      const res = create(InternalInvokeResponseSchema, {
        status: { code: 200 }, headers: { 'x-legacy': list('1') },
        message: { contentType: 'application/json', data: create(AnySchema, { value: Buffer.from(JSON.stringify({ bytes: body.length, sha256: sha(Buffer.from(body)) })) }) },
      });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame(toBinary(InternalInvokeResponseSchema, res)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const registry = await Registry.open(home);
  const now = Date.now();
  const instance = `fake-${appId}`;
  registry.register({ instance, appId, namespace: 'default', host: '127.0.0.1', internalPort: port, pid: process.pid, startedAt: now, heartbeat: now });
  // keep the row alive while the tests run
  const beat = setInterval(() => registry.heartbeat(instance), 2000);
  peer.close = () => {
    clearInterval(beat);
    registry.remove(instance);
    registry.close();
    server.close();
    for (const s of sessions) s.destroy();
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  fakes.push(peer);
  return peer;
}

describe('an answer of declared length', () => {
  test('is handed to the caller once its bytes are in, while the remote stream has not ended (its status not yet sent)', async () => {
    let release = (): void => {};
    const trailersSent = new Promise<void>((r) => (release = r));
    await fakePeer('held-end', 0, (stream) => {
      stream.on('error', () => {});
      stream.on('data', () => {}); // the request: read and ignored
      const head = create(InternalInvokeResponseSchema, {
        status: { code: 200 }, headers: { 'content-length': list('5'), 'x-peer': list('held') }, message: { contentType: 'text/plain' },
      });
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      // the status is held back until the test says so
      stream.on('wantTrailers', () => void trailersSent.then(() => stream.destroyed || stream.sendTrailers({ 'grpc-status': '0' })));
      stream.end(frame(toBinary(InternalInvokeResponseStreamSchema, create(InternalInvokeResponseStreamSchema, { response: head, payload: { data: Buffer.from('hello'), seq: 0n } }))));
    });
    // without the hand-over the answer would wait for the status: released after 10 s at the latest
    let releasedFirst = false;
    const fallback = setTimeout(() => {
      releasedFirst = true;
      release();
    }, 10_000);
    try {
      const r = await small(alpha.httpPort, TOK_A, 'GET', '/v1.0/invoke/held-end/method/x');
      assert.equal(releasedFirst, false, 'the answer waited for the remote stream to end');
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-peer'], 'held');
      assert.equal(r.body.toString(), 'hello');
    } finally {
      clearTimeout(fallback);
      release();
    }
    // the sidecar is fine afterwards (the stream ended when the status came)
    assert.equal((await small(alpha.httpPort, TOK_A, 'GET', '/v1.0/invoke/held-end/method/y')).body.toString(), 'hello');
  });
});

describe('a peer without CallLocalStream (UNIMPLEMENTED)', () => {
  test('the call is sent again as unary CallLocal (small and streamed bodies), and that peer is then called unary', async () => {
    const peer = await fakePeer('legacy');
    const r1 = await small(alpha.httpPort, TOK_A, 'POST', '/v1.0/invoke/legacy/method/hello?x=1', Buffer.from('tiny body'));
    assert.equal(r1.status, 200, r1.body.toString());
    assert.equal(r1.headers['x-legacy'], '1');
    assert.deepEqual(JSON.parse(r1.body.toString()), { bytes: 9, sha256: sha(Buffer.from('tiny body')) });
    assert.equal(peer.refused, 1);
    assert.equal(peer.unary.length, 1);
    assert.equal(peer.unary[0]!.message?.method, 'hello');
    assert.equal(peer.unary[0]!.message?.httpExtension?.querystring, 'x=1');
    assert.equal(peer.unary[0]!.metadata['dapr-api-token'], undefined, 'the caller\'s token never leaves its sidecar');
    assert.match(alpha.output, /App legacy does not support streaming-based service invocation/);
    // a chunked 2 MB body: the peer is known now, so it goes unary at once, whole
    const r2 = await upload(alpha.httpPort, TOK_A, '/v1.0/invoke/legacy/method/upload', 2 * MB, false);
    assert.equal(r2.status, 200, r2.body);
    assert.deepEqual(JSON.parse(r2.body), { bytes: 2 * MB, sha256: sha(PAYLOAD.subarray(0, 2 * MB)) });
    assert.equal(peer.refused, 1);
    assert.equal(peer.unary.length, 2);
  });

  test('a streamed body refused at once is replayed whole', async () => {
    const peer = await fakePeer('legacy-two');
    const r = await upload(alpha.httpPort, TOK_A, '/v1.0/invoke/legacy-two/method/upload', 3 * MB, false);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(JSON.parse(r.body), { bytes: 3 * MB, sha256: sha(PAYLOAD.subarray(0, 3 * MB)) });
    assert.equal(peer.refused, 1);
    assert.equal(peer.unary.length, 1);
  });

  test('refused after more of the body was sent than can be kept: daprd\'s error, no unary call', async () => {
    const peer = await fakePeer('legacy-late', 2 * MB);
    const r = await upload(alpha.httpPort, TOK_A, '/v1.0/invoke/legacy-late/method/upload', 8 * MB, false);
    assert.equal(r.status, 500, r.body);
    assert.deepEqual(JSON.parse(r.body), {
      errorCode: 'ERR_DIRECT_INVOKE',
      message: "failed to invoke, id: legacy-late, err: target app 'legacy-late' is running a version of Dapr that does not support streaming-based service invocation",
    });
    assert.equal(peer.unary.length, 0);
  });
});
