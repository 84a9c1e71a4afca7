// One audit line per refused request, rate-limited: a token bucket (RATE lines per second,
// bursts of BURST); lines over the limit are counted and summarised in one "suppressed N" line
// once lines flow again (or after a second). Lines carry a fingerprint of the presented token
// (first 8 hex of its SHA-256), never the token.
import { tokenFingerprint } from './fingerprint.js';

export interface AuditSink {
  (fields: Record<string, string | number | boolean>, msg: string): void;
}

export interface AuditEvent {
  readonly reason: string;
  readonly protocol: 'http' | 'grpc';
  /** gRPC method path or HTTP route ("GET /v1.0/state/:storeName/:key") */
  readonly method: string;
  readonly group: string;
  readonly peer: string;
  readonly presented: string | undefined;
  /** --api-token-audit-only: the request was let through */
  readonly auditOnly: boolean;
}

export interface AuditLog {
  record(e: AuditEvent): void;
  close(): void;
}

const MAX_METHOD = 200;

export function createAuditLog(sink: AuditSink, rate = 10, burst = 10): AuditLog {
  let tokens = burst;
  let refilled = Date.now();
  let suppressed = 0;
  let since = 0;
  const flush = (): void => {
    if (suppressed === 0) return;
    sink({ suppressed, seconds: Math.round((Date.now() - since) / 100) / 10 }, `Suppressed ${suppressed} refused-request audit line(s) (rate limit ${rate}/s)`);
    suppressed = 0;
  };
  const timer = setInterval(() => {
    if (suppressed > 0 && Date.now() - since >= 1000) flush();
  }, 1000);
  timer.unref();
  return {
    record(e) {
      const now = Date.now();
      tokens = Math.min(burst, tokens + ((now - refilled) * rate) / 1000);
      refilled = now;
      if (tokens < 1) {
        if (suppressed++ === 0) since = now;
        return;
      }
      tokens -= 1;
      flush();
      sink(
        {
          reason: e.reason,
          protocol: e.protocol,
          method: e.method.length > MAX_METHOD ? e.method.slice(0, MAX_METHOD) + '…' : e.method,
          group: e.group,
          peer: e.peer,
          token_fingerprint: e.presented ? tokenFingerprint(e.presented) : 'none',
          ...(e.auditOnly ? { audit_only: true } : {}),
        },
        e.auditOnly ? 'API request would be refused (audit only: let through)' : 'API request refused',
      );
    },
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
