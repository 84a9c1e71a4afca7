// Routing-rule `match` expressions: CEL over `event` (the CloudEvent decoded from JSON), with
// cel-go's semantics where routing rules meet them — operators, functions, JSON numbers as
// doubles, missing keys as evaluation errors — and how the route choice treats an error.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeBytes } from '../../../src/core/pubsub-cloudevents.js';
import { compileMatch, loadMatchEngine, MatchEvalError, MatchSyntaxError } from '../../../src/pubsub/match.js';
import { readInbound } from '../../../src/pubsub/inbound.js';
import { buildRules, routeFor, type Subscription } from '../../../src/pubsub/subscription.js';

const event = {
  specversion: '1.0', id: 'e-1', source: 'billing', type: 'order.created', datacontenttype: 'application/json',
  data: { amount: 150, count: 1, ratio: 0.5, name: 'Alice', vip: true, region: null, tags: ['new', 'eu'], address: { city: 'Oslo' } },
};
const run = (expr: string, ev: Readonly<Record<string, unknown>> = event): boolean => compileMatch(expr)(ev);

before(() => loadMatchEngine());

describe('match expressions evaluate as CEL', () => {
  test('comparisons, on strings and on numbers', () => {
    const cases: Array<[string, boolean]> = [
      ['event.type == "order.created"', true],
      ["event.type == 'order.created'", true],
      ['event.type != "order.created"', false],
      ['event.data.amount > 100', true],
      ['event.data.amount >= 150', true],
      ['event.data.amount < 150', false],
      ['event.data.amount <= 149.5', false],
      ['event.source < "c"', true],
      ['event.data.vip == true', true],
      ['event.data.region == null', true],
      ['event.data.address.city == "Oslo"', true],
      ['event["type"] == "order.created"', true],
      ['event.data.tags[1] == "eu"', true],
    ];
    for (const [expr, want] of cases) assert.equal(run(expr), want, expr);
  });

  test('&&, ||, !, ?: and parentheses, with CEL precedence', () => {
    const cases: Array<[string, boolean]> = [
      ['event.data.amount > 100 && event.type.startsWith("order.")', true],
      ['event.type == "x" || event.data.name == "Alice"', true],
      ['!(event.type == "x")', true],
      ['!event.data.vip', false],
      ['event.type == "x" || event.data.vip && event.data.amount > 1000', false],
      ['(event.type == "x" || event.data.vip) && event.data.amount > 100', true],
      ['event.data.amount > 100 ? event.data.vip : false', true],
      ['event.type == "a && b" || event.type == "order.created"', true],
    ];
    for (const [expr, want] of cases) assert.equal(run(expr), want, expr);
  });

  test('in, has() and the macros', () => {
    const cases: Array<[string, boolean]> = [
      ['"eu" in event.data.tags', true],
      ['"us" in event.data.tags', false],
      ['"amount" in event.data', true],
      ['event.type in ["order.created", "order.updated"]', true],
      ['has(event.data.amount)', true],
      ['has(event.data.discount)', false],
      ['has(event.data.address.city)', true],
      ['event.data.tags.exists(t, t == "new")', true],
      ['event.data.tags.all(t, size(t) == 2)', false],
    ];
    for (const [expr, want] of cases) assert.equal(run(expr), want, expr);
  });

  test('string functions: startsWith, endsWith, contains, matches, size', () => {
    const cases: Array<[string, boolean]> = [
      ['event.type.startsWith("order.")', true],
      ['event.type.endsWith(".created")', true],
      ['event.data.name.contains("lic")', true],
      ['event.data.name.matches("^A[a-z]+e$")', true],
      ['event.source.matches("^bill$")', false],
      ['size(event.data.name) == 5', true],
      ['event.data.name.size() == 5', true],
      ['size(event.data.tags) == 2', true],
      ['size(event.data) > 3', true],
    ];
    for (const [expr, want] of cases) assert.equal(run(expr), want, expr);
  });

  test('JSON numbers are doubles, compared with int, uint and double literals as cel-go does', () => {
    const cases: Array<[string, boolean]> = [
      ['type(event.data.count) == double', true],
      ['event.data.count == 1', true],
      ['event.data.count == 1.0', true],
      ['event.data.count == 1u', true],
      ['event.data.amount > 100u', true],
      ['event.data.ratio < 1', true],
      ['int(event.data.amount) == 150', true],
      ['uint(event.data.amount) == 150u', true],
      ['string(event.data.count) == "1"', true],
      ['event.data.count != 2', true],
    ];
    for (const [expr, want] of cases) assert.equal(run(expr), want, expr);
    // Arithmetic does not mix them: double + int has no overload.
    assert.throws(() => run('event.data.count + 1 == 2'), MatchEvalError);
    assert.equal(run('event.data.count + 1.0 == 2.0'), true);
  });

  test('a compiled matcher is reused across events', () => {
    const m = compileMatch('event.data.amount > 100 && event.type.startsWith("order.")');
    assert.equal(m({ type: 'order.paid', data: { amount: 101 } }), true);
    assert.equal(m({ type: 'order.paid', data: { amount: 99 } }), false);
    assert.equal(m({ type: 'invoice.paid', data: { amount: 101 } }), false);
  });
});

