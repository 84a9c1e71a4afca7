// HTTP adapter of the metadata, healthz and shutdown APIs.
import { create } from '@bufbuild/protobuf';
import { PubsubSubscriptionType, SetMetadataRequestSchema, type GetMetadataResponse } from '../../gen/dapr/proto/runtime/v1/metadata_pb.js';
import type { CoreContext } from '../../core/context.js';
import { checkHealth, checkOutboundHealth, shutdown } from '../../core/health.js';
import { getMetadata, setMetadata } from '../../core/metadata.js';
import { json, NO_CONTENT, type HttpRequest, type RouteDef } from './types.js';

const health = (ctx: CoreContext, check = checkHealth) => (req: HttpRequest) => {
  check(ctx, req.query.get('appid') ?? undefined);
  return NO_CONTENT;
};

/** The healthz routes: the only routes exempt from the API token (GET only). */
export function healthRoutes(ctx: CoreContext): RouteDef[] {
  return [
    { method: 'GET', path: '/v1.0/healthz', group: 'healthz', authExempt: true, handler: health(ctx) },
    { method: 'GET', path: '/v1.0/healthz/outbound', group: 'healthz', authExempt: true, handler: health(ctx, checkOutboundHealth) },
  ];
}

export function metadataRoutes(ctx: CoreContext): RouteDef[] {
  return [
    { method: 'GET', path: '/v1.0/metadata', group: 'metadata', handler: () => json(200, metadataJson(getMetadata(ctx))) },
    {
      method: 'PUT',
      path: '/v1.0/metadata/:key',
      group: 'metadata',
      handler: (req) => {
        setMetadata(ctx, create(SetMetadataRequestSchema, { key: req.params.key!, value: req.body.toString('utf8') }));
        return NO_CONTENT;
      },
    },
    {
      method: 'POST',
      path: '/v1.0/shutdown',
      group: 'shutdown',
      handler: () => {
        shutdown(ctx);
        return NO_CONTENT;
      },
    },
  ];
}

/** daprd's HTTP metadata document: its key names, and which keys are always present. */
function metadataJson(m: GetMetadataResponse): Record<string, unknown> {
  const app = m.appConnectionProperties;
  const out: Record<string, unknown> = { id: m.id, runtimeVersion: m.runtimeVersion };
  if (m.enabledFeatures.length) out.enabledFeatures = m.enabledFeatures;
  if (m.registeredComponents.length) {
    out.components = m.registeredComponents.map((c) => ({
      name: c.name,
      type: c.type,
      version: c.version,
      ...(c.capabilities.length ? { capabilities: c.capabilities } : {}),
    }));
  }
  out.extended = m.extendedMetadata;
  if (m.subscriptions.length) {
    // daprd's HTTP form: rules flattened, omitempty on metadata/rules/match/path, type by name
    out.subscriptions = m.subscriptions.map((s) => ({
      pubsubname: s.pubsubName,
      topic: s.topic,
      ...(Object.keys(s.metadata).length ? { metadata: s.metadata } : {}),
      ...(s.rules?.rules.length ? { rules: s.rules.rules.map((r) => ({ ...(r.match ? { match: r.match } : {}), ...(r.path ? { path: r.path } : {}) })) } : {}),
      deadLetterTopic: s.deadLetterTopic,
      type: PubsubSubscriptionType[s.type] ?? 'UNKNOWN',
    }));
  }
  if (m.httpEndpoints.length) out.httpEndpoints = m.httpEndpoints.map((e) => ({ name: e.name }));
  out.appConnectionProperties = app
    ? {
        ...(app.port ? { port: app.port } : {}),
        protocol: app.protocol,
        channelAddress: app.channelAddress,
        ...(app.maxConcurrency ? { maxConcurrency: app.maxConcurrency } : {}),
        // daprd's fields are omitempty: a gRPC app has no healthCheckPath
        ...(app.health ? { health: Object.fromEntries(Object.entries(app.health).filter(([k, v]) => k !== '$typeName' && v !== '' && v !== 0)) } : {}),
      }
    : {};
  out.actorRuntime = { runtimeStatus: 'DISABLED', hostReady: false, placement: 'placement: disconnected' };
  out.workflows = {};
  return out;
}
