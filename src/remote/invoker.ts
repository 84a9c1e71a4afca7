// The caller side of remote invocation, as the invocation core sees it (RemoteInvocation):
// parse the target (`app-id` or `app-id.namespace`), resolve it, and call the remote sidecar's
// CallLocal (gRPC InvokeService), CallLocalStream (HTTP invocation, invoke-streamed.ts) — or
// open a raw stream to it for gRPC proxying. Failures become ERR_DIRECT_INVOKE
// with daprd's wording; the remote app's answer comes back unchanged.
import type { ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import type { RemoteInvocation } from '../core/context.js';
import { DaprError } from '../errors/table.js';
import { connectionError, type InternalClient } from './client.js';
import { invokeStreamed, UnaryPeers } from './invoke-streamed.js';
import { fromInternal, isStale, remoteFailure, toInternal } from './messages.js';
import { parseTarget, ResolveError, type InvokeTarget, type NameResolver } from './resolver.js';

export { APP_GRPC_MESSAGE, APP_GRPC_STATUS } from './internal-call.js';
export { fromInternal, remoteFailure, statusText, toInternal } from './messages.js';

export interface InvokerOptions {
  readonly appId: string;
  readonly namespace: string;
  readonly resolver: NameResolver;
  readonly client: InternalClient;
  /** a warning for the log (never carries a token) */
  readonly warn?: (message: string) => void;
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
  const unaryPeers = new UnaryPeers();
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
    async invokeStreaming(raw, req) {
      const t = target(raw);
      return invokeStreamed({ client: o.client, resolver: o.resolver, resolve, unaryPeers, warn: o.warn }, raw, t, req);
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

