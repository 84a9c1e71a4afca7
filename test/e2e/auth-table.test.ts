// API-token authentication, black-box, over both protocols, from ONE table of edge cases.
// Raw clients only (node:http with raw paths, node:http2 with hand-made gRPC frames) so that
// what is tested is what is on the wire.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { GetStateRequestSchema, GetStateResponseSchema } from '../../src/gen/dapr/proto/runtime/v1/state_pb.js';
import { GetMetadataRequestSchema, GetMetadataResponseSchema } from '../../src/gen/dapr/proto/runtime/v1/metadata_pb.js';
import { TryLockRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/lock_pb.js';
import { SubscribeConfigurationRequestSchema } from '../../src/gen/dapr/proto/runtime/v1/configuration_pb.js';
import { SubscribeTopicEventsRequestAlpha1Schema } from '../../src/gen/dapr/proto/runtime/v1/pubsub_pb.js';
import { httpRaw, jsonOf, startSidecar, stopAll, type RawResponse, type Sidecar } from '../helpers/sidecar.js';
import { DAPR_SERVICE, decodeOne, grpcRaw, GrpcStatus, type GrpcRawResponse } from '../helpers/grpc.js';

const TOKEN = 'e2e-Tok3n-7c1d9a4f-swordfish';
const WRONG = 'e2e-Wr0ng-7c1d9a4f-swordfish'; // same length, one different character group
const SECRET_VALUE = 'secret-state-value-must-not-leak';

// ---------------------------------------------------------------------------------------
// The table: one row per way of presenting (or not) the token. `allowed` is the expected
// outcome on BOTH protocols; `detail` is the gRPC ErrorInfo http.error_message when denied.

type Presented = Record<string, string | string[]>;

interface AuthCase {
  name: string;
  http: Presented;
  /** gRPC metadata (HTTP/2 header names are lower-case on the wire) */
  grpc: Presented;
  allowed: boolean;
  detail?: readonly string[];
}

const MISSING = 'missing api token in request metadata';
const MISMATCH = 'authentication error: api token mismatch';

const CASES: AuthCase[] = [
  { name: 'no token', http: {}, grpc: {}, allowed: false, detail: [MISSING] },
  { name: 'wrong token of the same length', http: { 'dapr-api-token': WRONG }, grpc: { 'dapr-api-token': WRONG }, allowed: false, detail: [MISMATCH] },
  { name: 'right token', http: { 'dapr-api-token': TOKEN }, grpc: { 'dapr-api-token': TOKEN }, allowed: true },
  { name: 'token one character longer', http: { 'dapr-api-token': TOKEN + 'x' }, grpc: { 'dapr-api-token': TOKEN + 'x' }, allowed: false, detail: [MISMATCH] },
  { name: 'token one character shorter', http: { 'dapr-api-token': TOKEN.slice(0, -1) }, grpc: { 'dapr-api-token': TOKEN.slice(0, -1) }, allowed: false, detail: [MISMATCH] },
  { name: 'token followed by extra characters', http: { 'dapr-api-token': `${TOKEN}  x` }, grpc: { 'dapr-api-token': `${TOKEN}  x` }, allowed: false, detail: [MISMATCH] },
  { name: 'empty token header', http: { 'dapr-api-token': '' }, grpc: { 'dapr-api-token': '' }, allowed: false, detail: [MISSING, MISMATCH] },
  { name: 'token in another header name', http: { authorization: `Bearer ${TOKEN}` }, grpc: { authorization: `Bearer ${TOKEN}` }, allowed: false, detail: [MISSING] },
  { name: 'duplicated header, right value first (first value wins)', http: { 'dapr-api-token': [TOKEN, WRONG] }, grpc: { 'dapr-api-token': [TOKEN, WRONG] }, allowed: true },
  { name: 'duplicated header, wrong value first (first value wins)', http: { 'dapr-api-token': [WRONG, TOKEN] }, grpc: { 'dapr-api-token': [WRONG, TOKEN] }, allowed: false, detail: [MISMATCH] },
  { name: 'one header value holding the right token, a comma and another value', http: { 'dapr-api-token': `${TOKEN}, ${WRONG}` }, grpc: { 'dapr-api-token': `${TOKEN}, ${WRONG}` }, allowed: false, detail: [MISMATCH] },
  { name: 'header name in upper case', http: { 'DAPR-API-TOKEN': TOKEN }, grpc: { 'dapr-api-token': TOKEN }, allowed: true },
  { name: 'header name in mixed case', http: { 'Dapr-Api-Token': TOKEN }, grpc: { 'dapr-api-token': TOKEN }, allowed: true },
  { name: 'token in lower case (tokens are case-sensitive)', http: { 'dapr-api-token': TOKEN.toLowerCase() }, grpc: { 'dapr-api-token': TOKEN.toLowerCase() }, allowed: false, detail: [MISMATCH] },
];

/** Every response of this file, to check that the token never travels back. */
const seenResponses: string[] = [];

function recordHttp(r: RawResponse): RawResponse {
  seenResponses.push(JSON.stringify(r.rawHeaders) + r.text);
  return r;
}
function recordGrpc(r: GrpcRawResponse): GrpcRawResponse {
  // served or refused, the head is grpc-go's: no Date header (node's http2 adds one by default)
  assert.equal(r.headers.date, undefined, 'a gRPC answer carries no Date header');
  seenResponses.push(r.allHeaderText + Buffer.concat(r.messages.map((m) => Buffer.from(m))).toString('latin1'));
  return r;
}

function assertHttpUnauthorized(r: RawResponse, what: string): void {
  assert.equal(r.status, 401, `${what}: expected 401, got ${r.status} ${r.text}`);
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', what);
  assert.equal(r.text, 'invalid api token\n', what);
}

function assertGrpcUnauthenticated(r: GrpcRawResponse, what: string, detail?: readonly string[]): void {
  assert.equal(r.code, GrpcStatus.UNAUTHENTICATED, `${what}: expected UNAUTHENTICATED, got ${r.code} ${r.message}`);
  assert.equal(r.message, 'Unauthorized', what);
  assert.ok(r.status, `${what}: grpc-status-details-bin missing`);
  assert.equal(r.status.code, GrpcStatus.UNAUTHENTICATED, what);
  assert.ok(r.errorInfo, `${what}: no ErrorInfo detail`);
  assert.equal(r.errorInfo.reason, 'Unauthorized', what);
  assert.equal(r.errorInfo.domain, 'dapr.io', what);
  assert.equal(r.errorInfo.metadata['http.code'], '401', what);
  const msg = r.errorInfo.metadata['http.error_message'];
  if (detail) assert.ok(detail.includes(msg ?? ''), `${what}: http.error_message ${JSON.stringify(msg)} not in ${JSON.stringify(detail)}`);
  assert.equal(r.messages.length, 0, `${what}: a denied call must not return a message`);
}

let sc: Sidecar;

before(async () => {
  sc = await startSidecar({ appId: 'auth-e2e', token: TOKEN });
  // a stored value that a bypass would reveal
  const r = await httpRaw({
    port: sc.httpPort,
    method: 'POST',
    path: '/v1.0/state/statestore',
    headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' },
    body: JSON.stringify([{ key: 'k', value: SECRET_VALUE }, { key: 'healthz', value: SECRET_VALUE }]),
  });
  assert.equal(r.status, 204, r.text);
});

after(stopAll);

describe('HTTP API token check (table)', () => {
  for (const c of CASES) {
    test(`HTTP GET /v1.0/metadata with ${c.name} is ${c.allowed ? 'served' : 'refused with 401'}`, async () => {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: c.http }));
      if (c.allowed) {
        assert.equal(r.status, 200, r.text);
        assert.equal(jsonOf<{ id: string }>(r).id, 'auth-e2e');
      } else {
        assertHttpUnauthorized(r, c.name);
      }
    });

    test(`HTTP GET of a stored state key with ${c.name} ${c.allowed ? 'returns the value' : 'reveals nothing'}`, async () => {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/k', headers: c.http }));
      if (c.allowed) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.text, JSON.stringify(SECRET_VALUE));
      } else {
        assertHttpUnauthorized(r, c.name);
      }
    });

    test(`HTTP unknown route with ${c.name} answers ${c.allowed ? '404 ERR_DIRECT_INVOKE' : '401 before 404'}`, async () => {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/no/such/route', headers: c.http }));
      if (c.allowed) {
        assert.equal(r.status, 404, r.text);
        assert.equal(jsonOf<{ errorCode: string }>(r).errorCode, 'ERR_DIRECT_INVOKE');
      } else {
        assertHttpUnauthorized(r, c.name);
      }
    });
  }

  test('a known path with the wrong method is 401 without token and 404 ERR_DIRECT_INVOKE with it', async () => {
    const no = recordHttp(await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/statestore/k', headers: { 'content-type': 'application/json' }, body: '[]' }));
    assertHttpUnauthorized(no, 'POST state/k without token');
    const yes = recordHttp(await httpRaw({ port: sc.httpPort, method: 'POST', path: '/v1.0/state/statestore/k', headers: { 'dapr-api-token': TOKEN, 'content-type': 'application/json' }, body: '[]' }));
    assert.equal(yes.status, 404, yes.text);
    assert.equal(jsonOf<{ errorCode: string }>(yes).errorCode, 'ERR_DIRECT_INVOKE');
  });

  test('OPTIONS and HEAD on protected routes need the token when CORS is off', async () => {
    for (const method of ['OPTIONS', 'HEAD', 'PATCH', 'DELETE']) {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, method, path: '/v1.0/metadata' }));
      assert.equal(r.status, 401, `${method} /v1.0/metadata: ${r.status}`);
    }
  });
});

