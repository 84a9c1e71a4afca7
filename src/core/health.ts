// Health of the sidecar itself: ready once components are loaded and the APIs listen.
import { DaprError } from '../errors/table.js';
import type { CoreContext } from './context.js';

export function checkHealth(ctx: CoreContext, appId?: string): void {
  if (!ctx.isReady()) throw new DaprError('ERR_HEALTH_NOT_READY', 'dapr is not ready');
  if (appId !== undefined && appId !== ctx.appId) {
    throw new DaprError('ERR_HEALTH_APPID_NOT_MATCH', 'dapr app-id does not match');
  }
}

/** daprd's outbound health: the sidecar can serve calls, whether or not the app is up yet.
 * Unlike /v1.0/healthz it takes no `appid` (daprd ignores one). */
export function checkOutboundHealth(ctx: CoreContext): void {
  if (!ctx.isOutboundReady()) throw new DaprError('ERR_OUTBOUND_HEALTH_NOT_READY', 'dapr outbound is not ready');
}

export function shutdown(ctx: CoreContext): void {
  ctx.requestShutdown();
}
