// A counter cell the hot path increments with `n++`; observability folds it into Prometheus
// counters at scrape time (see observability/metrics.ts).
export interface Tally {
  n: number;
}
