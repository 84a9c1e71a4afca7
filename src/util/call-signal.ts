// How a call learns that it was cancelled (the caller hung up, its deadline passed) without
// an AbortSignal per call. In Node 20 making an AbortSignal and adding its first listener
// costs 3–7 µs (the signal's prototype is swapped when it is made, which sends V8 down its
// slow paths), and GC work on top — paid by every invocation although nearly none is ever
// cancelled. A call's code uses only the part of AbortSignal below, which Node's AbortSignal
// has too, so both kinds travel the same paths; `toAbortSignal` makes a real one where a
// Node API needs it.

/** The part of AbortSignal a call's code uses. Node's AbortSignal satisfies it. */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A CallSignal and its trigger in one object: plain fields and an array of listeners. As
 * with AbortSignal, each listener runs at most once, one added after the abort never runs,
 * and a listener that throws does not keep the others from running (its error surfaces as
 * an uncaught exception, as an EventTarget listener's does). */
export class Cancellation implements CallSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | undefined;

  /** Every listener runs once, `once` or not (an abort happens once). */
  addEventListener(_type: 'abort', listener: () => void, _options?: { readonly once?: boolean }): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  /** Default reason: the AbortError AbortController.abort() gives. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
}

/** A real AbortSignal that follows `s` (for Node APIs that take one); `s` itself when it is one. */
export function toAbortSignal(s: CallSignal): AbortSignal {
  if (s instanceof AbortSignal) return s;
  const ac = new AbortController();
  if (s.aborted) ac.abort(s.reason);
  else s.addEventListener('abort', () => ac.abort(s.reason), { once: true });
  return ac.signal;
}
