// Cancellation behaves as the AbortSignal it stands in for, in every way a call's code relies
// on; toAbortSignal hands a real AbortSignal to Node APIs that need one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cancellation, toAbortSignal, type CallSignal } from '../../../src/util/call-signal.js';

// (read through a function: an assertion on `c.reason` would narrow its type for the rest of a test)
const reasonOf = (s: CallSignal): unknown => s.reason;

describe('Cancellation', () => {
  test('not aborted until abort(); then aborted with an AbortError, as AbortController gives', () => {
    const c = new Cancellation();
    assert.equal(c.aborted, false);
    assert.equal(reasonOf(c), undefined);
    c.abort();
    assert.equal(c.aborted, true);
    const real = new AbortController();
    real.abort();
    const reason = reasonOf(c);
    assert.ok(reason instanceof DOMException);
    assert.equal(reason.name, (real.signal.reason as DOMException).name);
    assert.equal(reason.message, (real.signal.reason as DOMException).message);
  });

  test('keeps the reason it was given (a TimeoutError reads as a timeout)', () => {
    const c = new Cancellation();
    const why = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    c.abort(why);
    assert.equal(c.reason, why);
  });

  test('each listener runs once, in the order added; a removed one never; a second abort() changes nothing', () => {
    const c = new Cancellation();
    const seen: string[] = [];
    const a = (): number => seen.push('a');
    const b = (): number => seen.push('b');
    const gone = (): number => seen.push('gone');
    c.addEventListener('abort', a, { once: true });
    c.addEventListener('abort', gone);
    c.addEventListener('abort', b);
    c.removeEventListener('abort', gone);
    c.abort();
    c.abort(new Error('again'));
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal((c.reason as Error).name, 'AbortError');
  });

  test('a listener added after the abort never runs (check `aborted` first, as with AbortSignal)', () => {
    const c = new Cancellation();
    c.abort();
    let ran = false;
    c.addEventListener('abort', () => (ran = true));
    c.abort();
    assert.equal(ran, false);
  });

  test('removing a listener that was never added is harmless', () => {
    const c = new Cancellation();
    c.removeEventListener('abort', () => {});
    c.addEventListener('abort', () => {});
    c.removeEventListener('abort', () => {});
    c.abort();
    assert.equal(c.aborted, true);
  });

  test('a listener that throws does not stop the others; its error surfaces as uncaught, like an EventTarget listener', async () => {
    const c = new Cancellation();
    let after = false;
    const boom = new Error('listener failed');
    const caught = new Promise<unknown>((resolve) => {
      const original = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.once('uncaughtException', (err) => {
        for (const l of original) process.on('uncaughtException', l);
        resolve(err);
      });
    });
    c.addEventListener('abort', () => {
      throw boom;
    });
    c.addEventListener('abort', () => (after = true));
    c.abort();
    assert.equal(after, true);
    assert.equal(await caught, boom);
  });

  test('Node’s AbortSignal is a CallSignal too', () => {
    const ac = new AbortController();
    const s: CallSignal = ac.signal;
    let ran = false;
    s.addEventListener('abort', () => (ran = true), { once: true });
    ac.abort();
    assert.equal(s.aborted, true);
    assert.equal(ran, true);
  });
});

describe('toAbortSignal', () => {
  test('an AbortSignal is returned as it is', () => {
    const s = new AbortController().signal;
    assert.equal(toAbortSignal(s), s);
  });

  test('follows a Cancellation: aborted with its reason when it is', () => {
    const c = new Cancellation();
    const s = toAbortSignal(c);
    assert.ok(s instanceof AbortSignal);
    assert.equal(s.aborted, false);
    const why = new Error('caller left');
    c.abort(why);
    assert.equal(s.aborted, true);
    assert.equal(s.reason, why);
  });

  test('of an already aborted Cancellation: aborted at once, same reason', () => {
    const c = new Cancellation();
    c.abort();
    const s = toAbortSignal(c);
    assert.equal(s.aborted, true);
    assert.equal(s.reason, c.reason);
  });

  test('works with AbortSignal.any (the channel’s call timeout combines them so)', async () => {
    const c = new Cancellation();
    const both = AbortSignal.any([toAbortSignal(c), AbortSignal.timeout(60_000)]);
    assert.equal(both.aborted, false);
    c.abort();
    assert.equal(both.aborted, true);
    assert.equal((both.reason as DOMException).name, 'AbortError');
  });
});
