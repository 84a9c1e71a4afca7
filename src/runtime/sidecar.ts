// The sidecar's lifecycle: load components → build the API servers → listen → ready; and the
// reverse on shutdown (signal, Shutdown API or app exit): stop accepting, finish in-flight
// requests, stop the app, close the stores.
import { join } from 'node:path';
import type { Server } from 'node:net';
import http from 'node:http';
import { loadComponents } from '../components/loader.js';
import type { RunConfig } from '../config/run-config.js';
import { createHttpServer } from '../api/http/server.js';
import { healthRoutes, metadataRoutes } from '../api/http/routes-metadata.js';
import { secretRoutes } from '../api/http/routes-secrets.js';
import { stateRoutes } from '../api/http/routes-state.js';
import { invokeRoutes, invokeByHeader } from '../api/http/routes-invoke.js';
import { bindingRoutes } from '../api/http/routes-bindings.js';
import { setupInputBindings } from '../bindings/setup.js';
import { pubsubRoutes } from '../api/http/routes-pubsub.js';
import { PUBSUB_RESOURCE_KINDS, setupSubscriptions } from '../pubsub/setup.js';
import type { RouteDef } from '../api/http/types.js';
import { GrpcServer } from '../api/grpc/server.js';
import { authInterceptor } from '../api/grpc/auth.js';
import { appProxy } from '../api/grpc/app-proxy.js';
import { setupAuth } from '../security/auth-setup.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { buildCoreContext, type RuntimeState } from './core-context.js';
import { createExternalChannels } from '../appchannel/external.js';
import type { HttpEndpoint } from '../components/http-endpoint.js';
// The kind's name only: the module (and zod under it) loads when such a resource exists.
const HTTP_ENDPOINT_KIND = 'HTTPEndpoint';
import { closeGracefully, describe, listen, ListenError, type Endpoint } from './listen.js';
import { startApp, type AppProcess } from './app-process.js';
import { createAppLink } from './app-link.js';
import { setupRemote } from '../remote/setup.js';
import { useServingTierUpBudget } from './tier-up.js';
import { useLeanAsyncBind } from '../util/lean-async-bind.js';

export interface Sidecar {
  /** resolves with the process exit code once the sidecar has fully stopped */
  readonly stopped: Promise<number>;
  stop(reason: string, code?: number): Promise<void>;
}

const seconds = (start: number): number => (performance.now() - start) / 1000;

