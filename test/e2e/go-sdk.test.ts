// The official Dapr Go SDK (github.com/dapr/go-sdk v1.11.0, grpc-go underneath: what most
// Dapr users run) against the real sidecar, through the small program in test/go-client. Each
// run does one scenario and prints one JSON line; the assertions here are what a Go developer
// sees: values, ETags, error codes, and what the app receives.
//
// The program is built once per version of its sources by scripts/go-client.mjs and cached
// outside the repo. Skipped, with the reason, only when the machine has no Go toolchain.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { headerValues, startHttpApp, type RecordingApp, type Seen } from '../helpers/apps.js';
import { httpRaw, minimalEnv, ROOT, startSidecar, stopAll, type Sidecar } from '../helpers/sidecar.js';
import { stateAndSecretsResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'go-sdk-api-token-7c1d40';
const APP_TOKEN = 'go-sdk-app-token-2b9e11';
const APP_ID = 'go-sdk-e2e';
const SECRETS = { 'db-password': 'p@ss-w0rd', nested: { user: 'alice' } };
// the topic test/go-client publishes to (publish scenario), delivered to the app's /go-orders
const TOPIC = 'go-orders';

/** the script's exit code when there is no Go toolchain (see scripts/go-client.mjs) */
const EXIT_NO_GO = 3;

/** Runs scripts/go-client.mjs: the binary's path, or the reason to skip. */
function buildGoClient(): Promise<{ bin: string } | { reason: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, 'scripts', 'go-client.mjs')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    proc.once('error', reject);
    proc.once('exit', (code) => {
      if (code === EXIT_NO_GO) resolve({ reason: stderr.trim().split('\n').pop()?.replace(/^\[go-client\]\s*/, '') ?? 'no Go toolchain' });
      else if (code === 0) resolve({ bin: (JSON.parse(stdout.trim().split('\n').pop()!) as { bin: string }).bin });
      else reject(new Error(`scripts/go-client.mjs exited with ${code}:\n${stderr.slice(-4000)}`));
    });
  });
}

const built = await buildGoClient();
const skip = 'reason' in built ? built.reason : false;
// each test carries the skip reason (a skipped describe would count no skipped test at all)
const it = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

/** an error as test/go-client/rpcerror.go prints it */
interface RpcError {
  code: string;
  number: number;
  message: string;
  error: string;
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
  stage?: string;
}
interface Run<T> {
  scenario: string;
  ok: boolean;
  result?: T;
  error?: RpcError;
}
interface Item {
  key: string;
  value: string;
  etag: string;
  error?: string;
}

interface GoOptions {
  /** DAPR_API_TOKEN in the program's environment (read by the SDK when the client is built) */
  envToken?: string;
  /** passed to the SDK's WithAuthToken after the client is built ('' clears the token) */
  token?: string;
}

