// The metadata API, once for both protocols. It never shows a token: nothing secret is part
// of CoreContext, and extended attributes are only what the app itself set.
import { create } from '@bufbuild/protobuf';
import {
  AppConnectionHealthPropertiesSchema,
  AppConnectionPropertiesSchema,
  GetMetadataResponseSchema,
  MetadataHTTPEndpointSchema,
  RegisteredComponentsSchema,
  PubsubSubscriptionSchema,
  PubsubSubscriptionType,
  type GetMetadataResponse,
  type SetMetadataRequest,
} from '../gen/dapr/proto/runtime/v1/metadata_pb.js';
import type { CoreContext } from './context.js';
import { goDuration } from '../util/go-duration.js';

const HTTP_PROTOCOLS = new Set(['http', 'https', 'h2c']);
const SUBSCRIPTION_TYPES = {
  declarative: PubsubSubscriptionType.DECLARATIVE,
  programmatic: PubsubSubscriptionType.PROGRAMMATIC,
  streaming: PubsubSubscriptionType.STREAMING,
} as const;

export function getMetadata(ctx: CoreContext): GetMetadataResponse {
  const { app } = ctx;
  return create(GetMetadataResponseSchema, {
    id: ctx.appId,
    runtimeVersion: ctx.runtimeVersion,
    enabledFeatures: [...ctx.enabledFeatures],
    registeredComponents: ctx.components.list().map((c) =>
      create(RegisteredComponentsSchema, { name: c.name, type: c.type, version: c.version, capabilities: [...c.capabilities] }),
    ),
    subscriptions: (ctx.subscriptions?.() ?? []).map((s) =>
      create(PubsubSubscriptionSchema, {
        pubsubName: s.pubsubName,
        topic: s.topic,
        metadata: { ...s.metadata },
        rules: { rules: s.rules.map((r) => ({ match: r.match, path: r.path })) },
        deadLetterTopic: s.deadLetterTopic,
        type: SUBSCRIPTION_TYPES[s.kind],
      }),
    ),
    httpEndpoints: [...(ctx.httpEndpoints?.keys() ?? [])].map((name) => create(MetadataHTTPEndpointSchema, { name })),
    // daprd always reports its version among the extended attributes
    extendedMetadata: { daprRuntimeVersion: ctx.runtimeVersion, ...Object.fromEntries(ctx.extendedMetadata) },
    appConnectionProperties: create(AppConnectionPropertiesSchema, {
      port: app.port ?? 0,
      protocol: app.protocol,
      channelAddress: app.channelAddress,
      maxConcurrency: app.maxConcurrency > 0 ? app.maxConcurrency : 0,
      health: app.health
        ? create(AppConnectionHealthPropertiesSchema, {
            // as daprd: Go duration strings, and no path for gRPC apps (their probe has none)
            healthCheckPath: HTTP_PROTOCOLS.has(app.protocol) ? app.health.path : '',
            healthProbeInterval: goDuration(app.health.intervalSeconds * 1000),
            healthProbeTimeout: goDuration(app.health.timeoutMs),
            healthThreshold: app.health.threshold,
          })
        : undefined,
    }),
  });
}

export function setMetadata(ctx: CoreContext, req: SetMetadataRequest): void {
  ctx.extendedMetadata.set(req.key, req.value);
}
