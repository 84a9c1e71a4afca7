// One audit line per refused request, rate-limited (observability/rate-limited-log.ts). Lines
// carry a fingerprint of the presented token (first 8 hex of its SHA-256), never the token.
import { tokenFingerprint } from './fingerprint.js';
import { rateLimitedLog, type LogSink } from '../observability/rate-limited-log.js';

export type AuditSink = LogSink;

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
  const limited = rateLimitedLog(sink, 'refused-request audit', rate, burst);
  return {
    record(e) {
      limited(
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
    close: () => limited.close(),
  };
}