describe('HTTP healthz exemption is exactly GET /v1.0/healthz and GET /v1.0/healthz/outbound', () => {
  for (const path of ['/v1.0/healthz', '/v1.0/healthz/outbound', '/v1.0/healthz/', '/v1.0/healthz/outbound/', '/v1.0/healthz?x=1', '/v1.0/healthz?appid=auth-e2e']) {
    test(`GET ${path} without token answers 204`, async () => {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, path }));
      assert.equal(r.status, 204, `${path}: ${r.status} ${r.text}`);
      assert.equal(r.text, '');
    });
  }

  test('?appid must match on /v1.0/healthz; /v1.0/healthz/outbound ignores it, as daprd', async () => {
    const other = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz?appid=someone-else' }));
    assert.equal(other.status, 500);
    assert.equal(JSON.parse(other.text).errorCode, 'ERR_HEALTH_APPID_NOT_MATCH');
    const outbound = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz/outbound?appid=someone-else' }));
    assert.equal(outbound.status, 204, outbound.text);
  });

  test('GET /v1.0/healthz with a wrong token is still answered (exempt routes ignore the token)', async () => {
    const r = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/healthz', headers: { 'dapr-api-token': WRONG } }));
    assert.equal(r.status, 204);
  });

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    test(`${method} /v1.0/healthz without token is refused with 401`, async () => {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, method, path: '/v1.0/healthz', headers: { 'content-type': 'application/json' }, body: '{}' }));
      assertHttpUnauthorized(r, `${method} /v1.0/healthz`);
    });
  }

  // Path tricks: whatever route the router picks decides. Being served as healthz (204, empty)
  // is fine; serving ANYTHING else without the token is a bypass.
  const TRICKS = [
    '/v1.0/healthz/../state/statestore/k',
    '/v1.0/healthz/../metadata',
    '/v1.0//healthz/../metadata',
    '/v1.0/healthz/%2e%2e/metadata',
    '/v1.0/healthz%2F..%2Fmetadata',
    '/v1.0/%68ealthz',
    '/v1.0/%68ealthz/../state/statestore/k',
    '/v1.0/healthz/outbound/../../state/statestore/k',
    '/v1.0/healthz/extra',
    '/v1.0/healthz/outbound/extra',
    '/V1.0/HEALTHZ',
    '/v1.0/healthz;/../metadata',
    '/v1.0/healthz\\..\\metadata',
    '//v1.0/healthz',
    '/v1.0/./healthz',
  ];
  for (const path of TRICKS) {
    test(`GET ${path} without token is never served as anything but healthz`, async () => {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, path }));
      if (r.status === 204) {
        assert.equal(r.text, '', `${path}: 204 with a body`);
      } else {
        assertHttpUnauthorized(r, path);
      }
      assert.ok(!r.text.includes(SECRET_VALUE), `${path} leaked the stored value`);
      assert.ok(!r.text.includes('auth-e2e'), `${path} leaked metadata`);
    });
  }

  test('GET /v1.0/metadata?x=/healthz (CVE-2023-37918 style) is refused with 401', async () => {
    for (const path of ['/v1.0/metadata?x=/healthz', '/v1.0/metadata?/v1.0/healthz', '/v1.0/metadata#/v1.0/healthz', '/v1.0/state/statestore/k?healthz']) {
      const r = recordHttp(await httpRaw({ port: sc.httpPort, path }));
      assertHttpUnauthorized(r, path);
    }
  });

  test('GET /v1.0/state/statestore/healthz (a state key named healthz) is refused with 401', async () => {
    const r = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/healthz' }));
    assertHttpUnauthorized(r, 'state key healthz');
    const ok = recordHttp(await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/healthz', headers: { 'dapr-api-token': TOKEN } }));
    assert.equal(ok.status, 200);
    assert.equal(ok.text, JSON.stringify(SECRET_VALUE));
  });
});

