// Builds the CoreContext the API cores share from the loaded components and the config.
import type { LoadedComponent } from '../components/instances.js';
import { ComponentStore } from '../components/instances.js';
import type { RunConfig } from '../config/run-config.js';
import type { ExternalChannels } from '../appchannel/external.js';
import type { HttpEndpoint } from '../components/http-endpoint.js';
import type { AppInvocation, CoreContext, PubSubObserver, RemoteInvocation, SubscriptionInfo } from '../core/context.js';
import type { StreamSubscriber } from '../pubsub/manager.js';
import { VERSION } from '../version.js';

export interface RuntimeState {
  ready: boolean;
  /** the APIs listen (daprd's outbound health: does not wait for the app) */
  outboundReady: boolean;
  shutdownRequested: () => void;
  /** pub/sub metrics hooks */
  pubsubObserver?: PubSubObserver;
  /** the subscription manager's active list, once it exists */
  subscriptions?: () => readonly SubscriptionInfo[];
  /** the subscription manager, for streaming subscriptions */
  pubsubStreams?: StreamSubscriber;
}

export function buildCoreContext(cfg: RunConfig, loaded: readonly LoadedComponent[], rt: RuntimeState, features: readonly string[], invocation: AppInvocation, remote?: RemoteInvocation, external?: ExternalChannels, httpEndpoints?: ReadonlyMap<string, HttpEndpoint>): CoreContext & { store: ComponentStore } {
  const store = new ComponentStore(loaded);
  const specs = new Map(loaded.map((c) => [c.spec.name, c.spec.metadata]));
  return {
    store,
    appId: cfg.appId,
    runtimeVersion: VERSION,
    components: {
      state: (n) => store.state(n),
      secret: (n) => store.secret(n),
      pubsub: (n) => store.pubsub(n),
      hasPubSub: () => store.names('pubsub').length > 0,
      binding: (n) => store.binding(n),
      metadataOf: (n) => specs.get(n),
      list: () => store.list(),
    },
    app: {
      port: cfg.appPort,
      protocol: cfg.appProtocol,
      channelAddress: cfg.appChannelAddress,
      maxConcurrency: cfg.appMaxConcurrency,
      health: cfg.appHealth.enabled
        ? {
            path: cfg.appHealth.path,
            intervalSeconds: cfg.appHealth.intervalSeconds,
            timeoutMs: cfg.appHealth.timeoutMs,
            threshold: cfg.appHealth.threshold,
          }
        : undefined,
    },
    invocation,
    remote,
    external,
    httpEndpoints,
    extendedMetadata: new Map(),
    enabledFeatures: features,
    pubsubObserver: rt.pubsubObserver,
    subscriptions: () => rt.subscriptions?.() ?? [],
    pubsubStreams: () => rt.pubsubStreams,
    isReady: () => rt.ready,
    isOutboundReady: () => rt.outboundReady,
    requestShutdown: () => rt.shutdownRequested(),
  };
}
