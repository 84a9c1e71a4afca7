// Log lines a caller can cause at will (refused requests, refused connections), rate-limited so
// that a flood of them cannot flood the log: a token bucket (`rate` lines per second, bursts of
// `burst`); lines over the limit are counted and summarised in one "Suppressed N …" line once
// lines flow again (or after a second).

export interface LogSink {
  (fields: Record<string, string | number | boolean>, msg: string): void;
}

export interface RateLimitedLog extends LogSink {
  /** says how many lines were suppressed, if any; stops the summary timer */
  close(): void;
}

/** `what` names the lines in the summary ("refused-request audit" → "Suppressed 3
 * refused-request audit line(s) (rate limit 10/s)"). */
export function rateLimitedLog(sink: LogSink, what: string, rate = 10, burst = 10): RateLimitedLog {
  let tokens = burst;
  let refilled = Date.now();
  let suppressed = 0;
  let since = 0;
  const flush = (): void => {
    if (suppressed === 0) return;
    sink({ suppressed, seconds: Math.round((Date.now() - since) / 100) / 10 }, `Suppressed ${suppressed} ${what} line(s) (rate limit ${rate}/s)`);
    suppressed = 0;
  };
  const timer = setInterval(() => {
    if (suppressed > 0 && Date.now() - since >= 1000) flush();
  }, 1000);
  timer.unref();
  const log = (fields: Record<string, string | number | boolean>, msg: string): void => {
    const now = Date.now();
    tokens = Math.min(burst, tokens + ((now - refilled) * rate) / 1000);
    refilled = now;
    if (tokens < 1) {
      if (suppressed++ === 0) since = now;
      return;
    }
    tokens -= 1;
    flush();
    sink(fields, msg);
  };
  return Object.assign(log, {
    close() {
      clearInterval(timer);
      flush();
    },
  });
}