// ---------------------------------------------------------------------------------------
// gRPC: every table row against unary, unimplemented, unknown-service, server-streaming and
// bidi methods.

interface GrpcTarget {
  name: string;
  path: string;
  messages: Uint8Array[];
  endStream: boolean;
  /** check of an allowed call */
  allowed: (r: GrpcRawResponse) => void;
}

const TARGETS: GrpcTarget[] = [
  {
    name: 'unary GetState',
    path: `${DAPR_SERVICE}/GetState`,
    messages: [toBinary(GetStateRequestSchema, create(GetStateRequestSchema, { storeName: 'statestore', key: 'k' }))],
    endStream: true,
    allowed: (r) => {
      assert.equal(r.code, GrpcStatus.OK, `${r.code} ${r.message}`);
      assert.equal(Buffer.from(decodeOne(GetStateResponseSchema, r).data).toString(), JSON.stringify(SECRET_VALUE));
    },
  },
  {
    name: 'unary GetMetadata',
    path: `${DAPR_SERVICE}/GetMetadata`,
    messages: [toBinary(GetMetadataRequestSchema, create(GetMetadataRequestSchema))],
    endStream: true,
    allowed: (r) => {
      assert.equal(r.code, GrpcStatus.OK, `${r.code} ${r.message}`);
      assert.equal(decodeOne(GetMetadataResponseSchema, r).id, 'auth-e2e');
    },
  },
  {
    name: 'unimplemented TryLockAlpha1',
    path: `${DAPR_SERVICE}/TryLockAlpha1`,
    messages: [toBinary(TryLockRequestSchema, create(TryLockRequestSchema, { storeName: 'l', resourceId: 'r' }))],
    endStream: true,
    allowed: (r) => assert.equal(r.code, GrpcStatus.UNIMPLEMENTED, `${r.code} ${r.message}`),
  },
  {
    name: 'unknown service /foo.Bar/Baz',
    path: '/foo.Bar/Baz',
    messages: [new Uint8Array()],
    endStream: true,
    // daprd hands unknown services to its proxy (Unknown without dapr-app-id); Pillion says
    // UNIMPLEMENTED. Either way: past the token check, and no data.
    allowed: (r) => {
      assert.ok(r.code === GrpcStatus.UNIMPLEMENTED || r.code === GrpcStatus.UNKNOWN, `${r.code} ${r.message}`);
      assert.equal(r.messages.length, 0);
    },
  },
  {
    name: 'unknown method on the Dapr service',
    path: `${DAPR_SERVICE}/NoSuchMethod`,
    messages: [new Uint8Array()],
    endStream: true,
    allowed: (r) => assert.ok(r.code === GrpcStatus.UNIMPLEMENTED || r.code === GrpcStatus.UNKNOWN, `${r.code} ${r.message}`),
  },
  {
    name: 'server-streaming SubscribeConfiguration',
    path: `${DAPR_SERVICE}/SubscribeConfiguration`,
    messages: [toBinary(SubscribeConfigurationRequestSchema, create(SubscribeConfigurationRequestSchema, { storeName: 'cfg' }))],
    endStream: true,
    allowed: (r) => {
      assert.notEqual(r.code, GrpcStatus.UNAUTHENTICATED);
      assert.notEqual(r.code, undefined, 'no grpc-status');
    },
  },
  {
    name: 'bidi SubscribeTopicEventsAlpha1 (request stream left open)',
    path: `${DAPR_SERVICE}/SubscribeTopicEventsAlpha1`,
    // An initial request for a pubsub that does not exist: past the token check, the sidecar
    // refuses it at once (a stream without any message would wait for one, as daprd does).
    messages: [toBinary(SubscribeTopicEventsRequestAlpha1Schema, create(SubscribeTopicEventsRequestAlpha1Schema, {
      subscribeTopicEventsRequestType: { case: 'initialRequest', value: { pubsubName: 'no-such-pubsub', topic: 't' } },
    }))],
    endStream: false,
    allowed: (r) => {
      assert.equal(r.code, GrpcStatus.INVALID_ARGUMENT, `${r.code} ${r.message}`);
      assert.equal(r.message, 'pubsub no-such-pubsub is not found');
    },
  },
];

