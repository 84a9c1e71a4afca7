// HTTP adapter of the publish API: POST|PUT /v1.0/publish/{pubsub}/{topic...} and bulk
// publish under /v1.0-alpha1 and /v1.0 (daprd 1.17 serves both). The topic is the rest of
// the path, slashes included.
import { create } from '@bufbuild/protobuf';
import {
  BulkPublishRequestEntrySchema,
  BulkPublishRequestSchema,
  PublishEventRequestSchema,
} from '../../gen/dapr/proto/runtime/v1/pubsub_pb.js';
import type { CoreContext } from '../../core/context.js';
import { BulkPublishError, bulkPublishEvent, publishEvent, type IncomingTrace } from '../../core/pubsub.js';
import { isBinaryContentType, isCloudEventContentType, isJsonContentType, isStringContentType } from '../../core/pubsub-cloudevents.js';
import { goJsonField, goJsonMarshal, goJsonParse } from '../../core/go-json.js';
import { DaprError } from '../../errors/table.js';
import { isRecord, queryMetadata, stringMap } from './request-helpers.js';
import { json, NO_CONTENT, type HttpMethod, type HttpRequest, type RouteDef } from './types.js';

const header = (req: HttpRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const traceOf = (req: HttpRequest): IncomingTrace => ({ traceparent: header(req, 'traceparent'), tracestate: header(req, 'tracestate') });

/**
 * One bulk entry's `event` as bytes for its content type (daprd's ConvertEventToBytes):
 * octet-stream takes base64 text, text/* and XML a string, JSON and CloudEvents any JSON value.
 */
export function eventToBytes(event: unknown, contentType: string): Uint8Array {
  if (isBinaryContentType(contentType)) {
    if (typeof event !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(event) || event.length % 4 !== 0) {
      throw new Error('event must be base64 text for application/octet-stream');
    }
    return Buffer.from(event, 'base64');
  }
  if (isStringContentType(contentType)) {
    if (typeof event !== 'string') throw new Error(`event must be a string for ${contentType}`);
    return Buffer.from(event);
  }
  if (isJsonContentType(contentType) || isCloudEventContentType(contentType)) return Buffer.from(goJsonMarshal(event));
  throw new Error(`mismatch between contentType "${contentType}" and event`);
}

function bulkEntries(req: HttpRequest, pubsub: string, topic: string, appId: string) {
  // daprd's metadata: the app id, and for an event that cannot be encoded, the reason
  const unmarshal = (detail: string): DaprError =>
    new DaprError('ERR_PUBSUB_UNMARSHAL_EVENTS', `error when unmarshaling the request for topic ${topic} pubsub ${pubsub}: ${detail}`, { appID: appId }, { resource: pubsub });
  let parsed: unknown;
  try {
    parsed = goJsonParse(req.body.toString('utf8'));
  } catch (err) {
    throw unmarshal((err as Error).message);
  }
  if (!Array.isArray(parsed)) throw unmarshal('expected a JSON array of entries');
  return parsed.map((e: unknown, i) => {
    if (!isRecord(e)) throw unmarshal(`entry ${i} is not an object`);
    // Field names as Go decodes them: case-insensitive (the JS SDK sends `entryID`).
    const field = (name: string): unknown => goJsonField(e, name);
    const ct = field('contentType');
    const contentType = typeof ct === 'string' ? ct : '';
    let event: Uint8Array;
    try {
      event = eventToBytes(field('event'), contentType);
    } catch (err) {
      const error = (err as Error).message;
      throw new DaprError(
        'ERR_PUBSUB_MARSHAL_ENVELOPE', `error when marshalling cloud event envelope for topic ${topic} pubsub ${pubsub}: ${error}`,
        { appID: appId, error }, { resource: pubsub },
      );
    }
    return create(BulkPublishRequestEntrySchema, {
      entryId: typeof field('entryId') === 'string' ? (field('entryId') as string) : '',
      event,
      contentType,
      metadata: stringMap(field('metadata'), `[${i}].metadata`),
    });
  });
}

export function pubsubRoutes(ctx: CoreContext): RouteDef[] {
  const publish = async (req: HttpRequest) => {
    await publishEvent(
      ctx,
      create(PublishEventRequestSchema, {
        pubsubName: req.params.pubsubname ?? '',
        topic: req.params['*'] ?? '',
        data: req.body,
        dataContentType: header(req, 'content-type') ?? '',
        metadata: queryMetadata(req.query),
      }),
      traceOf(req),
    );
    return NO_CONTENT;
  };
  const bulk = async (req: HttpRequest) => {
    const pubsubName = req.params.pubsubname ?? '';
    const topic = req.params['*'] ?? '';
    const metadata = queryMetadata(req.query);
    try {
      // Name and topic are checked (by the core) before the body is read, as in daprd.
      const entries = ctx.components.pubsub(pubsubName) && topic ? bulkEntries(req, pubsubName, topic, ctx.appId) : [];
      await bulkPublishEvent(ctx, create(BulkPublishRequestSchema, { pubsubName, topic, entries, metadata }), traceOf(req));
      return NO_CONTENT;
    } catch (err) {
      // daprd answers a partial failure with the failed entries instead of a message.
      if (err instanceof BulkPublishError) return json(err.http, { failedEntries: err.failedEntries, errorCode: err.wire });
      throw err;
    }
  };
  const routes: RouteDef[] = [];
  for (const method of ['POST', 'PUT'] as HttpMethod[]) {
    routes.push(
      { method, path: '/v1.0/publish/:pubsubname/*', group: 'publish', handler: publish },
      { method, path: '/v1.0-alpha1/publish/bulk/:pubsubname/*', group: 'publish', handler: bulk },
      { method, path: '/v1.0/publish/bulk/:pubsubname/*', group: 'publish', handler: bulk },
    );
  }
  return routes;
}
