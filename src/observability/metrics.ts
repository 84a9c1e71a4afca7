// Prometheus metrics, with Dapr's metric names where Dapr has one so dashboards built for
// daprd keep working. Label children are cached per (route, method, status) so that the
// per-request cost is a map lookup and an increment.
import client from 'prom-client';

export interface Metrics {
  readonly registry: client.Registry;
  http(path: string, method: string, status: number, seconds: number): void;
  grpc(method: string, code: number, seconds: number): void;
  auth(protocol: 'http' | 'grpc', result: 'allowed' | 'denied', reason: string): void;
  componentLoaded(type: string, success: boolean): void;
}

const LATENCY_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

export function createMetrics(appId: string): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ app_id: appId });
  client.collectDefaultMetrics({ register: registry });

  const httpCount = new client.Counter({ name: 'dapr_http_server_request_count', help: 'Number of HTTP requests started in the server', labelNames: ['method', 'path', 'status'], registers: [registry] });
  const httpLatency = new client.Histogram({ name: 'dapr_http_server_latency', help: 'HTTP request end-to-end latency in the server (ms)', labelNames: ['method', 'path', 'status'], buckets: LATENCY_MS, registers: [registry] });
  const grpcCount = new client.Counter({ name: 'dapr_grpc_io_server_completed_rpcs', help: 'Count of RPCs by method and status', labelNames: ['grpc_server_method', 'grpc_server_status'], registers: [registry] });
  const grpcLatency = new client.Histogram({ name: 'dapr_grpc_io_server_server_latency', help: 'Server latency in msecs', labelNames: ['grpc_server_method', 'grpc_server_status'], buckets: LATENCY_MS, registers: [registry] });
  const authTotal = new client.Counter({ name: 'pillion_api_auth_total', help: 'API token checks by protocol, result and reason', labelNames: ['protocol', 'result', 'reason'], registers: [registry] });
  const loaded = new client.Counter({ name: 'dapr_runtime_component_loaded', help: 'Number of successfully loaded components', labelNames: ['type', 'success'], registers: [registry] });

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
    componentLoaded(type, success) {
      loaded.inc({ type, success: String(success) });
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