describe('gRPC API token check (table)', () => {
  for (const t of TARGETS) {
    for (const c of CASES) {
      test(`gRPC ${t.name} with ${c.name} is ${c.allowed ? 'let through' : 'refused with UNAUTHENTICATED'}`, async () => {
        const r = recordGrpc(await grpcRaw({ port: sc.grpcPort, path: t.path, metadata: c.grpc, messages: t.messages, endStream: t.endStream, timeoutMs: 5000 }));
        if (c.allowed) t.allowed(r);
        else assertGrpcUnauthenticated(r, `${t.name} / ${c.name}`, c.detail);
      });
    }
  }

  test('gRPC reflection is covered by the token check', async () => {
    for (const path of ['/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo']) {
      const r = recordGrpc(await grpcRaw({ port: sc.grpcPort, path, messages: [], endStream: false, timeoutMs: 5000 }));
      assertGrpcUnauthenticated(r, path, [MISSING]);
    }
  });

  test('gRPC health service is covered by the token check', async () => {
    const r = recordGrpc(await grpcRaw({ port: sc.grpcPort, path: '/grpc.health.v1.Health/Check', messages: [new Uint8Array()], timeoutMs: 5000 }));
    assertGrpcUnauthenticated(r, 'grpc.health', [MISSING]);
  });

  test('a denied gRPC call with a large upload is answered promptly without reading it', async () => {
    const big = new Uint8Array(2 * 1024 * 1024).fill(7);
    const start = Date.now();
    const r = recordGrpc(await grpcRaw({ port: sc.grpcPort, path: `${DAPR_SERVICE}/SaveState`, raw: Buffer.concat([Buffer.from([0, 0, 0x20, 0, 0]), big]), endStream: false, timeoutMs: 5000 }));
    assertGrpcUnauthenticated(r, 'SaveState upload', [MISSING]);
    assert.ok(Date.now() - start < 3000);
  });
});

