// The sidecar's link to its own app: builds the app channel for --app-protocol, waits (in the
// background) for the app port, runs the app health probes (--enable-app-health-check) and
// exposes what service invocation, pub/sub and bindings need. The APIs are served while the
// wait goes on; healthz reports ready only once the app port answered, as daprd's does (app
// health does not change the sidecar's own healthz, in daprd either).
import type { Registry } from 'prom-client';
import type { RunConfig } from '../config/run-config.js';
import type { AppInvocation } from '../core/context.js';
import { withLimits, type AppChannel } from '../appchannel/channel.js';
import { createHttpChannel } from '../appchannel/http-channel.js';
import { createGrpcChannel } from '../appchannel/grpc-channel.js';
import { createH2cChannel } from '../appchannel/h2c-channel.js';
import { appTransport, loadAppCa, type AppTransport } from '../appchannel/tls.js';
import { waitForPort } from '../appchannel/wait-for-port.js';
import { createProber } from '../appchannel/health-probe.js';
import { createHealthMonitor, type HealthMonitor } from '../appchannel/health-monitor.js';
import { createHealthMetrics } from '../observability/health-metrics.js';
import type { Logger } from '../observability/logger.js';

export interface AppLink {
  readonly invocation: AppInvocation;
  /** resolves when the app port answered (at once without an app port); false if stopped first */
  waitForApp(): Promise<boolean>;
  /** with health checks: resolves once the app is unhealthy (at once if it is now); undefined without them */
  whenUnhealthy(): Promise<void> | undefined;
  close(): void;
}

export function createAppLink(cfg: RunConfig, appToken: () => string | undefined, logger: Logger, registry?: Registry): AppLink {
  const port = cfg.appPort || undefined;
  // Read once at start-up; an unreadable file stops start-up (fail closed, never unverified).
  const transport = appTransport(cfg.appProtocol, cfg.appChannelAddress, cfg.appCaFile ? loadAppCa(cfg.appCaFile) : undefined);
  let channel: AppChannel | undefined;
  if (port !== undefined) {
    const o = { host: cfg.appChannelAddress, port, maxResponseBytes: cfg.maxBodyBytes, tls: transport.tls };
    const limits = { maxConcurrency: cfg.appMaxConcurrency, timeoutMs: cfg.appCallTimeoutMs };
    const inner = transport.family === 'grpc' ? createGrpcChannel(o) : transport.h2c ? createH2cChannel(o) : createHttpChannel(o);
    channel = withLimits(inner, limits);
    if (transport.tls) {
      logger.info(cfg.appCaFile
        ? `TLS to the app: its certificate must chain to --app-ca-file ${cfg.appCaFile} and name ${cfg.appChannelAddress}`
        : 'TLS to the app: its certificate is not verified (as daprd); set --app-ca-file to verify it');
    }
  }
  let reachable = port === undefined;
  const stop = new AbortController();
  const listeners = new Set<(healthy: boolean) => void>();
  const notify = (healthy: boolean): void => {
    for (const cb of [...listeners]) {
      try {
        cb(healthy);
      } catch (err) {
        logger.warn(`An app health listener failed: ${(err as Error).message}`);
      }
    }
  };
  const monitor = channel && port !== undefined && cfg.appHealth.enabled ? healthMonitor(cfg, port, transport, appToken, logger, registry) : undefined;
  monitor?.onChange(notify);

  return {
    invocation: {
      channel: () => channel,
      appReachable: () => reachable,
      appHealthy: () => channel !== undefined && reachable && (monitor ? monitor.healthy() : true),
      onHealthChange(cb) {
        listeners.add(cb);
        return () => listeners.delete(cb);
      },
      appToken,
      tokenHeader: cfg.appTokenHeader,
      namespace: cfg.mode === 'kubernetes' ? cfg.namespace : undefined,
    },
    async waitForApp() {
      if (port === undefined) return true;
      logger.info(`application protocol: ${cfg.appProtocol}. waiting on port ${port}.  This will block until the app is listening on that port.`);
      const ok = await waitForPort(cfg.appChannelAddress, port, stop.signal, undefined, transport.tls);
      if (ok) {
        reachable = true;
        logger.info(`application discovered on port ${port}`);
        // As daprd: probing starts once the port answered (the first probe at once); without
        // health checks the app counts as healthy from here on.
        if (monitor) monitor.start();
        else if (channel) notify(true);
      }
      return ok;
    },
    whenUnhealthy() {
      if (!monitor) return undefined;
      if (!monitor.healthy()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const off = monitor.onChange((up) => {
          if (up) return;
          off();
          resolve();
        });
      });
    },
    close() {
      stop.abort();
      monitor?.close();
      listeners.clear();
      channel?.close();
    },
  };
}

function healthMonitor(cfg: RunConfig, port: number, transport: AppTransport, appToken: () => string | undefined, logger: Logger, registry?: Registry): HealthMonitor {
  const log = logger.child({ scope: 'pillion.runtime.apphealth' });
  const metrics = registry ? createHealthMetrics(registry, transport.family) : undefined;
  const prober = createProber({
    protocol: transport.family,
    tls: transport.tls,
    h2c: transport.h2c,
    host: cfg.appChannelAddress,
    port,
    path: cfg.appHealth.path,
    timeoutMs: cfg.appHealth.timeoutMs,
    // Off by default, as in daprd; --app-health-probe-token sets the current app token.
    token: () => {
      const t = cfg.appHealth.probeToken ? appToken() : undefined;
      return t ? [cfg.appTokenHeader, t] : undefined;
    },
  });
  const monitor = createHealthMonitor({
    intervalMs: cfg.appHealth.intervalSeconds * 1000,
    threshold: cfg.appHealth.threshold,
    prober,
    log: { info: (m) => log.info(m), warn: (m) => log.warn(m), debug: (m) => log.debug(m) },
    onProbe: metrics && ((r) => metrics.probe(r.status, r.ms)),
  });
  if (metrics) monitor.onChange((up) => metrics.healthy(up));
  return monitor;
}
