// The flag table of `pillion run` (and of the program when invoked as `daprd`).
// It lists every flag of daprd 1.16–1.18 under daprd's own name, so Pillion is a drop-in
// wherever daprd is launched. `use` says what Pillion does with it:
//   - 'run'     implemented
//   - 'ignore'  accepted, one warning at start-up (control-plane features Pillion lacks)
// Pillion-only flags are marked with `pillion: true` in the help output.

export type FlagType = 'string' | 'int' | 'uint' | 'bool' | 'list' | 'duration' | 'quantity';

export interface FlagDef {
  readonly name: string;
  readonly type: FlagType;
  readonly default?: string | number | boolean | readonly string[];
  readonly help: string;
  readonly use: 'run' | 'ignore';
  /** another flag this one is an alias of (values are merged into it) */
  readonly aliasOf?: string;
  readonly pillion?: boolean;
}

const f = (
  name: string,
  type: FlagType,
  help: string,
  extra: Partial<Omit<FlagDef, 'name' | 'type' | 'help'>> = {},
): FlagDef => ({ name, type, help, use: 'run', ...extra });
const ignored = (name: string, type: FlagType, help: string, def?: FlagDef['default']): FlagDef =>
  f(name, type, `${help} (accepted for daprd compatibility; ignored)`, { use: 'ignore', default: def });

