// Sidecar-to-sidecar invocation as one piece of the sidecar's lifecycle: the trust (CA and
// own leaf, renewed at half-life), the name resolver, the client, and — once the public APIs
// listen — the internal server and the registry row with its heartbeat. Without a trust
// bundle (Kubernetes without the mounted Secret, or an unusable CA) nothing listens on the
// internal port and invoking other apps fails with ERR_DIRECT_INVOKE: closed, never open.
import type { RunConfig } from '../config/run-config.js';
import type { CoreContext, RemoteInvocation } from '../core/context.js';
import type { CallObserver, GrpcServer } from '../api/grpc/server.js';
import type { Logger } from '../observability/logger.js';
import { describe, listen, ListenError } from '../runtime/listen.js';
import { InternalClient } from './client.js';
import { createInternalServer } from './internal-server.js';
import { remoteInvocation } from './invoker.js';
import { HEARTBEAT_MS, Registry } from './registry.js';
import { kubernetesResolver, registryResolver, type NameResolver } from './resolver.js';
import { issueLeaf, loadCa, loadOrCreateLocalCa, TrustError, type LeafCertificate, type TrustAuthority } from './trust.js';
import { randomBytes } from 'node:crypto';
import { rateLimitedLog } from '../observability/rate-limited-log.js';

export interface RemoteSetup {
  /** undefined when the sidecar has no trust bundle */
  readonly invocation?: RemoteInvocation;
  /** starts the internal server and registers this sidecar (call once the APIs listen) */
  listen(ctx: CoreContext, observe?: CallObserver): Promise<void>;
  close(graceMs: number): Promise<void>;
}

export const DEFAULT_NAMESPACE = 'default';

export async function setupRemote(cfg: RunConfig, logger: Logger): Promise<RemoteSetup> {
  const log = logger.child({ scope: 'pillion.runtime.remote' });
  const namespace = cfg.namespace ?? DEFAULT_NAMESPACE;
  let ca: TrustAuthority | undefined;
  try {
    if (cfg.trustBundleDir) ca = loadCa(cfg.trustBundleDir);
    else if (cfg.mode === 'standalone') ca = loadOrCreateLocalCa(cfg.dataDir);
    else log.warn('No trust bundle (--trust-bundle-dir): the internal server is off and other apps cannot be invoked; see docs/kubernetes.md');
  } catch (err) {
    if (!(err instanceof TrustError)) throw err;
    log.error(`${err.message}; the internal server is off and other apps cannot be invoked`);
  }
  if (!ca) return { listen: async () => {}, close: async () => {} };
  const authority = ca;

  let leaf: LeafCertificate = issueLeaf(authority, { namespace, appId: cfg.appId });
  const creds = () => ({ ca: authority.caCertPem, cert: leaf.certPem, key: leaf.keyPem });
  const client = new InternalClient(creds, authority.trustDomain, cfg.maxBodyBytes);
  const registry = cfg.mode === 'standalone' ? await Registry.open(cfg.dataDir) : undefined;
  const resolver: NameResolver = registry ? registryResolver(registry) : kubernetesResolver(cfg.internalGrpcPort);
  const invocation = remoteInvocation({ appId: cfg.appId, namespace, resolver, client, warn: (m) => log.warn(m) });
  log.info(`Sidecar identity spiffe://${authority.trustDomain}/ns/${namespace}/${cfg.appId} (certificate valid until ${leaf.notAfter.toISOString()})`);

  let server: GrpcServer | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  const instance = `${process.pid}-${randomBytes(6).toString('hex')}`;
  // Renew the leaf at half its life; new connections (both ways) use the new one.
  const renewal = setInterval(() => {
    try {
      leaf = issueLeaf(authority, { namespace, appId: cfg.appId });
      (server?.server as { setSecureContext?: (o: object) => void } | undefined)?.setSecureContext?.(creds());
      log.info(`Sidecar certificate renewed (valid until ${leaf.notAfter.toISOString()})`);
    } catch (err) {
      log.error(`Sidecar certificate renewal failed: ${(err as Error).message}`);
    }
  }, Math.max(60_000, (leaf.notAfter.getTime() - Date.now()) / 2));
  renewal.unref();

  return {
    invocation,
    async listen(ctx, observe) {
      const refusals = rateLimitedLog((fields, msg) => log.warn(fields, msg), 'refused-connection');
      const g = createInternalServer({
        ctx, trustDomain: authority.trustDomain, ...creds(), maxMessageBytes: cfg.maxBodyBytes, observe,
        // anyone who can reach the port can cause these: rate-limited, as the audit lines
        onRefused: (peer, why) => refusals({ peer }, `Internal server refused a connection: ${why}`),
      });
      const host = cfg.internalGrpcListenAddress ?? cfg.listenAddresses[0] ?? '127.0.0.1';
      try {
        await listen(g.server, { host, port: cfg.internalGrpcPort }, 'internal gRPC server');
      } catch (err) {
        // A busy default port (several sidecars on one machine) is no reason to fail: the
        // registry records whichever port we got. Not in Kubernetes, where the Service names the port.
        if (cfg.internalGrpcPortExplicit || !registry || !(err instanceof ListenError) || err.code !== 'EADDRINUSE') throw err;
        await listen(g.server, { host, port: 0 }, 'internal gRPC server');
        log.info(`Port ${cfg.internalGrpcPort} is busy; the internal gRPC server took a free port instead`);
      }
      server = g;
      const port = (g.server.address() as { port: number }).port;
      log.info(`Internal gRPC server (mutual TLS) is running on ${describe({ host, port })}`);
      if (registry) {
        const now = Date.now();
        registry.register({
          instance, appId: cfg.appId, namespace, host: host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host, internalPort: port,
          httpPort: cfg.unixDomainSocketDir ? undefined : cfg.httpPort, grpcPort: cfg.unixDomainSocketDir ? undefined : cfg.grpcPort,
          appPort: cfg.appPort, pid: process.pid, startedAt: now, heartbeat: now,
        });
        heartbeat = setInterval(() => {
          try {
            registry.heartbeat(instance);
          } catch (err) {
            log.warn(`Registry heartbeat failed: ${(err as Error).message}`);
          }
        }, HEARTBEAT_MS);
        heartbeat.unref();
      }
    },
    async close(graceMs) {
      clearInterval(renewal);
      clearInterval(heartbeat);
      try {
        registry?.remove(instance);
      } catch (err) {
        log.warn(`Could not remove this sidecar from the registry: ${(err as Error).message}`);
      }
      await server?.close(graceMs);
      client.close();
      registry?.close();
    },
  };
}
