// Waiting for something a test caused to show up (a delivery, a log line, a count), polling.

/** Polls `get` until it gives something other than undefined or false, and returns that;
 * fails the test naming `what` after `timeoutMs`. (helpers/health-apps' `eventually`, by
 * contrast, retries a check until it stops throwing.) */
export async function waitFor<T>(get: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
