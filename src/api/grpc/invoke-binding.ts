// gRPC adapter of the output bindings API: Dapr/InvokeBinding. daprd copies every incoming
// gRPC metadata key into the binding request's metadata (so bindings.http would send them on
// as headers); Pillion passes only W3C `baggage`, which daprd forwards explicitly, so nothing
// the caller's transport carried — credentials included — reaches a binding by accident.
import { create } from '@bufbuild/protobuf';
import {
  InvokeBindingResponseSchema,
  type InvokeBindingRequest,
  type InvokeBindingResponse,
} from '../../gen/dapr/proto/runtime/v1/binding_pb.js';
import type { CoreContext } from '../../core/context.js';
import { invokeBinding } from '../../core/bindings.js';
import type { CallContext } from './server.js';

export async function invokeBindingGrpc(ctx: CoreContext, req: InvokeBindingRequest, call: CallContext): Promise<InvokeBindingResponse> {
  const baggage = call.metadata.baggage;
  const metadata = baggage === undefined ? req.metadata : { ...req.metadata, baggage: Array.isArray(baggage) ? baggage.join(',') : baggage };
  const res = await invokeBinding(ctx, { ...req, metadata }, call.signal);
  return res ?? create(InvokeBindingResponseSchema);
}
