import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, createInMemoryPubSub, IN_MEMORY_PUBSUB_DEFAULTS, topicMatches } from '../../../src/components/pubsub-in-memory.js';
import { ComponentConfigError } from '../../../src/components/types.js';
import { ctx, spec } from './helpers.js';
import { pubsubConformance } from './pubsub-conformance.js';

pubsubConformance({
  name: 'pubsub.in-memory',
  create: ({ maxRetries }) => createInMemoryPubSub(spec('pubsub.in-memory', { maxRetries: String(maxRetries), retryInitialInterval: '5ms', retryMaxInterval: '20ms' }), ctx()),
});

describe('pubsub.in-memory specifics', () => {
  test('wildcard subscriptions: a trailing * matches longer topics with that prefix', () => {
    assert.ok(topicMatches('orders.*', 'orders.new'));
    assert.ok(!topicMatches('orders.*', 'orders.'));
    assert.ok(!topicMatches('orders.*', 'invoices.new'));
    assert.ok(topicMatches('orders', 'orders'));
    assert.ok(!topicMatches('orders', 'orders2'));
  });

  test('backoff doubles from the initial interval up to the cap', () => {
    const o = { maxRetries: 9, retryInitialIntervalMs: 100, retryMaxIntervalMs: 1000 };
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => backoffMs(n, o)), [100, 200, 400, 800, 1000]);
  });

  test('defaults: 3 redeliveries, 100ms doubling, capped at 10s', () => {
    assert.deepEqual(IN_MEMORY_PUBSUB_DEFAULTS, { maxRetries: 3, retryInitialIntervalMs: 100, retryMaxIntervalMs: 10_000 });
  });

  test('a subscriber keeps publish order, one message at a time', async () => {
    const p = await createInMemoryPubSub(spec('pubsub.in-memory'), ctx());
    const got: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await p.subscribe('t', async (m) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      got.push(Buffer.from(m.data).toString());
      inFlight--;
      return 'success';
    });
    for (let i = 0; i < 10; i++) await p.publish('t', Buffer.from(String(i)), {});
    while (got.length < 10) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(maxInFlight, 1);
    await p.close();
  });

  test('bad metadata names the field', async () => {
    for (const [md, field] of [
      [{ maxRetries: '-1' }, 'spec.metadata.maxRetries'],
      [{ maxRetries: 'many' }, 'spec.metadata.maxRetries'],
      [{ retryInitialInterval: 'soon' }, 'spec.metadata.retryInitialInterval'],
      [{ retryInitialInterval: '2s', retryMaxInterval: '1s' }, 'spec.metadata.retryMaxInterval'],
    ] as const) {
      await assert.rejects(createInMemoryPubSub(spec('pubsub.in-memory', md), ctx()), (err: unknown) => err instanceof ComponentConfigError && err.field === field);
    }
  });
});
