// Builds the CoreContext the API cores share from the loaded components and the config.
import type { LoadedComponent } from '../components/instances.js';
import { ComponentStore } from '../components/instances.js';
import type { RunConfig } from '../config/run-config.js';
import type { AppInvocation, CoreContext } from '../core/context.js';
import { VERSION } from '../version.js';

export interface RuntimeState {
  ready: boolean;
  /** the APIs listen (daprd's outbound health: does not wait for the app) */
  outboundReady: boolean;
  shutdownRequested: () => void;
}

export function buildCoreContext(cfg: RunConfig, loaded: readonly LoadedComponent[], rt: RuntimeState, features: readonly string[], invocation: AppInvocation): CoreContext & { store: ComponentStore } {
  const store = new ComponentStore(loaded);
  const specs = new Map(loaded.map((c) => [c.spec.name, c.spec.metadata]));
  return {
    store,
    appId: cfg.appId,
    runtimeVersion: VERSION,
    components: {
      state: (n) => store.state(n),
      secret: (n) => store.secret(n),
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
    extendedMetadata: new Map(),
    enabledFeatures: features,
    isReady: () => rt.ready,
    isOutboundReady: () => rt.outboundReady,
    requestShutdown: () => rt.shutdownRequested(),
  };
}
