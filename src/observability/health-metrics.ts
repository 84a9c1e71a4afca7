// Metrics of the app health probes, registered only when --enable-app-health-check is on.
// The probe series carry daprd's names and labels (its OpenCensus views
// http/healthprobes/* and grpc.io/healthprobes/*, exported under the "dapr" namespace);
// daprd has no metric for the health status itself, so that gauge is Pillion's own.
import client from 'prom-client';

export interface HealthMetrics {
  probe(status: string, ms: number): void;
  healthy(up: boolean): void;
}

const LATENCY_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

export function createHealthMetrics(registry: client.Registry, protocol: 'http' | 'grpc'): HealthMetrics {
  const [prefix, label] = protocol === 'http' ? ['dapr_http_healthprobes', 'status'] : ['dapr_grpc_io_healthprobes', 'grpc_client_status'];
  const count = new client.Counter({ name: `${prefix}_completed_count`, help: 'Count of completed health probes', labelNames: [label], registers: [registry] });
  const latency = new client.Histogram({
    name: `${prefix}_roundtrip_latency`, help: 'Time from sending a health probe to the last byte of its answer, or a terminal error (ms)',
    labelNames: [label], buckets: LATENCY_MS, registers: [registry],
  });
  const up = new client.Gauge({ name: 'pillion_app_healthy', help: 'App health as the probes see it: 1 healthy, 0 unhealthy (starts at 0 until a probe passes)', registers: [registry] });
  up.set(0);
  return {
    probe(status, ms) {
      count.inc({ [label]: status });
      latency.observe({ [label]: status }, ms);
    },
    healthy: (v) => up.set(v ? 1 : 0),
  };
}
