// The pure pieces of pub/sub: CloudEvent envelopes, topic scopes and the app's subscription
// lists (routing-rule matches: match.test.ts).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, toBinary } from '@bufbuild/protobuf';
import { envelopeBytes, fromRawPayload, hasExpired, traceContext } from '../../../src/core/pubsub-cloudevents.js';
import { scopedTopics, topicAllowed, topicRules } from '../../../src/core/pubsub-scopes.js';
import { loadMatchEngine } from '../../../src/pubsub/match.js';
import { parseGrpcSubscriptions, parseHttpSubscriptions } from '../../../src/pubsub/programmatic.js';
import { routeFor } from '../../../src/pubsub/subscription.js';
import { ListTopicSubscriptionsResponseSchema } from '../../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';

const trace = { traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', traceState: '' };
const envelope = (contentType: string, data: string | Buffer, md: Record<string, string> = {}) =>
  JSON.parse(Buffer.from(envelopeBytes({ source: 'app', topic: 't', pubsubName: 'ps', dataContentType: contentType, data: Buffer.from(data), trace }, md, Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toString()) as Record<string, unknown>;

describe('CloudEvent envelopes', () => {
  test('JSON data, defaults and the Go key order', () => {
    const bytes = Buffer.from(envelopeBytes({ source: 'app', topic: 't', pubsubName: 'ps', dataContentType: 'application/json', data: Buffer.from('{"a":1}'), trace }, {}, Date.UTC(2026, 0, 2, 3, 4, 5))).toString();
    const keys = Object.keys(JSON.parse(bytes) as object);
    assert.deepEqual(keys, ['data', 'datacontenttype', 'id', 'pubsubname', 'source', 'specversion', 'time', 'topic', 'traceid', 'traceparent', 'tracestate', 'type']);
    const e = envelope('application/json', '{"a":1}');
    assert.deepEqual([e.data, e.time, e.type, e.specversion, e.traceid], [{ a: 1 }, '2026-01-02T03:04:05Z', 'com.dapr.event.sent', '1.0', trace.traceParent]);
  });

  test('invalid JSON becomes a string; no content type is text/plain; cloudevent.* overrides', () => {
    assert.equal(envelope('application/json', '{oops').data, '{oops');
    assert.equal(envelope('', 'x').datacontenttype, 'text/plain');
    const e = envelope('text/plain', 'x', { 'cloudevent.id': 'my-id', 'cloudevent.type': 'my.type', 'cloudevent.subject': 'sub' });
    assert.deepEqual([e.id, e.type, e.subject], ['my-id', 'my.type', 'sub']);
  });

  test('trace context: continues a valid traceparent, else starts a new trace', () => {
    const t = traceContext('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'a=b');
    assert.match(t.traceParent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    assert.equal(t.traceState, 'a=b');
    assert.match(traceContext('garbage').traceParent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  test('raw payloads and expiry', () => {
    const r = fromRawPayload(Buffer.from('hi'), 't', 'ps', { traceparent: 'tp' });
    assert.deepEqual([r.data_base64, r.datacontenttype, r.traceid, r.traceparent], ['aGk=', 'application/octet-stream', 'tp', 'tp']);
    assert.ok(hasExpired({ expiration: '2000-01-01T00:00:00Z' }, Date.now()));
    assert.ok(!hasExpired({ expiration: 'not a date' }, Date.now()));
    assert.ok(!hasExpired({}, Date.now()));
  });
});

describe('topic scopes (daprd rules)', () => {
  const md = { publishingScopes: 'app1=a,b;app2=', allowedTopics: 'a,b,c', protectedTopics: 'c' };
  test('per-app scopes; an app listed without topics may use none', () => {
    assert.deepEqual(scopedTopics(md, 'publishingScopes', 'app1'), ['a', 'b']);
    assert.deepEqual(scopedTopics(md, 'publishingScopes', 'app2'), ['']);
    assert.deepEqual(scopedTopics(md, 'publishingScopes', 'app3'), []);
  });
  test('allowedTopics limits everyone, protectedTopics need a scope', () => {
    const r1 = topicRules(md, 'app1');
    assert.deepEqual(['a', 'b', 'c', 'd'].map((t) => topicAllowed(t, r1, r1.publishing)), [true, true, false, false]);
    const r3 = topicRules(md, 'app3');
    assert.deepEqual(['a', 'c'].map((t) => topicAllowed(t, r3, r3.publishing)), [true, false]);
    const r2 = topicRules(md, 'app2');
    assert.equal(topicAllowed('a', r2, r2.publishing), false);
  });
});

describe("the app's subscription lists", () => {
  before(() => loadMatchEngine());

  test('/dapr/subscribe: v1 route, v2 routes, entries without a route skipped', () => {
    const body = Buffer.from(JSON.stringify([
      { pubsubname: 'ps', topic: 'a', route: '/a', metadata: { rawPayload: 'true' }, deadLetterTopic: 'dl' },
      { pubsubname: 'ps', topic: 'b', routes: { rules: [{ match: 'event.type == "x"', path: '/x' }], default: '/b' } },
      { pubsubname: 'ps', topic: 'c' },
      { pubsubname: 'ps', topic: 'd', routes: { rules: [{ match: 'bad(', path: '/d' }] } },
    ]));
    const p = parseHttpSubscriptions(body);
    assert.deepEqual(p.subscriptions.map((s) => [s.topic, s.rules.map((r) => r.path), s.deadLetterTopic, s.metadata]), [
      ['a', ['/a'], 'dl', { rawPayload: 'true' }],
      ['b', ['/x', '/b'], '', {}],
    ]);
    assert.equal(p.problems.length, 2);
    assert.equal(routeFor(p.subscriptions[1]!, { type: 'x' }), '/x');
    assert.equal(routeFor(p.subscriptions[1]!, { type: 'y' }), '/b');
    assert.deepEqual(parseHttpSubscriptions(Buffer.from('')).subscriptions, []);
    assert.equal(parseHttpSubscriptions(Buffer.from('{"not":"a list"}')).problems.length, 1);
  });

  test('ListTopicSubscriptions: a subscription without routes gets path ""', () => {
    const msg = toBinary(ListTopicSubscriptionsResponseSchema, create(ListTopicSubscriptionsResponseSchema, {
      subscriptions: [{ pubsubName: 'ps', topic: 'a' }, { pubsubName: 'ps', topic: 'b', routes: { default: '/b' } }],
    }));
    const p = parseGrpcSubscriptions(msg);
    assert.deepEqual(p.subscriptions.map((s) => [s.topic, s.rules.map((r) => r.path)]), [['a', ['']], ['b', ['/b']]]);
  });
});
