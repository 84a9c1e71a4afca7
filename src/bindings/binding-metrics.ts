// Input binding deliveries in Prometheus, under daprd's metric names (component/input_binding
// count and latencies), so a dashboard built for daprd shows them.
import client from 'prom-client';

export interface BindingMetrics {
  inputEvent(component: string, success: boolean, seconds: number): void;
}

const LATENCY_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000, 30000];

export function createBindingMetrics(registry: client.Registry): BindingMetrics {
  const count = new client.Counter({
    name: 'dapr_component_input_binding_count', help: 'The number of incoming events for the component (success: the app took it)',
    labelNames: ['component', 'success'], registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'dapr_component_input_binding_latencies', help: 'The latency of the event delivery to the app (ms)',
    labelNames: ['component', 'success'], buckets: LATENCY_MS, registers: [registry],
  });
  return {
    inputEvent(component, success, seconds) {
      const labels = { component, success: String(success) };
      count.inc(labels);
      latency.observe(labels, seconds * 1000);
    },
  };
}
