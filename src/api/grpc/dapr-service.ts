// gRPC adapter of dapr.proto.runtime.v1.Dapr: the cores ARE the methods. Methods without an
// entry here answer UNIMPLEMENTED (after the token check, like every call).
import { create } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import { Dapr } from '../../gen/dapr/proto/runtime/v1/dapr_pb.js';
import type { CoreContext } from '../../core/context.js';
import { shutdown } from '../../core/health.js';
import { getMetadata, setMetadata } from '../../core/metadata.js';
import { getBulkSecret, getSecret } from '../../core/secrets.js';
import * as state from '../../core/state.js';
import { queryState } from '../../core/state-query.js';
import type { GetBulkStateRequest, GetStateRequest, QueryStateRequest } from '../../gen/dapr/proto/runtime/v1/state_pb.js';
import type { GetBulkSecretRequest, GetSecretRequest } from '../../gen/dapr/proto/runtime/v1/secret_pb.js';
import type { InvokeServiceRequest } from '../../gen/dapr/proto/runtime/v1/invoke_pb.js';
import type { CallContext, GrpcServer, Handler } from './server.js';
import { invokeService } from './invoke-service.js';
import { bulkPublishEvent, publishEvent } from '../../core/pubsub.js';
import type { BulkPublishRequest, PublishEventRequest } from '../../gen/dapr/proto/runtime/v1/pubsub_pb.js';
import { invokeBindingGrpc } from './invoke-binding.js';
import type { InvokeBindingRequest } from '../../gen/dapr/proto/runtime/v1/binding_pb.js';
import { subscribeTopicEvents } from './subscribe-topic-events.js';

const EMPTY = create(EmptySchema);

export function registerDaprService(server: GrpcServer, ctx: CoreContext): void {
  const empty = <T>(fn: (ctx: CoreContext, req: T) => unknown): Handler =>
    async (req: T) => {
      await fn(ctx, req);
      return EMPTY;
    };
  const handlers: Record<string, Handler> = {
    getState: (req: GetStateRequest) => state.getState(ctx, req),
    getBulkState: (req: GetBulkStateRequest) => state.getBulkState(ctx, req),
    saveState: empty(state.saveState),
    deleteState: empty(state.deleteState),
    deleteBulkState: empty(state.deleteBulkState),
    executeStateTransaction: empty(state.executeStateTransaction),
    queryStateAlpha1: (req: QueryStateRequest) => queryState(ctx, req),
    getSecret: (req: GetSecretRequest) => getSecret(ctx, req),
    getBulkSecret: (req: GetBulkSecretRequest) => getBulkSecret(ctx, req),
    getMetadata: async () => getMetadata(ctx),
    setMetadata: empty(setMetadata),
    shutdown: empty((c) => shutdown(c)),
    invokeService: (req: InvokeServiceRequest, call: CallContext) => invokeService(ctx, req, call),
    publishEvent: async (req: PublishEventRequest, call: CallContext) => {
      await publishEvent(ctx, req, grpcTrace(call));
      return EMPTY;
    },
    bulkPublishEventAlpha1: (req: BulkPublishRequest, call: CallContext) => bulkPublishEvent(ctx, req, grpcTrace(call)),
    bulkPublishEvent: (req: BulkPublishRequest, call: CallContext) => bulkPublishEvent(ctx, req, grpcTrace(call)),
    invokeBinding: (req: InvokeBindingRequest, call: CallContext) => invokeBindingGrpc(ctx, req, call),
    subscribeTopicEventsAlpha1: subscribeTopicEvents(ctx),
  };
  server.addService(Dapr, handlers);
}

/** The caller's W3C trace context from gRPC metadata, for the CloudEvent. */
function grpcTrace(call: CallContext): { traceparent?: string; tracestate?: string } {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return { traceparent: one(call.metadata.traceparent), tracestate: one(call.metadata.tracestate) };
}
