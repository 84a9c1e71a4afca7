// The metadata API, once for both protocols. It never shows a token: nothing secret is part
// of CoreContext, and extended attributes are only what the app itself set.
import { create } from '@bufbuild/protobuf';
import {
  AppConnectionHealthPropertiesSchema,
  AppConnectionPropertiesSchema,
  GetMetadataResponseSchema,
  RegisteredComponentsSchema,
  type GetMetadataResponse,
  type SetMetadataRequest,
} from '../gen/dapr/proto/runtime/v1/metadata_pb.js';
import type { CoreContext } from './context.js';

export function getMetadata(ctx: CoreContext): GetMetadataResponse {
  const { app } = ctx;
  return create(GetMetadataResponseSchema, {
    id: ctx.appId,
    runtimeVersion: ctx.runtimeVersion,
    enabledFeatures: [...ctx.enabledFeatures],
    registeredComponents: ctx.components.list().map((c) =>
      create(RegisteredComponentsSchema, { name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] }),
    ),
    // daprd always reports its version among the extended attributes
    extendedMetadata: { daprRuntimeVersion: ctx.runtimeVersion, ...Object.fromEntries(ctx.extendedMetadata) },
    appConnectionProperties: create(AppConnectionPropertiesSchema, {
      port: app.port ?? 0,
      protocol: app.protocol,
      channelAddress: app.channelAddress,
      maxConcurrency: app.maxConcurrency > 0 ? app.maxConcurrency : 0,
      health: app.health
        ? create(AppConnectionHealthPropertiesSchema, {
            healthCheckPath: app.health.path,
            healthProbeInterval: `${app.health.intervalSeconds}s`,
            healthProbeTimeout: `${app.health.timeoutMs}ms`,
            healthThreshold: app.health.threshold,
          })
        : undefined,
    }),
  });
}

export function setMetadata(ctx: CoreContext, req: SetMetadataRequest): void {
  ctx.extendedMetadata.set(req.key, req.value);
}
