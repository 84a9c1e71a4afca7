// Wires the input bindings to the app's health: reading starts when the app is reachable (and,
// with --enable-app-health-check, healthy), pauses while it is not, and ends at shutdown.
import type { Registry } from 'prom-client';
import type { LoadedComponent } from '../components/instances.js';
import type { CoreContext } from '../core/context.js';
import type { Logger } from '../observability/logger.js';
import { createBindingMetrics } from './binding-metrics.js';
import { InputBindings, type InputBindingEntry } from './input-bindings.js';

export interface InputBindingsSetup {
  /** stops reading for good and waits for the events in flight (up to the grace period) */
  close(): Promise<void>;
}

export interface SetupOptions {
  readonly maxResponseBytes: number;
  readonly graceMs: number;
  readonly logger: Logger;
  readonly registry: Registry;
}

export function setupInputBindings(ctx: CoreContext, loaded: readonly LoadedComponent[], o: SetupOptions): InputBindingsSetup {
  const entries: InputBindingEntry[] = [];
  for (const { spec, instance } of loaded) {
    if (instance.kind === 'bindings' && instance.input) entries.push({ name: spec.name, metadata: spec.metadata, input: instance.input });
  }
  if (entries.length === 0) return { close: async () => {} };
  const logger = o.logger.child({ scope: 'pillion.runtime.bindings' });
  const inputs = new InputBindings({
    ctx, entries, logger, maxResponseBytes: o.maxResponseBytes, graceMs: o.graceMs, metrics: createBindingMetrics(o.registry),
  });
  const off = ctx.invocation.onHealthChange((healthy) => {
    if (!healthy) logger.info('The app is not healthy: input bindings pause');
    void (healthy ? inputs.start() : inputs.stop());
  });
  if (ctx.invocation.appHealthy()) void inputs.start();
  return {
    async close() {
      off();
      await inputs.close();
    },
  };
}