describe('bad expressions are refused when the subscription is read', () => {
  test('syntax errors, type errors, unknown names and non-boolean results', () => {
    const bad: Array<[string, RegExp]> = [
      ['bad(', /Unexpected token/],
      ['event.type ==', /Unexpected token/],
      ['event.type == order', /Unknown variable: order/],
      ['foo == 1', /Unknown variable: foo/],
      ['1 + "a" == 2', /no such overload/],
      ['"ell" in "hello"', /no such overload/],
      ['size(event)', /type int, not bool/],
      ['"yes"', /type string, not bool/],
    ];
    for (const [expr, why] of bad) {
      assert.throws(() => compileMatch(expr), (err: unknown) => {
        assert.ok(err instanceof MatchSyntaxError, expr);
        assert.match(err.message, new RegExp(`^invalid match expression ${JSON.stringify(expr).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
        assert.match(err.message, why, expr);
        assert.doesNotMatch(err.message, /\n/, 'one line');
        return true;
      });
    }
  });

  test('the position of a syntax error is named', () => {
    assert.throws(() => compileMatch('event.type == "x" &&'), /at character \d+/);
  });
});

describe('evaluation errors (daprd: the event is not routed, not "no match")', () => {
  test('a missing key, a bad index, a bad regular expression and a non-boolean dyn result throw', () => {
    for (const expr of ['event.missing == "x"', 'event.data.tags[5] == "x"', 'event.type.matches("[")', 'event.type', 'event.data.name.startsWith(1)']) {
      assert.throws(() => run(expr), MatchEvalError, expr);
    }
    assert.throws(() => run('event.type'), /not a boolean/);
  });

  test('&& and || absorb an error when the other side decides, as in CEL', () => {
    assert.equal(run('event.missing == "x" || event.data.vip'), true);
    assert.equal(run('event.data.vip || event.missing == "x"'), true);
    assert.equal(run('event.missing == "x" && event.type == "nope"'), false);
    assert.throws(() => run('event.missing == "x" || event.type == "nope"'), MatchEvalError);
  });

  test('has() guards a field that may be absent', () => {
    const m = compileMatch('has(event.data.discount) && event.data.discount > 10');
    assert.equal(m(event), false);
    assert.equal(m({ ...event, data: { discount: 20 } }), true);
  });

  test('own keys only: object prototype members are not event fields', () => {
    assert.equal(run('has(event.constructor)'), false);
    assert.equal(run('"toString" in event'), false);
  });
});

describe('routing with CEL rules', () => {
  const subscription = (rules: Array<{ match: string; path: string }>, defaultPath?: string): Subscription => ({
    pubsubName: 'ps', topic: 'orders', metadata: {}, rules: buildRules(rules, defaultPath, undefined),
    deadLetterTopic: '', kind: 'programmatic', source: 'test', bulkSubscribe: undefined,
  });
  // The bytes a publish puts on the broker, as the subscriber reads them.
  const message = (data: string, contentType: string, type = 'order.created') => ({
    topic: 'orders', metadata: {}, attempt: 1, lastAttempt: false,
    data: envelopeBytes({
      source: 'app', topic: 'orders', pubsubName: 'ps', dataContentType: contentType, data: Buffer.from(data),
      trace: { traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', traceState: '' },
    }, { 'cloudevent.type': type, 'cloudevent.id': 'ev-7' }, Date.UTC(2026, 0, 2)),
  });
  const route = (sub: Subscription, data: string, contentType = 'application/json', type?: string) => {
    const r = readInbound(message(data, contentType, type), sub, Date.UTC(2026, 0, 2));
    return r.kind === 'deliver' ? r.route : r.kind === 'skip' ? `skip:${r.reason}` : `invalid:${r.reason}`;
  };

  test('event.data is the JSON payload when the content type is JSON, else the text', () => {
    // (the text rule first: `event.data.amount` on a string is an evaluation error)
    const sub = subscription([
      { match: 'event.data == "hello"', path: '/text' },
      { match: 'event.data.amount > 100 && event.type.startsWith("order.")', path: '/big' },
    ], '/orders');
    assert.equal(route(sub, '{"amount":150}'), '/big');
    assert.equal(route(sub, '{"amount":50}'), '/orders');
    assert.equal(route(sub, '{"amount":150}', 'application/json', 'invoice.paid'), '/orders');
    assert.equal(route(sub, 'hello', 'text/plain'), '/text');
  });

  test('rules are tried in order; no rule and no default: skipped', () => {
    const sub = subscription([{ match: 'event.data.n == 1', path: '/one' }, { match: 'event.data.n >= 1', path: '/many' }]);
    assert.equal(route(sub, '{"n":1}'), '/one');
    assert.equal(route(sub, '{"n":3}'), '/many');
    assert.equal(route(sub, '{"n":0}'), 'skip:no-route');
    assert.equal(routeFor(sub, { data: { n: 0 } }), undefined);
  });

  test('an evaluation error stops the search (no fall-through to the default) and says why', () => {
    const sub = subscription([{ match: 'event.data.priority > 1', path: '/urgent' }], '/orders');
    assert.equal(route(sub, '{"priority":2}'), '/urgent');
    const r = route(sub, '{"other":2}');
    assert.match(r, /^invalid:error finding matching route for event ev-7 in pubsub ps and topic orders: match expression "event\.data\.priority > 1": No such key: priority/);
  });

  test('a bad expression makes buildRules throw, naming it', () => {
    assert.throws(() => buildRules([{ match: 'event.type ==', path: '/x' }], '/d', undefined), MatchSyntaxError);
    assert.deepEqual(buildRules([{ match: '  ', path: '/x' }], undefined, undefined).map((r) => [r.match, r.test]), [['', undefined]]);
  });
});
