// The sidecar's link to its own app: builds the app channel for --app-protocol, waits (in the
// background) for the app port, and exposes what service invocation needs. The APIs are
// served while the wait goes on; healthz reports ready only once the app port answered, as
// daprd's does.
import type { RunConfig } from '../config/run-config.js';
import type { AppInvocation } from '../core/context.js';
import { withLimits, type AppChannel } from '../appchannel/channel.js';
import { createHttpChannel } from '../appchannel/http-channel.js';
import { createGrpcChannel } from '../appchannel/grpc-channel.js';
import { waitForPort } from '../appchannel/wait-for-port.js';
import type { Logger } from '../observability/logger.js';

export interface AppLink {
  readonly invocation: AppInvocation;
  /** resolves when the app port answered (at once without an app port); false if stopped first */
  waitForApp(): Promise<boolean>;
  close(): void;
}

export function createAppLink(cfg: RunConfig, appToken: () => string | undefined, logger: Logger): AppLink {
  const port = cfg.appPort || undefined;
  let channel: AppChannel | undefined;
  if (port !== undefined) {
    const o = { host: cfg.appChannelAddress, port, maxResponseBytes: cfg.maxBodyBytes };
    const limits = { maxConcurrency: cfg.appMaxConcurrency, timeoutMs: cfg.appCallTimeoutMs };
    if (cfg.appProtocol === 'http') channel = withLimits(createHttpChannel(o), limits);
    else if (cfg.appProtocol === 'grpc') channel = withLimits(createGrpcChannel(o), limits);
    else logger.warn(`--app-protocol ${cfg.appProtocol} is not supported yet; calls to the app fail with ERR_DIRECT_INVOKE`);
  }
  let reachable = port === undefined;
  const stop = new AbortController();
  return {
    invocation: {
      channel: () => channel,
      appReachable: () => reachable,
      appToken,
      tokenHeader: cfg.appTokenHeader,
      namespace: cfg.mode === 'kubernetes' ? cfg.namespace : undefined,
    },
    async waitForApp() {
      if (port === undefined) return true;
      logger.info(`application protocol: ${cfg.appProtocol}. waiting on port ${port}.  This will block until the app is listening on that port.`);
      const ok = await waitForPort(cfg.appChannelAddress, port, stop.signal);
      if (ok) {
        reachable = true;
        logger.info(`application discovered on port ${port}`);
      }
      return ok;
    },
    close() {
      stop.abort();
      channel?.close();
    },
  };
}