describe('the token never leaks', () => {
  test('no response body or header of this file contains the token', () => {
    assert.ok(seenResponses.length > 100, `only ${seenResponses.length} responses recorded`);
    for (const s of seenResponses) assert.ok(!s.includes(TOKEN), `response contains the token: ${s.slice(0, 300)}`);
  });

  test('the sidecar log announces token auth on both servers but never shows the token or presented values', async () => {
    const out = sc.output;
    assert.match(out, /Enabled token authentication on HTTP server/);
    assert.match(out, /Enabled token authentication on gRPC server/);
    assert.ok(!out.includes(TOKEN), 'the log contains the configured token');
    assert.ok(!out.includes(WRONG), 'the log contains a presented (wrong) token');
    assert.ok(!out.includes(TOKEN.slice(0, 12)), 'the log contains a prefix of the token');
  });

  test('the metadata API does not expose the token', async () => {
    const r = await httpRaw({ port: sc.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': TOKEN } });
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes(TOKEN));
  });
});

describe('public port (no auth, healthz only)', () => {
  test('GET /v1.0/healthz on the public port answers 204 without token', async () => {
    for (const path of ['/v1.0/healthz', '/v1.0/healthz/outbound']) {
      const r = await httpRaw({ port: sc.ports.public, path });
      assert.equal(r.status, 204, `${path}: ${r.status} ${r.text}`);
    }
  });

  test('the public port does not serve metadata or state without the token', async () => {
    for (const path of ['/v1.0/metadata', '/v1.0/state/statestore/k', '/v1.0/healthz/../state/statestore/k', '/v1.0/secrets/x/y']) {
      const r = recordHttp(await httpRaw({ port: sc.ports.public, path }));
      assert.notEqual(r.status, 200, `${path} served on the public port: ${r.text}`);
      assert.ok(!r.text.includes(SECRET_VALUE), `${path} leaked state on the public port`);
    }
    const post = await httpRaw({ port: sc.ports.public, method: 'POST', path: '/v1.0/state/statestore', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ key: 'k', value: 'overwritten' }]) });
    assert.notEqual(post.status, 204, 'state saved through the public port');
    const still = await httpRaw({ port: sc.httpPort, path: '/v1.0/state/statestore/k', headers: { 'dapr-api-token': TOKEN } });
    assert.equal(still.text, JSON.stringify(SECRET_VALUE));
  });
});

