// HTTP invocation of another app over CallLocalStream, as daprd ≥ 1.11 does: the caller's body
// and the remote app's answer flow through both sidecars as they arrive. Two refusals before
// the answer begins are answered by sending the call again, which the BodyRecord makes
// possible without holding the body whole:
//  - the remembered address went stale (unreachable, or another identity answers): one fresh
//    lookup, as for CallLocal;
//  - the peer does not serve CallLocalStream (UNIMPLEMENTED: an older or another sidecar): the
//    call goes again as unary CallLocal, as daprd does for a replayable request, and that peer
//    is called unary for a while. When too much of the body was already sent to send it
//    again, the call fails with daprd's message.
import type { Readable } from 'node:stream';
import { readAll } from '../util/read-all.js';
import { create } from '@bufbuild/protobuf';
import { STREAM_ABOVE_BYTES, type AppRequest, type AppResponse, type StreamedAppResponse } from '../appchannel/channel.js';
import { DaprError, GrpcCode } from '../errors/table.js';
import { ListStringValueSchema, type InternalInvokeRequest, type InternalInvokeResponse } from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import type { StreamedAnswer } from './call-local-stream.js';
import type { InternalClient } from './client.js';
import { RemoteStatusError } from './errors.js';
import { APP_GRPC_STATUS } from './internal-call.js';
import { fromInternal, isStale, remoteFailure, toInternal } from './messages.js';
import { BodyRecord } from './replay-body.js';
import type { InvokeTarget, NameResolver, ResolvedAddress } from './resolver.js';

/** How long a peer that refused CallLocalStream is called unary before it is tried again. */
export const UNARY_PEER_MS = 5 * 60_000;
const MAX_UNARY_PEERS = 1024;

/** Peers (address + identity) that answered CallLocalStream with UNIMPLEMENTED, for a while. */
export class UnaryPeers {
  private readonly until = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  has(addr: ResolvedAddress, t: InvokeTarget): boolean {
    const k = key(addr, t);
    const until = this.until.get(k);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(k);
    return false;
  }

  add(addr: ResolvedAddress, t: InvokeTarget): void {
    if (this.until.size >= MAX_UNARY_PEERS) this.until.clear();
    this.until.set(key(addr, t), this.now() + UNARY_PEER_MS);
  }
}

const key = (addr: ResolvedAddress, t: InvokeTarget): string => `${addr.host}:${addr.port}|${t.namespace}/${t.appId}`;

export interface StreamedInvokeDeps {
  readonly client: InternalClient;
  readonly resolver: NameResolver;
  /** the resolver, its failures as Dapr errors */
  resolve(raw: string, t: InvokeTarget): Promise<ResolvedAddress>;
  readonly unaryPeers: UnaryPeers;
  readonly warn?: (message: string) => void;
}

/** daprd's refusal of an older peer: a grpc-go server's UNIMPLEMENTED carries no ErrorInfo
 * (a Dapr error from the peer's app path would). */
const isUnimplemented = (err: unknown): boolean => err instanceof RemoteStatusError && err.code === GrpcCode.UNIMPLEMENTED && !err.reason;

export async function invokeStreamed(d: StreamedInvokeDeps, raw: string, t: InvokeTarget, req: AppRequest): Promise<AppResponse | StreamedAppResponse> {
  let addr = await d.resolve(raw, t);
  let body: Uint8Array | Readable = req.bodyStream ?? req.body;
  const head = streamHead(req);
  for (let fresh = false; ; fresh = true) {
    if (d.unaryPeers.has(addr, t)) return unary(d, raw, addr, t, req, body);
    const record = body instanceof Uint8Array ? undefined : new BodyRecord();
    try {
      const options = { signal: req.signal, timeoutMs: req.timeoutMs, record, exactLength: req.verb.toUpperCase() !== 'HEAD', whole };
      return fromStreamed(await d.client.callLocalStream(addr, t, head, body, options));
    } catch (err) {
      if (!isUnimplemented(err) && !isStale(err)) throw remoteFailure(raw, err);
      const again = body instanceof Uint8Array ? body : record!.replay(body);
      if (isUnimplemented(err)) {
        if (!again) {
          throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${raw}, err: target app '${raw}' is running a version of Dapr that does not support streaming-based service invocation`);
        }
        d.unaryPeers.add(addr, t);
        d.warn?.(`App ${raw} does not support streaming-based service invocation (most likely because it's using an older version of Dapr); falling back to unary calls`);
        return unary(d, raw, addr, t, req, again);
      }
      // The remembered sidecar is gone (or its port is someone else's now): look again, once.
      d.resolver.forget?.(t);
      if (!addr.cached || fresh || !again) throw remoteFailure(raw, err);
      addr = await d.resolve(raw, t);
      body = again;
    }
  }
}

/** The leading message's request: everything but the body, whose length (when known) travels
 * as content-length metadata, as daprd forwards the caller's Content-Length. */
export function streamHead(req: AppRequest): InternalInvokeRequest {
  const head = toInternal({ ...req, body: new Uint8Array() });
  const length = req.bodyStream ? req.bodyLength : req.body.length;
  if (length !== undefined) head.metadata['content-length'] = create(ListStringValueSchema, { values: [String(length)] });
  return head;
}

/** Answers read whole, as from a local app: small ones of declared length, and those of a
 * gRPC app (whose status travels in the head's trailers; the adapters map it). */
const whole = (head: InternalInvokeResponse, length: number | undefined): boolean =>
  (length !== undefined && length <= STREAM_ABOVE_BYTES) || head.trailers[APP_GRPC_STATUS] !== undefined;

/** The answer as the adapters relay it. */
function fromStreamed(a: StreamedAnswer): AppResponse | StreamedAppResponse {
  if (a.body instanceof Uint8Array) return fromInternal(a.head, a.body);
  const { status, headers } = fromInternal(a.head);
  return { status, headers, body: a.body, length: a.length };
}

async function unary(d: StreamedInvokeDeps, raw: string, addr: ResolvedAddress, t: InvokeTarget, req: AppRequest, body: Uint8Array | Readable): Promise<AppResponse> {
  try {
    const data = body instanceof Uint8Array ? body : await readAll(body);
    return fromInternal(await d.client.callLocal(addr, t, toInternal({ ...req, body: data }), req.signal, req.timeoutMs));
  } catch (err) {
    if (isStale(err)) d.resolver.forget?.(t);
    throw remoteFailure(raw, err);
  }
}