export const FLAGS: readonly FlagDef[] = [
  f('app-id', 'string', 'Unique id of the app; used for state key prefixes and metadata (required)'),
  f('app-port', 'int', 'Port the app listens on; unset = no app channel'),
  f('app-protocol', 'string', 'Protocol of the app channel: http, grpc, https, grpcs (TLS; the app certificate is not verified, as daprd, unless --app-ca-file) or h2c (HTTP/2 cleartext)', { default: 'http' }),
  f('app-channel-address', 'string', 'Address the app listens on', { default: '127.0.0.1' }),
  f('app-max-concurrency', 'int', 'Concurrency limit when calling the app; -1 = no limit', { default: -1 }),
  f('app-ssl', 'bool', 'Use TLS towards the app (same as --app-protocol https)', { default: false }),
  f('app-ca-file', 'string', 'PEM CA certificate(s) that the certificate of an https / grpcs app must chain to; it must also name --app-channel-address. Default: not verified (as daprd)', { pillion: true }),
  f('app-token-header', 'string', 'Header that carries APP_API_TOKEN to the app (also APP_API_TOKEN_HEADER; default dapr-api-token)', { pillion: true }),
  f('app-call-timeout', 'duration', 'Timeout of each call to the app (e.g. 30s); 0 = none, as daprd without a resiliency policy', { default: '0', pillion: true }),
  f('enable-app-health-check', 'bool', 'Probe the app health', { default: false }),
  f('app-health-check-path', 'string', 'Path of the app health probe (HTTP apps)', { default: '/healthz' }),
  f('app-health-probe-interval', 'int', 'Seconds between app health probes', { default: 5 }),
  f('app-health-probe-timeout', 'int', 'App health probe timeout in milliseconds', { default: 500 }),
  f('app-health-threshold', 'int', 'Consecutive failed probes before the app is unhealthy', { default: 3 }),
  f('app-health-probe-token', 'bool', 'Also set the app token (APP_API_TOKEN / APP_API_TOKEN_FILE, under --app-token-header) on app health probes; daprd sends none', { default: false, pillion: true }),
  f('dapr-http-port', 'int', 'Port of the Dapr HTTP API', { default: 3500 }),
  f('dapr-grpc-port', 'int', 'Port of the Dapr gRPC API', { default: 50001 }),
  f('dapr-internal-grpc-port', 'int', 'Port of the internal sidecar-to-sidecar gRPC API', { default: 50002 }),
  f('dapr-internal-grpc-listen-address', 'string', 'Listen address of the internal gRPC API (default: the first API listen address)'),
  f('trust-bundle-dir', 'string', 'Folder with ca.crt and ca.key of the sidecar-to-sidecar mTLS trust (also PILLION_TRUST_DIR; Kubernetes: the mounted Secret). Default self-hosted: $PILLION_HOME/trust, created on first run', { pillion: true }),
  f('dapr-listen-addresses', 'list', 'Addresses the Dapr APIs listen on, comma-separated', { default: ['127.0.0.1'] }),
  f('dapr-public-port', 'int', 'Port of the unauthenticated public server (healthz only); when not given, 3501 is tried and skipped with a warning if busy', { default: 3501 }),
  f('dapr-public-listen-address', 'string', 'Listen address of the public server (default: the API listen addresses)'),
  f('metrics-port', 'int', 'Port of the Prometheus /metrics endpoint; when not given, 9090 is tried and skipped with a warning if busy', { default: 9090 }),
  f('metrics-listen-address', 'string', 'Listen address of the metrics server', { default: '127.0.0.1' }),
  f('enable-metrics', 'bool', 'Serve Prometheus metrics', { default: true }),
  f('resources-path', 'list', 'Folder of resource YAML (components, …); repeatable. Default: embedded SQLite state store "statestore"'),
  f('components-path', 'list', 'Old name of --resources-path', { aliasOf: 'resources-path' }),
  f('config', 'list', 'Configuration YAML file (kind: Configuration); repeatable'),
  f('log-level', 'string', 'Log level: debug, info, warn, error, fatal', { default: 'info' }),
  f('log-as-json', 'bool', 'Write logs as JSON lines', { default: false }),
  f('enable-api-logging', 'bool', 'Log every API call (method, route, status; never the token)', { default: false }),
  f('allowed-origins', 'string', 'CORS allowed origins, comma-separated ("*" = any); empty = CORS off', { default: '' }),
  f('max-body-size', 'quantity', 'Max request body on the HTTP and gRPC APIs, as a quantity (4Mi, 512Ki, 1G)', { default: '4Mi' }),
  f('dapr-http-max-request-size', 'int', 'Max request body in MB (old form of --max-body-size)'),
  f('read-buffer-size', 'quantity', 'Max size of request headers, as a quantity', { default: '4Ki' }),
  f('dapr-http-read-buffer-size', 'int', 'Max size of request headers in KB (old form of --read-buffer-size)'),
  f('dapr-graceful-shutdown-seconds', 'int', 'Seconds to finish in-flight requests on shutdown', { default: 5 }),
  f('dapr-block-shutdown-duration', 'duration', 'Keep serving this long after SIGTERM before shutting down (e.g. 10s)'),
  f('mode', 'string', 'Runtime mode: standalone or kubernetes', { default: 'standalone' }),
  f('unix-domain-socket', 'string', 'Folder in which to serve the HTTP and gRPC APIs on Unix sockets instead of TCP'),
  f('api-token-file', 'string', 'File of accepted API tokens, one per line (# comments); reloaded on change, so tokens rotate without restart. Also DAPR_API_TOKEN_FILE; takes precedence over DAPR_API_TOKEN', { pillion: true }),
  f('api-token-jwks', 'string', 'Accept JWTs as API tokens, verified with this JSON Web Key Set: a file (reloaded on change) or an https:// URL (http:// on loopback only)', { pillion: true }),
  f('api-token-oidc-issuer', 'string', 'Accept JWTs from this OpenID Connect issuer: keys found by discovery (/.well-known/openid-configuration); sets --api-token-issuer', { pillion: true }),
  f('api-token-issuer', 'string', 'Required "iss" of JWT API tokens (required with --api-token-jwks or --api-token-hs-secret-file)', { pillion: true }),
  f('api-token-audience', 'list', 'Accepted "aud" of JWT API tokens, comma-separated (default: the app id)', { pillion: true }),
  f('api-token-hs-secret-file', 'string', 'Also accept HS256/384/512 JWTs signed with the secret in this file (at least 32 bytes; reloaded on change)', { pillion: true }),
  f('api-token-allow-bearer', 'bool', 'Also read the API token from Authorization: Bearer (HTTP) / authorization metadata (gRPC)', { default: false, pillion: true }),
  f('api-token-audit-only', 'bool', 'Log and count token refusals but let the requests through (for trying out a token setup)', { default: false, pillion: true }),
  f('version', 'bool', 'Print the version and exit', { default: false }),
  f('build-info', 'bool', 'Print build information and exit', { default: false }),
  f('wait', 'bool', 'Wait until the sidecar is ready (healthz/outbound) and exit', { default: false }),
  f('help', 'bool', 'Show this help', { default: false }),
  ignored('placement-host-address', 'string', 'Actor placement service addresses'),
  ignored('scheduler-host-address', 'list', 'Scheduler service addresses'),
  ignored('scheduler-job-streams', 'uint', 'Scheduler job streams', 3),
  ignored('actors-service', 'string', 'Actors service (deprecated in daprd)'),
  ignored('reminders-service', 'string', 'Reminders service (deprecated in daprd)'),
  ignored('actors-disseminate-timeout', 'duration', 'Actor placement dissemination timeout'),
  ignored('sentry-address', 'string', 'Sentry CA address'),
  ignored('sentry-request-jwt-audiences', 'list', 'Sentry JWT audiences'),
  ignored('control-plane-address', 'string', 'Dapr control plane address'),
  ignored('control-plane-trust-domain', 'string', 'Control plane trust domain', 'localhost'),
  ignored('control-plane-namespace', 'string', 'Control plane namespace', 'default'),
  ignored('enable-mtls', 'bool', 'Sentry-issued mTLS between sidecars', false),
  ignored('enable-profiling', 'bool', 'Go pprof profiling server', false),
  ignored('profile-port', 'int', 'Profiling port', 7777),
  ignored('disable-builtin-k8s-secret-store', 'bool', 'Built-in Kubernetes secret store', false),
  ignored('disable-init-endpoints', 'list', 'Disable app init endpoints (config, subscribe)'),
  ignored('hot-reload-reconcile-interval', 'duration', 'Hot-reload reconcile interval'),
  ignored('app-binding-options-timeout', 'duration', 'Input binding discovery timeout'),
];

export const FLAG_BY_NAME: ReadonlyMap<string, FlagDef> = new Map(FLAGS.map((d) => [d.name, d]));
