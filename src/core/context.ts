// What every API core gets: the app identity and the live components. Cores are
// protocol-independent: requests and responses are typed like Dapr's protobuf messages, so
// the gRPC adapter passes them straight through and the HTTP adapter maps URL/JSON to them.
import type { ExternalChannels } from '../appchannel/external.js';
import type { HttpEndpoint } from '../components/http-endpoint.js';
import type { Binding, PubSub, SecretStore, StateStore } from '../components/types.js';
import type { AppChannel, AppRequest, AppResponse, StreamedAppResponse } from '../appchannel/channel.js';
import type { ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import type { StreamSubscriber } from '../pubsub/manager.js';
import type { CallSignal } from '../util/call-signal.js';

export interface ComponentInfo {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly capabilities: readonly string[];
}

export interface ComponentLookup {
  state(name: string): StateStore | undefined;
  secret(name: string): SecretStore | undefined;
  pubsub(name: string): PubSub | undefined;
  /** false when this app has no pub/sub component at all */
  hasPubSub(): boolean;
  /** a binding component (`bindings.*`) by name */
  binding(name: string): Binding | undefined;
  /** spec.metadata of a component (for runtime-level options such as keyPrefix) */
  metadataOf(name: string): Readonly<Record<string, string>> | undefined;
  list(): readonly ComponentInfo[];
}

export interface AppConnection {
  readonly port?: number;
  readonly protocol: string;
  readonly channelAddress: string;
  readonly maxConcurrency: number;
  readonly health?: {
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutMs: number;
    readonly threshold: number;
  };
}

/** An active pub/sub subscription, as the metadata API lists it. */
export interface SubscriptionInfo {
  readonly pubsubName: string;
  readonly topic: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly rules: ReadonlyArray<{ readonly match: string; readonly path: string }>;
  readonly deadLetterTopic: string;
  readonly kind: 'programmatic' | 'declarative' | 'streaming';
}

/** Pub/sub counters (daprd's dapr_component_pubsub_egress/ingress_count). */
export interface PubSubObserver {
  egress(component: string, topic: string, success: boolean): void;
  /** status: success | retry | drop */
  ingress(component: string, topic: string, status: string): void;
}

/** What service invocation needs from the runtime. */
export interface AppInvocation {
  /** the channel to the own app; undefined without --app-port */
  channel(): AppChannel | undefined;
  /** false until the app port accepted a connection at start-up */
  appReachable(): boolean;
  /**
   * true while the app can take calls: the app port answered and, with
   * --enable-app-health-check, the health probes pass (false until the first probe passed, as in
   * daprd). Always false without --app-port. Service invocation refuses while it is false;
   * pub/sub deliveries and input bindings should pause.
   */
  appHealthy(): boolean;
  /**
   * cb(healthy) on every change of appHealthy() from now on — not for the current value (read
   * appHealthy() when subscribing). Returns the function that unsubscribes.
   */
  onHealthChange(cb: (healthy: boolean) => void): () => void;
  /** the token SET on every call to the own app (APP_API_TOKEN / APP_API_TOKEN_FILE, current value) */
  appToken(): string | undefined;
  /** header that carries it (--app-token-header, default dapr-api-token) */
  readonly tokenHeader: string;
  /** sent as dapr-caller-namespace (Kubernetes mode only) */
  readonly namespace?: string;
}

/** Sidecar-to-sidecar invocation (src/remote): calls to other apps go through their sidecars. */
export interface RemoteInvocation {
  /** true when `target` names this sidecar's own app (`id`, or `id.<own namespace>`) */
  isOwnApp(target: string): boolean;
  /** calls `target`'s sidecar; the request's headers are already free of tokens and identities */
  invoke(target: string, req: AppRequest): Promise<AppResponse>;
  /** the same with the body (`req.bodyStream`, else `req.body`) and the answer relayed as they
   * flow (CallLocalStream) */
  invokeStreaming?(target: string, req: AppRequest): Promise<AppResponse | StreamedAppResponse>;
  /** a raw gRPC stream through `target`'s sidecar to its gRPC app (transparent proxying) */
  openStream(target: string, headers: OutgoingHttpHeaders, signal?: CallSignal): Promise<ClientHttp2Stream>;
}

export interface CoreContext {
  readonly appId: string;
  readonly runtimeVersion: string;
  readonly components: ComponentLookup;
  readonly app: AppConnection;
  readonly invocation: AppInvocation;
  /** undefined: invocation reaches the own app only */
  readonly remote?: RemoteInvocation;
  /** channels to endpoints outside Dapr (full-URL targets); undefined: such calls are refused */
  readonly external?: ExternalChannels;
  /** HTTPEndpoint resources by name: invocation targets outside Dapr */
  readonly httpEndpoints?: ReadonlyMap<string, HttpEndpoint>;
  /** attributes set with the metadata API (PUT /v1.0/metadata/{key}, SetMetadata) */
  readonly extendedMetadata: Map<string, string>;
  readonly enabledFeatures: readonly string[];
  /** pub/sub metrics; absent in contexts that do not count */
  readonly pubsubObserver?: PubSubObserver;
  /** the active pub/sub subscriptions (empty until the app was asked for them) */
  readonly subscriptions?: () => readonly SubscriptionInfo[];
  /** streaming subscriptions (SubscribeTopicEventsAlpha1); undefined until the manager exists */
  readonly pubsubStreams?: () => StreamSubscriber | undefined;
  /** true once components are loaded, the servers listen and the app port answered */
  isReady(): boolean;
  /** true once the servers listen (healthz/outbound: does not wait for the app) */
  isOutboundReady(): boolean;
  /** asks the runtime to shut down gracefully (Shutdown API) */
  requestShutdown(): void;
}
