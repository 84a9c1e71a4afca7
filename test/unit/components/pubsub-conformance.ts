// One behavioural suite for every pub/sub component (in-memory now; a Redis Streams one can
// reuse it by passing its own factory). The factory builds a component whose retry budget is
// `maxRetries` redeliveries with a short backoff, however that component spells it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DeliveryResult, PubSub, PubSubMessage } from '../../../src/components/types.js';

export interface PubSubConformanceTarget {
  readonly name: string;
  /** a fresh component; `maxRetries` redeliveries of a 'retry', with a short backoff */
  create(opts: { maxRetries: number }): Promise<PubSub>;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** Polls until `cond` holds (no timing assertion: only a generous upper bound). */
async function eventually(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function pubsubConformance(target: PubSubConformanceTarget): void {
  const withPubSub = (maxRetries: number, fn: (p: PubSub, topic: string) => Promise<void>) => async () => {
    const p = await target.create({ maxRetries });
    try {
      await fn(p, `t-${randomUUID()}`);
    } finally {
      await p.close();
    }
  };

  describe(`pub/sub conformance: ${target.name}`, () => {
    test('kind is pubsub and features are strings', async () => {
      const p = await target.create({ maxRetries: 0 });
      assert.equal(p.kind, 'pubsub');
      assert.ok(p.features.every((f) => typeof f === 'string'));
      await p.close();
    });

    test('a subscriber receives what is published after it subscribed: bytes, topic and metadata', withPubSub(0, async (p, topic) => {
      const got: PubSubMessage[] = [];
      await p.subscribe(topic, async (m) => {
        got.push(m);
        return 'success';
      });
      const bytes = new Uint8Array([0, 1, 2, 255, 0x7b]);
      await p.publish(topic, bytes, { k: 'v' });
      await eventually(() => got.length === 1, 'one delivery');
      assert.deepEqual([...got[0]!.data], [...bytes]);
      assert.equal(got[0]!.topic, topic);
      assert.equal(got[0]!.metadata.k, 'v');
      assert.equal(got[0]!.attempt, 1);
    }));

    test('every acknowledged message is delivered exactly once', withPubSub(0, async (p, topic) => {
      const got: string[] = [];
      await p.subscribe(topic, async (m) => {
        got.push(text(m.data));
        return 'success';
      });
      const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
      for (const s of sent) await p.publish(topic, enc(s), {});
      await eventually(() => got.length >= sent.length, 'all deliveries');
      await new Promise((r) => setTimeout(r, 50)); // a duplicate would show up here
      assert.deepEqual([...got].sort(), [...sent].sort());
    }));

    test('topics are separate', withPubSub(0, async (p, topic) => {
      const a: string[] = [];
      const b: string[] = [];
      await p.subscribe(`${topic}-a`, async (m) => (a.push(text(m.data)), 'success'));
      await p.subscribe(`${topic}-b`, async (m) => (b.push(text(m.data)), 'success'));
      await p.publish(`${topic}-a`, enc('for-a'), {});
      await p.publish(`${topic}-b`, enc('for-b'), {});
      await eventually(() => a.length === 1 && b.length === 1, 'one message per topic');
      assert.deepEqual([a, b], [['for-a'], ['for-b']]);
    }));

    test("'retry' is redelivered until the subscriber succeeds", withPubSub(5, async (p, topic) => {
      const attempts: number[] = [];
      await p.subscribe(topic, async (m): Promise<DeliveryResult> => {
        attempts.push(m.attempt);
        return m.attempt < 3 ? 'retry' : 'success';
      });
      await p.publish(topic, enc('x'), {});
      await eventually(() => attempts.length === 3, 'three attempts');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(attempts, [1, 2, 3]);
    }));

    test('a handler that throws counts as retry', withPubSub(1, async (p, topic) => {
      const attempts: number[] = [];
      await p.subscribe(topic, async (m) => {
        attempts.push(m.attempt);
        if (m.attempt === 1) throw new Error('boom');
        return 'success';
      });
      await p.publish(topic, enc('x'), {});
      await eventually(() => attempts.length === 2, 'a redelivery after the throw');
    }));

    test('the retry budget is bounded and the last attempt says so', withPubSub(2, async (p, topic) => {
      const seen: Array<[number, boolean]> = [];
      await p.subscribe(topic, async (m) => {
        seen.push([m.attempt, m.lastAttempt]);
        return 'retry';
      });
      await p.publish(topic, enc('x'), {});
      await eventually(() => seen.length === 3, 'three attempts');
      await new Promise((r) => setTimeout(r, 300)); // no fourth attempt
      assert.deepEqual(seen, [[1, false], [2, false], [3, true]]);
    }));

    test("'drop' is not redelivered", withPubSub(3, async (p, topic) => {
      let calls = 0;
      const after: string[] = [];
      await p.subscribe(topic, async (m) => {
        calls++;
        if (text(m.data) === 'drop-me') return 'drop';
        after.push(text(m.data));
        return 'success';
      });
      await p.publish(topic, enc('drop-me'), {});
      await p.publish(topic, enc('next'), {});
      await eventually(() => after.length === 1, 'the next message');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(calls, 2);
    }));

    test('a closed subscription gets nothing more; close waits for the delivery in flight', withPubSub(0, async (p, topic) => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let inHandler = false;
      let finished = false;
      const got: string[] = [];
      const sub = await p.subscribe(topic, async (m) => {
        got.push(text(m.data));
        inHandler = true;
        await gate;
        finished = true;
        return 'success';
      });
      await p.publish(topic, enc('first'), {});
      await eventually(() => inHandler, 'the first delivery');
      const closing = sub.close();
      release();
      await closing;
      assert.ok(finished, 'close() resolved before the delivery in flight finished');
      await p.publish(topic, enc('second'), {});
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, ['first']);
    }));

    test('publish and subscribe after close() reject', async () => {
      const p = await target.create({ maxRetries: 0 });
      await p.close();
      await assert.rejects(p.publish('t', enc('x'), {}));
      await assert.rejects(p.subscribe('t', async () => 'success'));
    });
  });
}
