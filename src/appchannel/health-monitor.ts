// Runs the app health probes: one at once when started (daprd enqueues a probe as soon as the
// app port answered), then one per interval. Probes never overlap: a tick that comes while a
// probe is still running queues at most one more, like daprd's queue of capacity 1. Results
// go through the pure state machine in health.ts; changes are logged with daprd's words and
// handed to the listeners.
import { initialHealth, isHealthy, recordProbe, type HealthState } from './health.js';
import type { Prober, ProbeResult } from './health-probe.js';

export interface HealthLog {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

export interface HealthMonitorOptions {
  readonly intervalMs: number;
  readonly threshold: number;
  readonly prober: Prober;
  readonly log: HealthLog;
  /** after every probe (metrics) */
  readonly onProbe?: (r: ProbeResult) => void;
}

export interface HealthMonitor {
  start(): void;
  healthy(): boolean;
  /** called with the new status on every change; returns an unsubscribe function */
  onChange(cb: (healthy: boolean) => void): () => void;
  close(): void;
}

export function createHealthMonitor(o: HealthMonitorOptions): HealthMonitor {
  let state: HealthState = initialHealth(o.threshold);
  const listeners = new Set<(healthy: boolean) => void>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let queued = false;
  let closed = false;

  const apply = (r: ProbeResult): void => {
    const { state: next, change } = recordProbe(state, r.ok);
    state = next;
    o.log.debug(`App health probe ${r.ok ? 'succeeded' : `failed: ${r.reason ?? r.status}`}`);
    if (!change) return;
    if (change === 'healthy') o.log.info('App entered healthy status');
    else o.log.warn(`App entered un-healthy status: ${r.reason ?? `status ${r.status}`}`);
    for (const cb of [...listeners]) {
      try {
        cb(change === 'healthy');
      } catch (err) {
        o.log.warn(`An app health listener failed: ${(err as Error).message}`);
      }
    }
  };

  const run = async (): Promise<void> => {
    if (running) {
      queued = true;
      return;
    }
    running = true;
    try {
      do {
        queued = false;
        // A probe that throws (e.g. a header value Node refuses) is a failed probe, not a crash.
        // Only the error code is reported: Node's message may quote the header value (a token).
        const r = await o.prober.probe().catch((err: NodeJS.ErrnoException): ProbeResult => ({ ok: false, status: 'error', reason: `Probe error: ${err.code ?? err.name}`, ms: 0 }));
        if (closed) return;
        o.onProbe?.(r);
        apply(r);
      } while (queued && !closed);
    } finally {
      running = false;
    }
  };

  return {
    start() {
      if (closed || timer) return;
      o.log.info('App health probes starting');
      void run();
      timer = setInterval(() => void run(), o.intervalMs);
      timer.unref(); // the servers keep the process alive, not the probes
    },
    healthy: () => isHealthy(state),
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) {
        clearInterval(timer);
        o.log.info('App health probes stopping');
      }
      listeners.clear();
      o.prober.close();
    },
  };
}