/** Runs one scenario of the Go program against the sidecar's gRPC port; its JSON line. */
function goclient<T>(scenario: string, opts: GoOptions = {}): Promise<Run<T>> {
  const args = [...(opts.token !== undefined ? [`-token=${opts.token}`] : []), '-app-id', APP_ID, scenario, `127.0.0.1:${sc.grpcPort}`];
  // a minimal environment: no DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT, and a token only when asked
  const env = minimalEnv({ DAPR_API_TOKEN: opts.envToken });
  return new Promise((resolve, reject) => {
    execFile((built as { bin: string }).bin, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Run<T>);
      } catch {
        reject(new Error(`goclient ${args.join(' ')}: no JSON line (${err?.message ?? 'exit 0'})\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

/** the result of a run that must have succeeded */
async function ok<T>(scenario: string, opts: GoOptions = {}): Promise<T> {
  const run = await goclient<T>(scenario, opts);
  assert.equal(run.ok, true, `${scenario} failed: ${JSON.stringify(run.error)}`);
  return run.result!;
}

let app: RecordingApp;
let sc: Sidecar;

const deliveries = (): Seen[] => app.seen.filter((s) => s.method === 'POST' && s.url === `/${TOPIC}`);
const invocations = (): Seen[] => app.seen.filter((s) => s.url !== `/${TOPIC}`);

const resources = (): string => stateAndSecretsResources('pillion-go-sdk-res-', SECRETS);

before(async () => {
  if (skip) return;
  app = await startHttpApp();
  app.answer = (s) => {
    if (s.method === 'GET' && s.url === '/dapr/subscribe') {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ pubsubname: 'pubsub', topic: TOPIC, route: `/${TOPIC}` }]) };
    }
    if (s.url.startsWith('/dapr/')) return { status: 404 };
    if (s.url === `/${TOPIC}`) return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"SUCCESS"}' };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ answered: `${s.method} ${s.url}` }) };
  };
  sc = await startSidecar({
    appId: APP_ID, token: TOKEN, env: { APP_API_TOKEN: APP_TOKEN },
    resourcesPaths: [resources()], args: ['--app-port', String(app.port)],
  });
});

after(async () => {
  await stopAll();
  await app?.close();
});


/** The app got the app token under dapr-api-token, and the caller's token nowhere. */
function assertAppToken(s: Seen): void {
  assert.deepEqual(headerValues(s.rawHeaders, 'dapr-api-token'), [APP_TOKEN]);
  for (let i = 1; i < s.rawHeaders.length; i += 2) assert.ok(!s.rawHeaders[i]!.includes(TOKEN), `API token forwarded in ${s.rawHeaders[i - 1]}`);
}

describe('Go SDK, token from DAPR_API_TOKEN (read by the SDK when the client is built)', () => {
  const env = { envToken: TOKEN };

  it('state: save, get with ETag, ETag update, stale ETag refused, bulk get, transaction, delete', async () => {
    const r = await ok<{
      first: Item; etagSave: RpcError | null; second: Item; staleEtagSave: RpcError | null; staleEtagDelete: RpcError | null;
      bulk: Item[]; afterTransaction: Item[]; afterDelete: Item[];
    }>('state', env);
    assert.equal(r.first.value, '{"n":1}');
    assert.notEqual(r.first.etag, '', 'GetState returns an ETag');
    assert.equal(r.etagSave, null, 'first-write save with the current ETag is accepted');
    assert.equal(r.second.value, '{"n":2}');
    assert.notEqual(r.second.etag, r.first.etag, 'a write changes the ETag');
    // daprd: an ETag mismatch is ABORTED, for a save and for a delete
    assert.equal(r.staleEtagSave?.code, 'Aborted', JSON.stringify(r.staleEtagSave));
    assert.equal(r.staleEtagDelete?.code, 'Aborted', JSON.stringify(r.staleEtagDelete));

    const bulk = new Map(r.bulk.map((i) => [i.key, i]));
    assert.deepEqual([...bulk.keys()].sort(), ['go-a', 'go-b', 'go-c', 'go-never-written']);
    assert.equal(bulk.get('go-a')!.value, '{"n":2}', 'the stale writes changed nothing');
    assert.equal(bulk.get('go-a')!.etag, r.second.etag);
    assert.equal(bulk.get('go-b')!.value, 'bee');
    assert.equal(bulk.get('go-c')!.value, '["c"]');
    assert.deepEqual(bulk.get('go-never-written'), { key: 'go-never-written', value: '', etag: '' }, 'a missing key is an empty item, not an error');

    const tx = new Map(r.afterTransaction.map((i) => [i.key, i.value]));
    assert.deepEqual(Object.fromEntries(tx), { 'go-b': '', 'go-d': 'dee' }, 'upsert and delete applied together');
    for (const i of r.afterDelete) assert.deepEqual([i.value, i.etag], ['', ''], `${i.key} deleted`);
  });

  it('secrets: get one, a nested one, bulk; a missing key and an unknown store', async () => {
    const r = await ok<{
      secret: Record<string, string>; nested: Record<string, string>; bulk: Record<string, Record<string, string>>;
      missingKey: RpcError | null; noSuchStore: RpcError | null;
    }>('secrets', env);
    assert.deepEqual(r.secret, { 'db-password': 'p@ss-w0rd' });
    assert.deepEqual(r.nested, { 'nested:user': 'alice' });
    assert.deepEqual(r.bulk, { 'db-password': { 'db-password': 'p@ss-w0rd' }, 'nested:user': { 'nested:user': 'alice' } });
    // daprd: ERR_SECRET_GET is INTERNAL, ERR_SECRET_STORE_NOT_FOUND is INVALID_ARGUMENT
    assert.equal(r.missingKey?.code, 'Internal', JSON.stringify(r.missingKey));
    assert.match(r.missingKey!.message, /no-such-secret/);
    assert.equal(r.noSuchStore?.code, 'InvalidArgument', JSON.stringify(r.noSuchStore));
    assert.match(r.noSuchStore!.message, /no-such-store/);
  });

  it('metadata: the app id and the components', async () => {
    const r = await ok<{ id: string; components: Array<{ name: string; type: string; version: string }> }>('metadata', env);
    assert.equal(r.id, APP_ID);
    const byName = new Map(r.components.map((c) => [c.name, c]));
    assert.deepEqual(byName.get('statestore'), { name: 'statestore', type: 'state.sqlite', version: 'v1' });
    assert.deepEqual(byName.get('localsecrets'), { name: 'localsecrets', type: 'secretstores.local.file', version: 'v1' });
    assert.equal(byName.get('pubsub')?.type, 'pubsub.in-memory');
  });

  it('publish: JSON, text and bulk events reach the subscribed app as CloudEvents with the APP token', async () => {
    const before = deliveries().length;
    const r = await ok<{ json: RpcError | null; text: RpcError | null; bulk: RpcError | null; bulkFailed: number; noSuchPubsub: RpcError | null }>('publish', env);
    assert.equal(r.json, null);
    assert.equal(r.text, null);
    assert.equal(r.bulk, null);
    assert.equal(r.bulkFailed, 0);
    // daprd: pub/sub not found is INVALID_ARGUMENT "pubsub <name> is not found", built with
    // dapr/kit: ErrorInfo reason DAPR_PUBSUB_NOT_FOUND, no metadata on gRPC (Go decodes a nil map)
    assert.equal(r.noSuchPubsub?.code, 'InvalidArgument', JSON.stringify(r.noSuchPubsub));
    assert.equal(r.noSuchPubsub?.message, 'pubsub no-such-pubsub is not found');
    assert.deepEqual(r.noSuchPubsub?.errorInfo, { reason: 'DAPR_PUBSUB_NOT_FOUND', domain: 'dapr.io', metadata: null });

    const got = await waitFor(() => deliveries().length >= before + 4 && deliveries().slice(before), '4 deliveries');
    const events = got.map((s) => JSON.parse(s.body.toString('utf8')) as Record<string, unknown>);
    for (const e of events) {
      assert.equal(e.topic, TOPIC);
      assert.equal(e.pubsubname, 'pubsub');
      assert.equal(e.source, APP_ID);
      assert.equal(e.type, 'com.dapr.event.sent');
    }
    const data = events.map((e) => [e.datacontenttype, e.data]);
    assert.deepEqual(data[0], ['application/json', { id: 42, from: 'go-sdk' }]);
    assert.deepEqual(data[1], ['text/plain', 'plain words']);
    assert.deepEqual(data.slice(2).map(([, d]) => d).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [{ bulk: 1 }, { bulk: 2 }]);
    for (const s of got) assertAppToken(s);
  });

  it('invoke: InvokeMethodWithContent and InvokeMethod reach the HTTP app with the APP token, not the API token', async () => {
    const before = invocations().length;
    const r = await ok<{ post: string; get: string }>('invoke', env);
    assert.deepEqual(JSON.parse(r.post), { answered: 'POST /orders/42?source=go' });
    assert.deepEqual(JSON.parse(r.get), { answered: 'GET /ping' });
    const seen = invocations().slice(before);
    assert.equal(seen.length, 2, `the app saw ${seen.map((s) => `${s.method} ${s.url}`).join(', ')}`);
    const [post, get] = seen as [Seen, Seen];
    assert.equal(post.method, 'POST');
    assert.equal(post.url, '/orders/42?source=go');
    assert.equal(post.body.toString(), '{"order":42}');
    assert.deepEqual(headerValues(post.rawHeaders, 'content-type'), ['application/json']);
    assertAppToken(post);
    assert.equal(get.method, 'GET');
    assert.equal(get.url, '/ping');
    assertAppToken(get);
  });

  it('streaming: Subscribe (SubscribeTopicEventsAlpha1) receives an event published after it, acknowledged with Success', async () => {
    // the SDK's stream interceptor carries the token, as its unary one does
    const r = await ok<{ topic: string; data: unknown }>('subscribe', env);
    assert.deepEqual(r, { topic: 'go-stream', data: { via: 'stream' } });
  });

  it('streaming: Retry redelivers the same event, Drop sends it to the dead-letter topic, an unknown pubsub is refused', async () => {
    const r = await ok<{
      sameIdAfterRetry: boolean; retriedData: unknown; deadLetterTopic: string; deadLetterSameId: boolean; deadLetterData: unknown;
      noSuchPubsub: { code: string; number: number; message: string };
    }>('subscribe-statuses', env);
    assert.equal(r.sameIdAfterRetry, true);
    assert.deepEqual(r.retriedData, { n: 1 });
    assert.equal(r.deadLetterTopic, 'go-stream-statuses-dead');
    assert.equal(r.deadLetterSameId, true);
    assert.deepEqual(r.deadLetterData, { n: 2 });
    assert.deepEqual([r.noSuchPubsub.code, r.noSuchPubsub.number, r.noSuchPubsub.message], ['InvalidArgument', 3, 'pubsub no-such-pubsub is not found']);
  });
});

describe('Go SDK, token given to WithAuthToken', () => {
  it('an explicit token alone is enough', async () => {
    const r = await ok<{ id: string }>('metadata', { token: TOKEN });
    assert.equal(r.id, APP_ID);
  });

  it('an explicit token replaces a wrong DAPR_API_TOKEN', async () => {
    const r = await ok<{ id: string }>('metadata', { envToken: 'wrong-env-token', token: TOKEN });
    assert.equal(r.id, APP_ID);
  });

  it('invoke with the explicit token: the app still gets the APP token', async () => {
    const before = invocations().length;
    await ok('invoke', { token: TOKEN });
    const seen = invocations().slice(before);
    assert.equal(seen.length, 2);
    for (const s of seen) assertAppToken(s);
  });
});

describe('Go SDK, wrong or missing token: UNAUTHENTICATED, as daprd', () => {
  const MISSING = 'missing api token in request metadata';
  const MISMATCH = 'authentication error: api token mismatch';
  const cases: Array<{ name: string; opts: GoOptions; detail: string }> = [
    { name: 'no token at all', opts: {}, detail: MISSING },
    { name: 'wrong DAPR_API_TOKEN', opts: { envToken: `${TOKEN}x` }, detail: MISMATCH },
    { name: 'wrong token to WithAuthToken', opts: { token: 'not-the-token' }, detail: MISMATCH },
    { name: "right DAPR_API_TOKEN cleared by WithAuthToken('')", opts: { envToken: TOKEN, token: '' }, detail: MISSING },
  ];

  for (const c of cases) {
    it(`${c.name}: GetMetadata fails with code 16 "Unauthorized" and daprd's ErrorInfo`, async () => {
      const run = await goclient('metadata', c.opts);
      assert.equal(run.ok, false);
      const e = run.error!;
      assert.equal(e.stage, undefined, 'building the client makes no call, so it succeeds');
      assert.equal(e.code, 'Unauthenticated');
      assert.equal(e.number, 16);
      assert.equal(e.message, 'Unauthorized');
      assert.deepEqual(e.errorInfo, { reason: 'Unauthorized', domain: 'dapr.io', metadata: { 'http.code': '401', 'http.error_message': c.detail } });
    });
  }

  it('state with a wrong token: refused before anything is written', async () => {
    const run = await goclient('state', { envToken: 'wrong' });
    assert.equal(run.error?.code, 'Unauthenticated');
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/go-a', headers: { 'dapr-api-token': TOKEN } });
    assert.equal(r.status, 204, `go-a exists: ${r.text}`);
  });

  it('invoke with a wrong token: refused, the app never called', async () => {
    const before = app.seen.length;
    const run = await goclient('invoke', { token: 'wrong' });
    assert.equal(run.error?.code, 'Unauthenticated');
    assert.equal(app.seen.length, before);
  });

  it('streaming Subscribe with a wrong token: the stream is refused, nothing is subscribed', async () => {
    const run = await goclient('subscribe', { token: 'wrong' });
    // The sidecar refuses the stream before reading it (UNAUTHENTICATED, as daprd's stream
    // interceptor). The SDK's Subscribe sends its first message right away: when the refusal
    // arrives first, grpc-go's Send reports io.EOF and the SDK returns that instead of the
    // status (it never calls Recv) — the same race exists against daprd. Either way the call
    // fails and no subscription exists.
    if (run.error?.code === 'Unauthenticated') assert.equal(run.error?.errorInfo?.metadata['http.error_message'], MISMATCH);
    else assert.match(JSON.stringify(run.error), /\bEOF\b/);
    const meta = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } });
    const subs = (JSON.parse(meta.text) as { subscriptions?: Array<{ type?: string }> }).subscriptions ?? [];
    assert.deepEqual(subs.filter((x) => x.type === 'STREAMING'), []);
  });
});
