// Go's time.Duration.String() for whole milliseconds ("500ms", "5s", "1.5s", "1m30s",
// "1h0m0s"): daprd prints durations this way in its metadata API, and clients compare them.
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${(ms % 60_000) / 1000}s`;
  if (h) return `${h}h${m}m${s}`;
  return m ? `${m}m${s}` : s;
}