export async function startSidecar(cfg: RunConfig, env: Readonly<Record<string, string | undefined>>, log?: Logger): Promise<Sidecar> {
  const t0 = performance.now();
  useLeanAsyncBind();
  const logger = log ?? createLogger({ appId: cfg.appId, level: cfg.logLevel, json: cfg.logAsJson });
  logger.info(`Starting Pillion runtime -- app id: ${cfg.appId}, mode: ${cfg.mode}`);
  if (cfg.ignoredFlags.length) {
    logger.warn(`Ignoring flags Pillion does not implement (control-plane features): ${cfg.ignoredFlags.map((f) => '--' + f).join(', ')}`);
  }
  // Loaded only when --config is given (it brings the YAML and schema libraries).
  const configuration = cfg.configPaths.length
    ? await (await import('../config/configuration.js')).loadConfiguration(cfg.configPaths)
    : { features: [], unused: [] as string[], metricsEnabled: undefined, api: undefined };
  if (configuration.unused.length) logger.info(`Configuration sections not used by Pillion: ${configuration.unused.join(', ')}`);
  const metricsEnabled = cfg.metrics.enabled && configuration.metricsEnabled !== false;
  const metrics = createMetrics(cfg.appId);
  // Refusals: one audit line each (rate-limited inside), never the token.
  const auditLog = logger.child({ scope: 'pillion.runtime.audit' });
  const auth = await setupAuth({
    envToken: cfg.apiToken,
    tokenFile: cfg.apiAuth.tokenFile,
    jwt: cfg.apiAuth.jwt,
    allowBearer: cfg.apiAuth.allowBearer,
    auditOnly: cfg.apiAuth.auditOnly,
    apiRules: configuration.api,
    appToken: cfg.appApiToken,
    appTokenFile: cfg.appApiTokenFile,
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    audit: (fields, msg) => auditLog.warn(fields, msg),
    metrics: {
      onDenied: (protocol, reason) => metrics.auth(protocol, 'denied', reason),
      allowedTally: (protocol, kind) => metrics.authAllowedTally(protocol, kind === 'jwt' ? 'jwt' : 'static_token'),
      tokenReload: (r) => metrics.tokenReload(r),
      jwksFetch: (r) => metrics.jwksFetch(r),
      jwtCache: metrics.jwtCache,
      setTokensLoaded: (read) => metrics.setTokensLoaded(read),
    },
  });
  await auth.ready;

  const loaded = await loadComponents({ resourcesPaths: cfg.resourcesPaths, appId: cfg.appId, dataDir: cfg.dataDir, env, embeddedPubSub: true,
    // problems components meet outside a request (a lost broker connection, an unreadable message)
    log: (level, msg) => logger[level](msg) });
  for (const c of loaded.components) {
    metrics.componentLoaded(c.spec.type, true);
    logger.info(`Component loaded: ${c.spec.name} (${c.spec.type}/${c.spec.version})`);
  }
  for (const o of loaded.others.filter((x) => !PUBSUB_RESOURCE_KINDS.includes(x.kind) && x.kind !== HTTP_ENDPOINT_KIND)) logger.info(`Resource of kind ${o.kind} ${o.name ? `"${o.name}" ` : ''}in ${o.source} is not used by Pillion; ignored`);
  for (const i of loaded.ignored) logger.warn(`Component ${i.name} failed to initialise and has ignoreErrors: true; skipped: ${i.error}`);

  let stopping: Promise<void> | undefined;
  let exitCode = 0;
  let resolveStopped!: (code: number) => void;
  const stopped = new Promise<number>((r) => (resolveStopped = r));
  const rt: RuntimeState = {
    ready: false, outboundReady: false, shutdownRequested: () => void stop('shutdown API', 0),
    pubsubObserver: { egress: (c, t, ok) => metrics.pubsubEgress(c, t, ok), ingress: (c, t, st) => metrics.pubsubIngress(c, t, st) },
  };
  const appLink = createAppLink(cfg, auth.appToken, logger, metrics.registry);
  // Sidecar-to-sidecar invocation: trust, resolver and client now; the internal server listens below.
  const remote = await setupRemote(cfg, logger);
  const external = createExternalChannels(cfg.maxBodyBytes);
  const httpEndpoints = new Map<string, HttpEndpoint>();
  const ctx = buildCoreContext(cfg, loaded.components, rt, configuration.features, appLink.invocation, remote.invocation, external, httpEndpoints);
  // HTTPEndpoint resources read their secrets from the secret stores just loaded.
  if (loaded.others.some((o) => o.kind === HTTP_ENDPOINT_KIND)) {
    const { loadHttpEndpoints } = await import('../components/http-endpoint.js');
    for (const [name, e] of await loadHttpEndpoints(loaded.others, cfg.appId, cfg.mode === 'kubernetes' ? cfg.namespace : undefined, (n) => ctx.components.secret(n))) {
      httpEndpoints.set(name, e);
      logger.info(`HTTPEndpoint ${name}: invocations of "${name}" go to ${e.url.origin}${e.url.pathname === '/' ? '' : e.url.pathname}`);
    }
  }
  const subscriptions = await setupSubscriptions(ctx, loaded.others, logger, cfg.mode === 'kubernetes' ? cfg.namespace : undefined);
  rt.subscriptions = () => subscriptions.active();
  rt.pubsubStreams = subscriptions;

  const routes: RouteDef[] = [...healthRoutes(ctx), ...metadataRoutes(ctx), ...stateRoutes(ctx), ...secretRoutes(ctx), ...invokeRoutes(ctx), ...pubsubRoutes(ctx), ...bindingRoutes(ctx)];
  const httpServers: http.Server[] = [];
  const grpcServers: GrpcServer[] = [];
  const others: Server[] = [];
  // --enable-api-logging: one line per call, like daprd's "HTTP API Called"; never headers.
  const apiLog = cfg.enableApiLogging ? logger.child({ scope: 'pillion.runtime.api' }) : undefined;

  const httpOpts = {
    routes,
    auth: auth.http,
    apiAllowed: auth.apiAllowed,
    maxBodyBytes: cfg.maxBodyBytes,
    maxHeaderBytes: cfg.maxHeaderBytes,
    allowedOrigins: cfg.allowedOrigins,
    // The header form is service invocation too: hidden when the Configuration hides invoke.
    fallback: auth.apiAllowed('http', 'invoke', 'v1.0') ? invokeByHeader(ctx) : undefined,
    observe: (route: RouteDef | undefined, method: string, status: number, start: number) => {
      const took = seconds(start);
      metrics.http(route?.path ?? '_unmatched', method, status, took);
      apiLog?.info({ method: `${method} ${route?.path ?? '(no route)'}`, code: status, duration: Math.round(took * 1e6) / 1e3 }, 'HTTP API Called');
    },
  };
  const grpcOpts = {
    maxMessageBytes: cfg.maxBodyBytes,
    // Proxying is service invocation: hidden when the Configuration hides invoke.
    fallback: auth.apiAllowed('grpc', 'invoke', 'v1') ? appProxy(ctx) : undefined,
    interceptors: [authInterceptor(auth.grpc, auth.apiAllowed)],
    observe: (path: string, code: number, start: number) => {
      const took = seconds(start);
      metrics.grpc(path, code, took);
      apiLog?.info({ method: path, code, duration: Math.round(took * 1e6) / 1e3 }, 'gRPC API Called');
    },
  };
  const apiEndpoints = (port: number, kind: string): Endpoint[] =>
    cfg.unixDomainSocketDir
      ? [{ path: join(cfg.unixDomainSocketDir, `dapr-${cfg.appId}-${kind}.socket`) }]
      : cfg.listenAddresses.map((host) => ({ host, port }));

  try {
    for (const ep of apiEndpoints(cfg.httpPort, 'http')) {
      const s = createHttpServer(httpOpts);
      await listen(s, ep, 'HTTP API');
      httpServers.push(s);
      logger.info(`HTTP server is running on ${describe(ep)}`);
    }
    if (cfg.allowedOrigins.length) logger.info(`Enabled CORS HTTP middleware (allowed origins: ${cfg.allowedOrigins.join(',')})`);
    if (auth.description) logger.info(`Enabled token authentication on HTTP server (${auth.description})`);
    for (const ep of apiEndpoints(cfg.grpcPort, 'grpc')) {
      const g = new GrpcServer(grpcOpts);
      // The Dapr service (and the descriptors of every Dapr API) load when a gRPC client
      // first connects: an HTTP-only app never pays their memory.
      g.deferServices(async () => {
        const [{ registerDaprService }, { registerReflection }, { Dapr }] = await Promise.all([
          import('../api/grpc/dapr-service.js'), import('../api/grpc/reflection.js'), import('../gen/dapr/proto/runtime/v1/dapr_pb.js'),
        ]);
        registerDaprService(g, ctx);
        registerReflection(g, [Dapr]);
      }, (err) => logger.error(`could not load the gRPC API: ${(err as Error).message}`));
      await listen(g.server, ep, 'gRPC API');
      grpcServers.push(g);
      logger.info(`API gRPC server is running on ${describe(ep)}`);
    }
    if (auth.description) logger.info(`Enabled token authentication on gRPC server (${auth.description})`);
    if (configuration.api) logger.info(`API allow/deny lists from the Configuration: ${configuration.api.allowed.length} allowed, ${configuration.api.denied.length} denied rule(s)`);
    const publicHost = cfg.publicListenAddress ?? cfg.listenAddresses[0] ?? '127.0.0.1';
    await optionalListen(
      createHttpServer({ ...httpOpts, routes: healthRoutes(ctx), allowedOrigins: [], fallback: undefined }), // healthz only: never invocation
      { host: publicHost, port: cfg.publicPort.port }, 'public healthz server', cfg.publicPort.explicit, others, logger,
    );
    if (metricsEnabled) {
      await optionalListen(metricsServer(metrics), { host: cfg.metrics.listenAddress, port: cfg.metrics.port.port }, 'metrics server', cfg.metrics.port.explicit, others, logger);
    }
    await remote.listen(ctx);
  } catch (err) {
    await remote.close(0);
    await Promise.all([...httpServers, ...others].map((s) => closeGracefully(s, 0)));
    await Promise.all(grpcServers.map((g) => g.close(0)));
    await ctx.store.closeAll();
    appLink.close();
    external.close();
    auth.close();
    throw err;
  }

  let app: AppProcess | undefined;
  if (cfg.appCommand.length) {
    app = startApp(cfg, env);
    logger.info(`Started app command: ${cfg.appCommand[0]}`);
    void app.exited.then((code) => {
      logger.info(`App command exited with code ${code}`);
      void stop('app exited', code);
    });
  }

  // Input bindings follow the app's health (start once it is reachable, pause while unhealthy).
  const inputBindings = setupInputBindings(ctx, loaded.components, {
    maxResponseBytes: cfg.maxBodyBytes, graceMs: cfg.gracefulShutdownMs < 0 ? 5000 : cfg.gracefulShutdownMs, logger, registry: metrics.registry,
  });

  // The APIs serve from here on; "ready" (healthz) waits for the app port, as in daprd.
  rt.outboundReady = true;
  useServingTierUpBudget();
  void appLink.waitForApp().then((reached) => {
    if (!reached || stopping) return;
    rt.ready = true;
    logger.info(`dapr initialized. Status: Running. Init Elapsed ${Math.round(seconds(t0) * 1000)}ms`);
    // As daprd: subscriptions are read from the app (and start delivering) once it is reachable.
    void subscriptions.start();
  });

  async function stop(reason: string, code = 0): Promise<void> {
    if (stopping) return stopping;
    exitCode = code;
    stopping = (async () => {
      logger.info(`Shutting down (${reason})`);
      if (cfg.blockShutdownMs > 0 && reason !== 'app exited') {
        // As daprd: with app health checks, the block also ends when the app reports unhealthy.
        const unhealthy = appLink.whenUnhealthy()?.then(() => logger.info('App reported unhealthy, entering shutdown...'));
        logger.info(`Blocking shutdown for ${cfg.blockShutdownMs}ms (--dapr-block-shutdown-duration)${unhealthy ? ' or until the app reports unhealthy' : ''}`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([new Promise((r) => (timer = setTimeout(r, cfg.blockShutdownMs))), ...(unhealthy ? [unhealthy] : [])]);
        clearTimeout(timer);
      }
      rt.ready = false;
      rt.outboundReady = false;
      await inputBindings.close(); // no new events while the app and the servers shut down
      const grace = cfg.gracefulShutdownMs < 0 ? 5000 : cfg.gracefulShutdownMs;
      // Answer the request that asked for the shutdown before closing its connection.
      await new Promise((r) => setImmediate(r));
      // Deliveries stop first (those in flight may finish within the grace period), while the app still runs.
      await subscriptions.stop(grace);
      await Promise.all([
        ...httpServers.map((s) => closeGracefully(s, grace)),
        ...grpcServers.map((g) => g.close(grace)),
        remote.close(grace),
        ...others.map((s) => closeGracefully(s, 0)),
        app?.stop(grace),
      ]);
      appLink.close();
      external.close();
      await ctx.store.closeAll();
      auth.close();
      logger.info('Pillion runtime stopped');
      logger.flush?.();
      resolveStopped(exitCode);
    })();
    return stopping;
  }

  return { stopped, stop };
}

/** A port the user did not choose is best-effort: if busy, warn and go on without it. */
async function optionalListen(server: Server, ep: Endpoint, what: string, explicit: boolean, into: Server[], logger: Logger): Promise<void> {
  try {
    await listen(server, ep, what);
    into.push(server);
    logger.info(`The ${what} is running on ${describe(ep)}`);
  } catch (err) {
    if (explicit || !(err instanceof ListenError) || err.code !== 'EADDRINUSE') throw err;
    logger.warn(`${err.message}; continuing without the ${what} (set its port flag to choose another)`);
  }
}

function metricsServer(metrics: Metrics): http.Server {
  return http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
}
