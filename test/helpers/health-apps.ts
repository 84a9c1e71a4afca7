// Apps whose health a test can flip, on real sockets: an HTTP app (GET /healthz answers the
// status the test sets) and a gRPC app serving AppCallback/OnInvoke plus
// AppCallbackHealthCheck/HealthCheck. Both record what the probes carried.
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { GrpcServer, type CallContext } from '../../src/api/grpc/server.js';
import { GrpcStatusError } from '../../src/api/grpc/status.js';
import { AppCallback, AppCallbackHealthCheck, HealthCheckResponseSchema } from '../../src/gen/dapr/proto/runtime/v1/appcallback_pb.js';
import { InvokeResponseSchema, type InvokeRequest } from '../../src/gen/dapr/proto/common/v1/common_pb.js';
import { startHttpApp, type RecordingApp, type Seen } from './apps.js';
import { sleep } from './sidecar.js';

/** Polls fn until it stops throwing; rethrows its last error after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(everyMs);
    }
  }
}

export interface HealthHttpApp extends RecordingApp {
  /** status GET <healthPath> answers */
  healthStatus: number;
  /** the probes received (method GET on healthPath) */
  probes(): Seen[];
  /** the invocations (not probes, not the sidecar's own /dapr/* init calls) */
  calls(): Seen[];
}

export async function startHealthHttpApp(healthPath = '/healthz'): Promise<HealthHttpApp> {
  const app = (await startHttpApp()) as HealthHttpApp;
  app.healthStatus = 200;
  const isProbe = (s: Seen): boolean => s.url === healthPath;
  app.answer = (s) => (isProbe(s) ? { status: app.healthStatus, body: app.healthStatus < 300 ? 'ok' : 'down' } : { status: 200, headers: { 'content-type': 'text/plain' }, body: `hello from ${s.url}` });
  app.probes = () => app.seen.filter(isProbe);
  app.calls = () => app.seen.filter((s) => !isProbe(s) && !s.url.startsWith('/dapr/'));
  return app;
}

export interface HealthGrpcApp {
  port: number;
  /** false: HealthCheck fails with UNAVAILABLE */
  healthy: boolean;
  /** metadata of each HealthCheck call */
  probes: Array<Record<string, string | string[] | undefined>>;
  invocations: InvokeRequest[];
  close(): Promise<void>;
}

/** withHealthService false: the app serves only AppCallback (HealthCheck is UNIMPLEMENTED). */
export async function startHealthGrpcApp(withHealthService = true): Promise<HealthGrpcApp> {
  const app: HealthGrpcApp = { port: 0, healthy: true, probes: [], invocations: [], close: () => Promise.resolve() };
  const g = new GrpcServer({ maxMessageBytes: 4 << 20, interceptors: [] });
  g.addService(AppCallback, {
    onInvoke: async (request: InvokeRequest) => {
      app.invocations.push(request);
      return create(InvokeResponseSchema, { contentType: 'text/plain', data: create(AnySchema, { value: Buffer.from(`hello from ${request.method}`) }) });
    },
  });
  // Without it, HealthCheck has no handler: UNIMPLEMENTED, as a grpc-go app answers.
  g.addService(AppCallbackHealthCheck, withHealthService ? {
      healthCheck: async (_req: unknown, ctx: CallContext) => {
        app.probes.push({ ...ctx.metadata });
        if (!app.healthy) throw new GrpcStatusError(14, 'app says it is down');
        return create(HealthCheckResponseSchema, {});
      },
    } : {});
  await new Promise<void>((r) => g.server.listen(0, '127.0.0.1', () => r()));
  app.port = (g.server.address() as AddressInfo).port;
  app.close = () => g.close(0);
  return app;
}
