// What every API core gets: the app identity and the live components. Cores are
// protocol-independent: requests and responses are typed like Dapr's protobuf messages, so
// the gRPC adapter passes them straight through and the HTTP adapter maps URL/JSON to them.
import type { SecretStore, StateStore } from '../components/types.js';
import type { AppChannel } from '../appchannel/channel.js';

export interface ComponentInfo {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly capabilities: readonly string[];
}

export interface ComponentLookup {
  state(name: string): StateStore | undefined;
  secret(name: string): SecretStore | undefined;
  /** spec.metadata of a component (for runtime-level options such as keyPrefix) */
  metadataOf(name: string): Readonly<Record<string, string>> | undefined;
  list(): readonly ComponentInfo[];
}

export interface AppConnection {
  readonly port?: number;
  readonly protocol: string;
  readonly channelAddress: string;
  readonly maxConcurrency: number;
  readonly health?: {
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutMs: number;
    readonly threshold: number;
  };
}

/** What service invocation needs from the runtime. */
export interface AppInvocation {
  /** the channel to the own app; undefined without --app-port */
  channel(): AppChannel | undefined;
  /** false until the app port accepted a connection at start-up */
  appReachable(): boolean;
  /** the token SET on every call to the own app (APP_API_TOKEN / APP_API_TOKEN_FILE, current value) */
  appToken(): string | undefined;
  /** header that carries it (--app-token-header, default dapr-api-token) */
  readonly tokenHeader: string;
  /** sent as dapr-caller-namespace (Kubernetes mode only) */
  readonly namespace?: string;
}

export interface CoreContext {
  readonly appId: string;
  readonly runtimeVersion: string;
  readonly components: ComponentLookup;
  readonly app: AppConnection;
  readonly invocation: AppInvocation;
  /** attributes set with the metadata API (PUT /v1.0/metadata/{key}, SetMetadata) */
  readonly extendedMetadata: Map<string, string>;
  readonly enabledFeatures: readonly string[];
  /** true once components are loaded, the servers listen and the app port answered */
  isReady(): boolean;
  /** true once the servers listen (healthz/outbound: does not wait for the app) */
  isOutboundReady(): boolean;
  /** asks the runtime to shut down gracefully (Shutdown API) */
  requestShutdown(): void;
}
