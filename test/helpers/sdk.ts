// What the suites driving the official @dapr/dapr SDK share.
import { CommunicationProtocolEnum, DaprServer, LogLevel, type DaprClient } from '@dapr/dapr';
import { stopAll, type Sidecar } from './sidecar.js';

/** The two protocols an SDK client or server speaks to the sidecar, with the port it uses. */
export const SDK_PROTOCOLS = [
  { name: 'HTTP', proto: CommunicationProtocolEnum.HTTP, port: (sc: Sidecar) => sc.httpPort },
  { name: 'gRPC', proto: CommunicationProtocolEnum.GRPC, port: (sc: Sidecar) => sc.grpcPort },
] as const;

/** Stops the clients, then the sidecars (their keep-alive connections to the apps would hold
 * server.stop() open), then the SDK servers. */
export async function stopSdk(clients: readonly DaprClient[], servers: readonly DaprServer[]): Promise<void> {
  for (const c of clients) await c.stop().catch(() => {});
  await stopAll();
  for (const s of servers) await s.stop().catch(() => {});
}

export type SdkProtocol = (typeof SDK_PROTOCOLS)[number];

/** An SDK DaprServer (the app) on `appPort`, speaking `p` both ways: served to the sidecar,
 * and as the client it uses to call the sidecar (with `token`). Not started. */
export function sdkServer(p: SdkProtocol, appPort: number, sc: Sidecar, token: string): DaprServer {
  return new DaprServer({
    serverHost: '127.0.0.1',
    serverPort: String(appPort),
    communicationProtocol: p.proto,
    clientOptions: { daprHost: '127.0.0.1', daprPort: String(p.port(sc)), daprApiToken: token, communicationProtocol: p.proto },
    logger: { level: LogLevel.Error },
  });
}
