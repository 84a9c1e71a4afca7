// HTTP adapter of the output bindings API: POST|PUT /v1.0/bindings/{name}. The binding's
// answer is the body (200, labelled application/json as daprd does), its metadata the
// `metadata.<key>` response headers — also on an error, as daprd does, since
// bindings.http reports the status and headers of a failed call there.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { create } from '@bufbuild/protobuf';
import { InvokeBindingRequestSchema } from '../../gen/dapr/proto/runtime/v1/binding_pb.js';
import type { CoreContext } from '../../core/context.js';
import { invokeBinding, OutputBindingError } from '../../core/bindings.js';
import { parseOutputBindingBody } from '../../bindings/http-request.js';
import { toHttp } from './errors.js';
import type { HttpHandler, HttpRequest, HttpResponse, RouteDef } from './types.js';

/** `metadata.<key>` headers; a pair that cannot be an HTTP header is left out rather than
 * failing the whole answer. */
function metadataHeaders(md: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(md)) {
    const name = `metadata.${k}`;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, v);
    } catch {
      continue;
    }
    out[name] = v;
  }
  return out;
}

/** W3C baggage travels to the binding as metadata, as daprd passes it (bindings.http sends it on). */
function withBaggage(req: HttpRequest, metadata: Record<string, string>): Record<string, string> {
  const baggage = req.headers.baggage;
  if (baggage === undefined) return metadata;
  return { ...metadata, baggage: Array.isArray(baggage) ? baggage.join(',') : baggage };
}

export function bindingRoutes(ctx: CoreContext): RouteDef[] {
  const handler: HttpHandler = async (req): Promise<HttpResponse> => {
    const name = req.params.name!;
    const body = parseOutputBindingBody(req.body);
    try {
      const res = await invokeBinding(
        ctx,
        create(InvokeBindingRequestSchema, { name, operation: body.operation, data: body.data, metadata: withBaggage(req, body.metadata) }),
      );
      if (!res) return { status: 204 };
      return { status: 200, headers: { ...metadataHeaders(res.metadata), 'content-type': 'application/json' }, body: res.data };
    } catch (err) {
      if (!(err instanceof OutputBindingError)) throw err;
      const e = toHttp(err);
      return { ...e, headers: { ...metadataHeaders(err.responseMetadata), ...e.headers } };
    }
  };
  return [
    { method: 'POST', path: '/v1.0/bindings/:name', group: 'bindings', handler },
    { method: 'PUT', path: '/v1.0/bindings/:name', group: 'bindings', handler },
  ];
}
