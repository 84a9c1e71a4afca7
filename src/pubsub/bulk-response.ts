// What the app's answer to one bulk call means for each entry, as daprd 1.17 reads it
// (pkg/runtime/subscription/postman/{http,grpc}): per-entry SUCCESS / RETRY / DROP; an entry
// the answer leaves out, an empty or unknown status, and any failed call are retried; HTTP 404
// and gRPC UNIMPLEMENTED drop the whole batch. Only an answered DROP goes to the dead-letter
// topic (a 404 or UNIMPLEMENTED drop does not, as in daprd). Pure.
import { fromBinary } from '@bufbuild/protobuf';
import type { DeliveryResult } from '../components/types.js';
import {
  TopicEventBulkResponseSchema,
  TopicEventResponse_TopicEventResponseStatus as Status,
} from '../gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { GRPC_UNIMPLEMENTED } from './delivery.js';

export interface EntryOutcome {
  readonly result: DeliveryResult;
  /** send the message to the subscription's dead-letter topic (an answered DROP) */
  readonly deadLetter: boolean;
  /** a line to log for this entry ('' = nothing to say) */
  readonly detail: string;
}

export interface BulkOutcome {
  /** one per entry id of the call */
  readonly entries: ReadonlyMap<string, EntryOutcome>;
  /** about the call as a whole ('' = nothing to say) */
  readonly detail: string;
  readonly level: 'debug' | 'warn' | 'error';
}

const SUCCESS: EntryOutcome = { result: 'success', deadLetter: false, detail: '' };

function all(ids: readonly string[], o: EntryOutcome, detail: string, level: BulkOutcome['level']): BulkOutcome {
  return { entries: new Map(ids.map((id) => [id, o])), detail, level };
}

/** The call did not complete (app unreachable, timeout, cancelled): every entry is retried. */
export function failedCall(ids: readonly string[], why: string): BulkOutcome {
  return all(ids, { result: 'retry', deadLetter: false, detail: '' }, why, 'warn');
}

/** Each entry's answered status; unknown entry ids are reported and ignored, missing ones retried. */
function perEntry(ids: readonly string[], answers: ReadonlyArray<{ entryId: string; status: 'SUCCESS' | 'RETRY' | 'DROP' | string }>): BulkOutcome {
  const expected = new Set(ids);
  const got = new Map<string, EntryOutcome>();
  const unknownIds: string[] = [];
  for (const a of answers) {
    if (!expected.has(a.entryId)) {
      unknownIds.push(a.entryId);
      continue;
    }
    switch (a.status) {
      case 'SUCCESS':
        got.set(a.entryId, SUCCESS);
        break;
      case 'DROP':
        got.set(a.entryId, { result: 'drop', deadLetter: true, detail: `DROP status returned from app while processing pub/sub event ${a.entryId}` });
        break;
      case 'RETRY':
      case '':
        got.set(a.entryId, { result: 'retry', deadLetter: false, detail: `RETRY required while processing bulk subscribe event for entry id: ${a.entryId}` });
        break;
      default:
        got.set(a.entryId, { result: 'retry', deadLetter: false, detail: `unknown status returned from app while processing bulk subscribe event ${a.entryId}: ${a.status}` });
    }
  }
  const entries = new Map<string, EntryOutcome>();
  for (const id of ids) {
    entries.set(id, got.get(id) ?? { result: 'retry', deadLetter: false, detail: `Response not received, RETRY required while processing bulk subscribe event for entry id: ${id}` });
  }
  const detail = unknownIds.length ? `Invalid entry id received from app while processing pub/sub event ${unknownIds.join(', ')}` : '';
  return { entries, detail, level: unknownIds.length ? 'warn' : 'debug' };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's encoding/json matches struct field names case-insensitively; so does this. */
function field(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  const key = Object.keys(o).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : o[key];
}

/** `{"statuses":[{"entryId","status"}]}`, or a reason it cannot be read as that (Go's decoder would fail). */
export function parseHttpStatuses(body: Uint8Array): Array<{ entryId: string; status: string }> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    return (err as Error).message;
  }
  if (doc === null) return [];
  if (!isRecord(doc)) return 'the answer is not a JSON object';
  const statuses = field(doc, 'statuses');
  if (statuses === undefined || statuses === null) return [];
  if (!Array.isArray(statuses)) return '"statuses" is not an array';
  const out: Array<{ entryId: string; status: string }> = [];
  for (const s of statuses) {
    if (s === null) {
      out.push({ entryId: '', status: '' });
      continue;
    }
    if (!isRecord(s)) return 'an element of "statuses" is not an object';
    const entryId = field(s, 'entryId') ?? '';
    const status = field(s, 'status') ?? '';
    if ((entryId !== null && typeof entryId !== 'string') || (status !== null && typeof status !== 'string')) return '"entryId" and "status" must be strings';
    out.push({ entryId: entryId ?? '', status: status ?? '' });
  }
  return out;
}

/** An HTTP app's answer: 2xx with statuses per entry; 404 drops all; any other status retries all. */
export function httpBulkOutcome(ids: readonly string[], status: number, body: Uint8Array, topic: string): BulkOutcome {
  if (status >= 200 && status <= 299) {
    const statuses = parseHttpStatuses(body);
    if (typeof statuses === 'string') {
      return failedCall(ids, `failed unmarshalling app response for bulk subscribe (topic ${topic}): ${statuses}`);
    }
    return perEntry(ids, statuses);
  }
  if (status === 404) {
    return all(ids, { result: 'drop', deadLetter: false, detail: '' }, `Non-retriable error returned from app while processing bulk pub/sub event. status code returned: ${status}`, 'error');
  }
  return failedCall(ids, `Retriable error returned from app while processing bulk pub/sub event, topic: ${topic}. status code returned: ${status}`);
}

const GRPC_STATUS_NAMES: Record<number, string> = { [Status.SUCCESS]: 'SUCCESS', [Status.RETRY]: 'RETRY', [Status.DROP]: 'DROP' };

/** A gRPC app's answer: OK with a TopicEventBulkResponse; UNIMPLEMENTED drops all; other errors retry all. */
export function grpcBulkOutcome(ids: readonly string[], code: number, statusMessage: string, message: Uint8Array | undefined): BulkOutcome {
  if (code === GRPC_UNIMPLEMENTED) {
    return all(ids, { result: 'drop', deadLetter: false, detail: '' }, `non-retriable error returned from app while processing bulk pub/sub event: code ${code}: ${statusMessage}`, 'warn');
  }
  if (code !== 0) return failedCall(ids, `error returned from app while processing bulk pub/sub event: code ${code}: ${statusMessage}`);
  let statuses;
  try {
    statuses = fromBinary(TopicEventBulkResponseSchema, message ?? new Uint8Array()).statuses;
  } catch (err) {
    return failedCall(ids, `the app's answer to a bulk pub/sub event is not a TopicEventBulkResponse (${(err as Error).message})`);
  }
  // An unset status is 0, SUCCESS (protobuf's default), as daprd reads it.
  return perEntry(ids, statuses.map((s) => ({ entryId: s.entryId, status: GRPC_STATUS_NAMES[s.status] ?? String(s.status) })));
}
