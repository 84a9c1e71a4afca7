// The google.rpc details an error carries, decided once for both protocols (gRPC packs them
// into grpc-status-details-bin, HTTP writes them as the body's "details" array). Pure.
//
// Kit-shaped codes (see KitShape in table.ts) get daprd's dapr/kit details in its order:
// Help / BadRequest, ResourceInfo, ErrorInfo{reason: DAPR_…}. Every other code keeps
// Pillion's single ErrorInfo{reason: the error code} on gRPC and nothing over HTTP.
import type { DaprError } from './table.js';

export const ERROR_DOMAIN = 'dapr.io';

export type ErrorDetail =
  | { readonly kind: 'ErrorInfo'; readonly reason: string; readonly domain: string; readonly metadata: Readonly<Record<string, string>> | undefined }
  | { readonly kind: 'ResourceInfo'; readonly resourceType: string; readonly resourceName: string; readonly owner: string; readonly description: string }
  | { readonly kind: 'Help'; readonly links: ReadonlyArray<{ readonly description: string; readonly url: string }> }
  | { readonly kind: 'BadRequest'; readonly fieldViolations: ReadonlyArray<{ readonly field: string; readonly description: string }> };

export type Protocol = 'http' | 'grpc';

/** The details of `e` on `protocol`, in wire order; empty when the answer carries none. */
export function errorDetails(e: DaprError, protocol: Protocol): ErrorDetail[] {
  const kit = e.kit;
  if (!kit) {
    return protocol === 'grpc' ? [{ kind: 'ErrorInfo', reason: e.wire, domain: ERROR_DOMAIN, metadata: e.metadata ?? {} }] : [];
  }
  const out: ErrorDetail[] = [];
  if (kit.help) out.push({ kind: 'Help', links: [kit.help] });
  if (kit.fieldViolation) out.push({ kind: 'BadRequest', fieldViolations: [{ field: e.subject.field ?? '', description: e.message }] });
  if (kit.resource) {
    out.push({
      kind: 'ResourceInfo',
      resourceType: kit.resource,
      resourceName: e.subject.resource ?? '',
      owner: '',
      description: kit.resource === 'pubsub' ? e.message : '',
    });
  }
  const metadata = protocol === 'grpc' && kit.grpcMetadata === false ? undefined : e.metadata;
  out.push({ kind: 'ErrorInfo', reason: kit.reason, domain: ERROR_DOMAIN, metadata });
  return out;
}
