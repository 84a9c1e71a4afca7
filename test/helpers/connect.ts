// A typed gRPC client for the Dapr service (connect-node's gRPC transport), for tests that
// need real gRPC calls with decoded messages.
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Dapr } from '../../src/gen/dapr/proto/runtime/v1/dapr_pb.js';
import { ErrorInfoSchema, type ErrorInfo } from '../../src/gen/google/rpc/error_details_pb.js';

export { Code, ConnectError };
export type DaprGrpcClient = Client<typeof Dapr>;

/** A client whose every call carries `dapr-api-token: token` (when given). */
export function daprGrpcClient(port: number, token?: string): DaprGrpcClient {
  const transport = createGrpcTransport({
    baseUrl: `http://127.0.0.1:${port}`,
    interceptors: token
      ? [
          (next) => async (req) => {
            req.header.set('dapr-api-token', token);
            return next(req);
          },
        ]
      : [],
  });
  return createClient(Dapr, transport);
}

/** Runs fn, which must fail with a ConnectError; returns it. */
export async function grpcError(fn: () => Promise<unknown>): Promise<ConnectError & { info?: ErrorInfo }> {
  try {
    await fn();
  } catch (err) {
    const e = ConnectError.from(err) as ConnectError & { info?: ErrorInfo };
    e.info = e.findDetails(ErrorInfoSchema)[0];
    return e;
  }
  throw new Error('expected the gRPC call to fail, but it succeeded');
}
