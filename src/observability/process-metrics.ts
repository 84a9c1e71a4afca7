// Node's process metrics (`process_*`, `nodejs_*`), for the sidecar and the injector alike.
import client from 'prom-client';

/**
 * The event-loop delay histogram (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`)
 * samples with a timer; prom-client's default, every 10 ms, woke an idle sidecar 100 times a
 * second and was all it did at rest (4 ms of CPU each second, measured). Every 100 ms still
 * gives ~150 samples per 15 s scrape, and a stall of 100 ms or more is always seen.
 * `nodejs_eventloop_lag_seconds` itself is measured at scrape time and is unaffected.
 */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function collectProcessMetrics(registry: client.Registry): void {
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
}
