// Prometheus metrics, with Dapr's metric names where Dapr has one so dashboards built for
// daprd keep working. Label children are cached per (route, method, status) so that the
// per-request cost is a map lookup and an increment.
import client from 'prom-client';
import type { Tally } from '../security/tally.js';
import { collectProcessMetrics } from './process-metrics.js';

export type { Tally };

export interface Metrics {
  readonly registry: client.Registry;
  http(path: string, method: string, status: number, seconds: number): void;
  grpc(method: string, code: number, seconds: number): void;
  auth(protocol: 'http' | 'grpc', result: 'allowed' | 'denied', reason: string): void;
  /** a plain counter cell for allowed checks, added to pillion_api_auth_total at scrape time
   * (the hot path only does `tally.n++`) */
  authAllowedTally(protocol: 'http' | 'grpc', reason: string): Tally;
  tokenReload(result: 'success' | 'error'): void;
  jwksFetch(result: 'success' | 'error'): void;
  /** JWT verification cache hits and misses, read at scrape time */
  readonly jwtCache: { readonly hits: Tally; readonly misses: Tally };
  /** number of static API tokens currently accepted, read at scrape time */
  setTokensLoaded(read: () => number): void;
  componentLoaded(type: string, success: boolean): void;
  /** a publish to a pub/sub component, by outcome */
  pubsubEgress(component: string, topic: string, success: boolean): void;
  /** a message delivered to the app, by what the app decided (success | retry | drop) */
  pubsubIngress(component: string, topic: string, processStatus: string): void;
}

const LATENCY_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

