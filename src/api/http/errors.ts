// Error → HTTP response, from the one error table. The only place that shapes HTTP errors.
// The body is what daprd's Go writes: `{"errorCode","message"}` (json.Marshal of a struct, so
// in that order, with Go's HTML escaping), plus a "details" array for the codes daprd builds
// with dapr/kit — each detail a Go map (keys sorted) whose "@type" names the google.rpc type.
import { goJsonMarshal } from '../../core/go-json.js';
import { errorDetails, type ErrorDetail } from '../../errors/details.js';
import { asDaprError } from '../../errors/table.js';
import type { HttpResponse } from './types.js';

const TYPE_PREFIX = 'type.googleapis.com/google.rpc.';

/** One detail as dapr/kit's convertErrorDetails renders it. */
function detailJson(d: ErrorDetail): string {
  const type = goJsonMarshal(TYPE_PREFIX + d.kind);
  switch (d.kind) {
    case 'ErrorInfo':
      return goJsonMarshal({ '@type': TYPE_PREFIX + d.kind, domain: d.domain, metadata: d.metadata ?? null, reason: d.reason });
    case 'ResourceInfo':
      return goJsonMarshal({
        '@type': TYPE_PREFIX + d.kind,
        description: d.description,
        owner: d.owner,
        resource_name: d.resourceName,
        resource_type: d.resourceType,
      });
    // Links and violations are Go structs (field order, empty fields omitted), not maps.
    case 'Help':
      return `{"@type":${type},"links":[${d.links.map((l) => struct([['description', l.description], ['url', l.url]])).join(',')}]}`;
    case 'BadRequest':
      return `{"@type":${type},"field_violations":[${d.fieldViolations.map((v) => struct([['field', v.field], ['description', v.description]])).join(',')}]}`;
  }
}

/** A struct of `omitempty` string fields, in declaration order. */
function struct(fields: ReadonlyArray<readonly [string, string]>): string {
  return `{${fields.filter(([, v]) => v !== '').map(([k, v]) => `${goJsonMarshal(k)}:${goJsonMarshal(v)}`).join(',')}}`;
}

export function toHttp(err: unknown): HttpResponse {
  const e = asDaprError(err);
  const details = errorDetails(e, 'http');
  const tail = details.length > 0 ? `,"details":[${details.map(detailJson).join(',')}]` : '';
  return {
    status: e.http,
    headers: { 'content-type': 'application/json' },
    body: `{"errorCode":${goJsonMarshal(e.wire)},"message":${goJsonMarshal(e.message)}${tail}}`,
  };
}

/** daprd's answer to a missing or wrong token, byte for byte (same for both cases). */
export const UNAUTHORIZED: HttpResponse = Object.freeze({
  status: 401,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'invalid api token\n',
});
