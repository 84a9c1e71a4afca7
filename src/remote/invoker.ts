// The caller side of remote invocation, as the invocation core sees it (RemoteInvocation):
// parse the target (`app-id` or `app-id.namespace`), resolve it, and call the remote sidecar's
// CallLocal — or open a raw stream to it for gRPC proxying. Failures become ERR_DIRECT_INVOKE
// with daprd's wording; the remote app's answer comes back unchanged.
import { STATUS_CODES } from 'node:http';
import type { ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import type { AppRequest, AppResponse } from '../appchannel/channel.js';
import type { RemoteInvocation } from '../core/context.js';
import { DaprError, ERRORS, GrpcCode, type ErrorCode } from '../errors/table.js';
import { HTTPExtension_Verb } from '../gen/dapr/proto/common/v1/common_pb.js';
import { APIVersion } from '../gen/dapr/proto/internals/v1/apiversion_pb.js';
import { InternalInvokeRequestSchema, ListStringValueSchema, type InternalInvokeRequest, type InternalInvokeResponse, type ListStringValue } from '../gen/dapr/proto/internals/v1/service_invocation_pb.js';
import { connectionError, RemoteConnectionError, RemoteStatusError, type InternalClient } from './client.js';
import { parseTarget, ResolveError, type InvokeTarget, type NameResolver } from './resolver.js';

/** Trailer keys carrying a gRPC app's non-OK status through CallLocal (Pillion's convention). */
export const APP_GRPC_STATUS = 'grpc-status';
export const APP_GRPC_MESSAGE = 'grpc-message';

export interface InvokerOptions {
  readonly appId: string;
  readonly namespace: string;
  readonly resolver: NameResolver;
  readonly client: InternalClient;
}

export function remoteInvocation(o: InvokerOptions): RemoteInvocation {
  const target = (raw: string): InvokeTarget => {
    const t = parseTarget(raw, o.namespace);
    if (!t) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${raw}, err: invalid app id ${raw}`);
    return t;
  };
  const resolve = async (raw: string, t: InvokeTarget) => {
    try {
      return await o.resolver.resolve(t);
    } catch (err) {
      if (err instanceof ResolveError) throw new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${raw}, err: ${err.message}`);
      throw err;
    }
  };
  return {
    isOwnApp(raw) {
      const t = parseTarget(raw, o.namespace);
      return t !== undefined && t.appId === o.appId && t.namespace === o.namespace;
    },
    async invoke(raw, req) {
      const t = target(raw);
      const addr = await resolve(raw, t);
      const message = toInternal(req);
      try {
        return fromInternal(await o.client.callLocal(addr, t, message, req.signal, req.timeoutMs));
      } catch (err) {
        if (!isStale(err)) throw remoteFailure(raw, err);
        // The remembered sidecar is gone (or its port is someone else's now): nothing was
        // sent, so look again and answer as a fresh lookup would have.
        o.resolver.forget?.(t);
        if (!addr.cached) throw remoteFailure(raw, err);
        const fresh = await resolve(raw, t);
        try {
          return fromInternal(await o.client.callLocal(fresh, t, message, req.signal, req.timeoutMs));
        } catch (again) {
          if (isStale(again)) o.resolver.forget?.(t);
          throw remoteFailure(raw, again);
        }
      }
    },
    async openStream(raw, headers, signal) {
      const t = target(raw);
      const addr = await resolve(raw, t);
      if (signal?.aborted) throw new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${raw}: the call was cancelled by the caller`);
      // The remote sidecar proxies to its own app: it is named without our namespace suffix.
      const out: OutgoingHttpHeaders = { ...headers, 'dapr-app-id': t.appId };
      delete out['dapr-callee-app-id'];
      let stream: ClientHttp2Stream;
      try {
        stream = o.client.openStream(addr, t, out);
      } catch (err) {
        o.resolver.forget?.(t);
        throw new DaprError('ERR_DIRECT_INVOKE', `failed to proxy request to app ${raw}: ${connectionError(err as NodeJS.ErrnoException).message}`);
      }
      // A relayed stream cannot be replayed: a failed connection only makes the next call look again.
      stream.once('error', (err: NodeJS.ErrnoException) => isStale(connectionError(err)) && o.resolver.forget?.(t));
      return stream;
    },
  };
}

/** A connection failure that says the resolved address no longer serves the target. */
const isStale = (err: unknown): boolean => err instanceof RemoteConnectionError && (err.kind === 'unreachable' || err.kind === 'identity');

/** AppRequest → CallLocal's message: headers become metadata, verb and query the HTTP extension. */
export function toInternal(req: AppRequest): InternalInvokeRequest {
  const metadata: Record<string, ListStringValue> = {};
  let contentType = '';
  for (const [k, v] of req.headers) {
    if (k === 'content-type') {
      contentType = v;
      continue;
    }
    (metadata[k] ??= create(ListStringValueSchema, { values: [] })).values.push(v);
  }
  const verb = HTTPExtension_Verb[req.verb.toUpperCase() as keyof typeof HTTPExtension_Verb];
  return create(InternalInvokeRequestSchema, {
    ver: APIVersion.V1,
    metadata,
    message: {
      method: req.method,
      data: create(AnySchema, { value: req.body }),
      contentType,
      httpExtension: { verb: typeof verb === 'number' ? verb : HTTPExtension_Verb.POST, querystring: req.query },
    },
  });
}

/** CallLocal's answer → the AppResponse the adapters relay (as if the app were local). */
export function fromInternal(res: InternalInvokeResponse): AppResponse {
  const headers: Array<[string, string]> = [];
  for (const [k, list] of Object.entries(res.headers)) for (const v of list.values) headers.push([k, v]);
  const contentType = res.message?.contentType;
  if (contentType && !headers.some(([k]) => k === 'content-type')) headers.push(['content-type', contentType]);
  const grpc = res.trailers[APP_GRPC_STATUS]?.values[0];
  const status = res.status?.code || 200;
  return {
    status,
    headers,
    body: res.message?.data?.value ?? new Uint8Array(),
    grpcStatus: grpc === undefined ? undefined : { code: Number(grpc), message: res.trailers[APP_GRPC_MESSAGE]?.values[0] ?? '' },
  };
}

/** A failure on the way to or in the remote sidecar, as a Dapr error for the caller. */
export function remoteFailure(raw: string, err: unknown): Error {
  if (err instanceof RemoteStatusError) {
    // The remote sidecar's own Dapr error (its app unreachable, not ready, timed out): same
    // code and message as if the caller had asked it directly.
    const code = err.reason && err.reason.startsWith('ERR_DIRECT_INVOKE') && err.reason in ERRORS ? (err.reason as ErrorCode) : 'ERR_DIRECT_INVOKE';
    if (err.code === GrpcCode.DEADLINE_EXCEEDED) return new DaprError('ERR_DIRECT_INVOKE_TIMEOUT', err.message.startsWith('failed to invoke') ? err.message : `failed to invoke, id: ${raw}, err: ${err.message}`);
    return new DaprError(code, err.message.startsWith('failed to invoke') || code !== 'ERR_DIRECT_INVOKE' ? err.message : `failed to invoke, id: ${raw}, err: ${err.message}`);
  }
  if (err instanceof RemoteConnectionError) {
    if (err.kind === 'timeout') return new DaprError('ERR_DIRECT_INVOKE_TIMEOUT', `failed to invoke, id: ${raw}, err: ${err.message}`);
    return new DaprError('ERR_DIRECT_INVOKE', `failed to invoke, id: ${raw}, err: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export const statusText = (code: number): string => STATUS_CODES[code] ?? '';