export function createMetrics(appId: string): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ app_id: appId });
  collectProcessMetrics(registry);

  const httpCount = new client.Counter({ name: 'dapr_http_server_request_count', help: 'Number of HTTP requests started in the server', labelNames: ['method', 'path', 'status'], registers: [registry] });
  const httpLatency = new client.Histogram({ name: 'dapr_http_server_latency', help: 'HTTP request end-to-end latency in the server (ms)', labelNames: ['method', 'path', 'status'], buckets: LATENCY_MS, registers: [registry] });
  const grpcCount = new client.Counter({ name: 'dapr_grpc_io_server_completed_rpcs', help: 'Count of RPCs by method and status', labelNames: ['grpc_server_method', 'grpc_server_status'], registers: [registry] });
  const grpcLatency = new client.Histogram({ name: 'dapr_grpc_io_server_server_latency', help: 'Server latency in msecs', labelNames: ['grpc_server_method', 'grpc_server_status'], buckets: LATENCY_MS, registers: [registry] });
  // Allowed checks are counted in plain tallies and folded in here when scraped.
  const allowedTallies: Array<{ labels: { protocol: string; result: string; reason: string }; tally: Tally; reported: number }> = [];
  const authTotal = new client.Counter({
    name: 'pillion_api_auth_total', help: 'API token checks by protocol, result and reason', labelNames: ['protocol', 'result', 'reason'], registers: [registry],
    collect() {
      for (const a of allowedTallies) {
        const delta = a.tally.n - a.reported;
        if (delta > 0) this.inc(a.labels, delta);
        a.reported = a.tally.n;
      }
    },
  });
  const reloads = new client.Counter({ name: 'pillion_api_token_reloads_total', help: 'Reloads of API token files (result: success, or error = unreadable or empty file, last good tokens kept)', labelNames: ['result'], registers: [registry] });
  const jwks = new client.Counter({ name: 'pillion_jwks_fetches_total', help: 'Loads of the JWT verification key set (URL fetch or file read) by result', labelNames: ['result'], registers: [registry] });
  const jwtCache = { hits: { n: 0 }, misses: { n: 0 } };
  const tallyCounter = (name: string, help: string, tally: Tally): void => {
    let reported = 0;
    new client.Counter({
      name, help, registers: [registry],
      collect() {
        if (tally.n > reported) this.inc(tally.n - reported);
        reported = tally.n;
      },
    });
  };
  tallyCounter('pillion_jwt_cache_hits_total', 'JWT checks answered from the verified-token cache', jwtCache.hits);
  tallyCounter('pillion_jwt_cache_misses_total', 'JWT checks that needed a signature verification', jwtCache.misses);
  let tokensLoaded: () => number = () => 0;
  new client.Gauge({
    name: 'pillion_api_tokens_loaded', help: 'Static API tokens currently accepted (DAPR_API_TOKEN or token file lines)', registers: [registry],
    collect() {
      this.set(tokensLoaded());
    },
  });
  const loaded = new client.Counter({ name: 'dapr_runtime_component_loaded', help: 'Number of successfully loaded components', labelNames: ['type', 'success'], registers: [registry] });

  const psEgress = new client.Counter({ name: 'dapr_component_pubsub_egress_count', help: 'The number of outgoing messages published to the pub/sub component', labelNames: ['component', 'namespace', 'success', 'topic'], registers: [registry] });
  const psIngress = new client.Counter({ name: 'dapr_component_pubsub_ingress_count', help: 'The number of incoming messages arriving from the pub/sub component', labelNames: ['component', 'namespace', 'process_status', 'topic'], registers: [registry] });

  type Child = { inc(): void };
  type Timed = { observe(v: number): void };
  const httpChildren = new Map<string, [Child, Timed]>();
  const grpcChildren = new Map<string, [Child, Timed]>();
  const authChildren = new Map<string, Child>();

  return {
    registry,
    http(path, method, status, seconds) {
      const key = `${method} ${path} ${status}`;
      let c = httpChildren.get(key);
      if (!c) {
        const labels = { method, path, status: String(status) };
        httpChildren.set(key, (c = [httpCount.labels(labels), httpLatency.labels(labels)]));
      }
      c[0].inc();
      c[1].observe(seconds * 1000);
    },
    grpc(method, code, seconds) {
      const key = `${method} ${code}`;
      let c = grpcChildren.get(key);
      if (!c) {
        const labels = { grpc_server_method: method, grpc_server_status: GRPC_NAMES[code] ?? String(code) };
        grpcChildren.set(key, (c = [grpcCount.labels(labels), grpcLatency.labels(labels)]));
      }
      c[0].inc();
      c[1].observe(seconds * 1000);
    },
    auth(protocol, result, reason) {
      const key = `${protocol} ${result} ${reason}`;
      let c = authChildren.get(key);
      if (!c) authChildren.set(key, (c = authTotal.labels({ protocol, result, reason })));
      c.inc();
    },
    authAllowedTally(protocol, reason) {
      const tally: Tally = { n: 0 };
      allowedTallies.push({ labels: { protocol, result: 'allowed', reason }, tally, reported: 0 });
      return tally;
    },
    tokenReload(result) {
      reloads.inc({ result });
    },
    jwksFetch(result) {
      jwks.inc({ result });
    },
    jwtCache,
    setTokensLoaded(read) {
      tokensLoaded = read;
    },
    componentLoaded(type, success) {
      loaded.inc({ type, success: String(success) });
    },
    pubsubEgress(component, topic, success) {
      psEgress.inc({ component, namespace: '', success: String(success), topic });
    },
    pubsubIngress(component, topic, processStatus) {
      psIngress.inc({ component, namespace: '', process_status: processStatus, topic });
    },
  };
}

// grpc-go's names for status codes, as daprd puts them in grpc_server_status.
const GRPC_NAMES: Record<number, string> = {
  0: 'OK', 1: 'Canceled', 2: 'Unknown', 3: 'InvalidArgument', 4: 'DeadlineExceeded', 5: 'NotFound',
  6: 'AlreadyExists', 7: 'PermissionDenied', 8: 'ResourceExhausted', 9: 'FailedPrecondition',
  10: 'Aborted', 11: 'OutOfRange', 12: 'Unimplemented', 13: 'Internal', 14: 'Unavailable',
  15: 'DataLoss', 16: 'Unauthenticated',
};
