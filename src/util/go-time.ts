// Go's time.Format(time.RFC3339) in UTC, the way daprd and components-contrib write times (a
// CloudEvent's `time`, a state value's ttlExpireTime): whole seconds — Go truncates the
// fraction — and `Z`. Pure.
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