describe('auth OFF (no DAPR_API_TOKEN)', () => {
  let open: Sidecar;
  before(async () => {
    open = await startSidecar({ appId: 'open-e2e' });
  });

  test('HTTP: every route is served without a token, and a stray token header is ignored', async () => {
    const save = await httpRaw({ port: open.httpPort, method: 'POST', path: '/v1.0/state/statestore', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ key: 'a', value: 1 }]) });
    assert.equal(save.status, 204, save.text);
    const get = await httpRaw({ port: open.httpPort, path: '/v1.0/state/statestore/a' });
    assert.equal(get.status, 200);
    assert.equal(get.text, '1');
    const md = await httpRaw({ port: open.httpPort, path: '/v1.0/metadata', headers: { 'dapr-api-token': 'anything' } });
    assert.equal(md.status, 200);
    assert.equal(jsonOf<{ id: string }>(md).id, 'open-e2e');
    const unknown = await httpRaw({ port: open.httpPort, path: '/v1.0/nope' });
    assert.equal(unknown.status, 404);
  });

  test('gRPC: calls succeed without metadata, with or without a stray token', async () => {
    for (const metadata of [{}, { 'dapr-api-token': 'anything' }] as Record<string, string>[]) {
      const r = await grpcRaw({ port: open.grpcPort, path: `${DAPR_SERVICE}/GetMetadata`, metadata, messages: [new Uint8Array()] });
      assert.equal(r.code, GrpcStatus.OK, `${r.code} ${r.message}`);
      assert.equal(decodeOne(GetMetadataResponseSchema, r).id, 'open-e2e');
    }
    const pub = await grpcRaw({ port: open.grpcPort, path: `${DAPR_SERVICE}/TryLockAlpha1`, messages: [new Uint8Array()] });
    assert.equal(pub.code, GrpcStatus.UNIMPLEMENTED);
  });

  test('the log does not claim token authentication', () => {
    assert.doesNotMatch(open.output, /Enabled token authentication/);
  });
});
