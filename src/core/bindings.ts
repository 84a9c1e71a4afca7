// The output bindings API, once for both protocols: Dapr/InvokeBinding and
// POST|PUT /v1.0/bindings/{name}. The checks and their order are daprd's: the operation must be
// given, the binding must exist for this app as an output binding, and it must offer the
// operation; every failure is ERR_INVOKE_OUTPUT_BINDING (500 / Internal), as in daprd.
import { create } from '@bufbuild/protobuf';
import {
  InvokeBindingResponseSchema,
  type InvokeBindingRequest,
  type InvokeBindingResponse,
} from '../gen/dapr/proto/runtime/v1/binding_pb.js';
import { BindingInvokeError } from '../components/types.js';
import { DaprError } from '../errors/table.js';
import type { CoreContext } from './context.js';
import type { CallSignal } from '../util/call-signal.js';

/**
 * ERR_INVOKE_OUTPUT_BINDING, with the metadata of the component's answer when it gave one
 * (bindings.http: status and headers of a non-2xx reply) — daprd returns it with the error.
 */
export class OutputBindingError extends DaprError {
  constructor(name: string, detail: string, readonly responseMetadata: Readonly<Record<string, string>> = {}) {
    super('ERR_INVOKE_OUTPUT_BINDING', `error invoking output binding ${name}: ${detail}`);
  }
}

/** Resolves undefined when the component had nothing to answer (HTTP: 204). */
export async function invokeBinding(
  ctx: CoreContext,
  req: InvokeBindingRequest,
  signal?: CallSignal,
): Promise<InvokeBindingResponse | undefined> {
  const { name, operation } = req;
  if (operation === '') throw new OutputBindingError(name, 'operation field is missing from request');
  const output = ctx.components.binding(name)?.output;
  if (!output) throw new OutputBindingError(name, `couldn't find output binding ${name}`);
  if (!output.operations.includes(operation)) {
    throw new OutputBindingError(
      name,
      `binding ${name} does not support operation ${operation}. supported operations:${output.operations.join(' ')}`,
    );
  }
  let res;
  try {
    res = await output.invoke({ operation, data: req.data, metadata: { ...req.metadata }, signal });
  } catch (err) {
    const meta = err instanceof BindingInvokeError ? err.response?.metadata : undefined;
    throw new OutputBindingError(name, err instanceof Error ? err.message : String(err), meta);
  }
  if (!res) return undefined;
  return create(InvokeBindingResponseSchema, { data: res.data, metadata: { ...res.metadata } });
}
