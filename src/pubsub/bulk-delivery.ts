// One bulk call to the own app, for the entries of one route:
//   HTTP app — POST <route>, `content-type: application/json`, the BulkSubscribeRequest body;
//   header `pubsubname` (the batch metadata, as daprd sends it).
//   gRPC app — AppCallback/OnBulkTopicEvent, falling back to AppCallbackAlpha/
//   OnBulkTopicEventAlpha1 when the app does not implement it (daprd 1.17's order; the
//   official SDKs serve only the alpha method). Once an app answered UNIMPLEMENTED to the
//   first, the sidecar goes straight to the second.
// The app token is SET on every call; nothing from the messages travels as headers (their
// metadata is in the entries). What the answer means per entry is bulk-response.ts.
import { GRPC_UNIMPLEMENTED, type AppAccess } from './delivery.js';
import { batchMetadata, bulkGrpcRequest, bulkHttpBody, type BulkCall } from './bulk-request.js';
import { failedCall, grpcBulkOutcome, httpBulkOutcome, type BulkOutcome } from './bulk-response.js';

export const ON_BULK_TOPIC_EVENT = '/dapr.proto.runtime.v1.AppCallback/OnBulkTopicEvent';
export const ON_BULK_TOPIC_EVENT_ALPHA1 = '/dapr.proto.runtime.v1.AppCallbackAlpha/OnBulkTopicEventAlpha1';

/** The batch metadata as header pairs (lower-case), then the app token. */
export function bulkHeaders(call: Pick<BulkCall, 'pubsubName'>, access: Pick<AppAccess, 'token' | 'tokenHeader'>): Array<[string, string]> {
  const out: Array<[string, string]> = Object.entries(batchMetadata(call.pubsubName)).map(([k, v]) => [k.toLowerCase(), v]);
  if (access.token) out.push([access.tokenHeader, access.token]);
  return out;
}

const ids = (call: BulkCall): string[] => call.entries.map((e) => e.entryId);

export async function deliverBulkHttp(call: BulkCall, access: AppAccess, signal?: AbortSignal): Promise<BulkOutcome> {
  let res;
  try {
    res = await access.channel.invoke({
      verb: 'POST',
      method: call.path.replace(/^\/+/, ''),
      query: '',
      headers: [['content-type', 'application/json'], ...bulkHeaders(call, access)],
      body: bulkHttpBody(call),
      signal,
    });
  } catch (err) {
    return failedCall(ids(call), `error from app channel while sending bulk pub/sub event to app: ${(err as Error).message}`);
  }
  return httpBulkOutcome(ids(call), res.status, res.body, call.topic);
}

/** Remembers, per app channel, that the app does not serve the v1 method. */
export interface GrpcBulkState {
  v1Unimplemented: boolean;
}

export async function deliverBulkGrpc(call: BulkCall, access: AppAccess, state: GrpcBulkState, warn: (line: string) => void, signal?: AbortSignal): Promise<BulkOutcome> {
  const unary = access.channel.unary?.bind(access.channel);
  if (!unary) return failedCall(ids(call), 'the gRPC app channel cannot send bulk topic events');
  const message = bulkGrpcRequest(call);
  const metadata = bulkHeaders(call, access);
  try {
    let res = state.v1Unimplemented ? undefined : await unary({ path: ON_BULK_TOPIC_EVENT, message, metadata, signal });
    if (!res || res.code === GRPC_UNIMPLEMENTED) {
      if (res) {
        state.v1Unimplemented = true;
        warn(`falling back to OnBulkTopicEventAlpha1 due to unimplemented error: ${res.statusMessage}`);
      }
      res = await unary({ path: ON_BULK_TOPIC_EVENT_ALPHA1, message, metadata, signal });
    }
    return grpcBulkOutcome(ids(call), res.code, res.statusMessage, res.message);
  } catch (err) {
    return failedCall(ids(call), `error returned from app while processing bulk pub/sub event: ${(err as Error).message}`);
  }
}
