// Turns parsed flags + the environment into one frozen, validated RunConfig. All problems are
// reported together. Nothing below the CLI reads process.env: what it needs is copied here.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FLAGS, FLAG_BY_NAME } from '../cli/flags.js';
import type { ParsedArgs, FlagValue } from '../cli/parse-args.js';
import { MAX_TIMER_MS, parseDuration, parseQuantity, TOO_LONG_FOR_A_TIMER } from '../util/units.js';

export type AppProtocol = 'http' | 'https' | 'grpc' | 'grpcs' | 'h2c';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface PortSetting {
  readonly port: number;
  /** true when the user chose the port; a busy default port is skipped with a warning */
  readonly explicit: boolean;
}

export interface JwtConfig {
  /** JWKS file path or URL */
  readonly jwks?: string;
  readonly oidcIssuer?: string;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly hsSecretFile?: string;
}

export interface ApiAuthConfig {
  /** --api-token-file or DAPR_API_TOKEN_FILE; when set, DAPR_API_TOKEN is not used */
  readonly tokenFile?: string;
  readonly jwt?: JwtConfig;
  readonly allowBearer: boolean;
  readonly auditOnly: boolean;
}

export interface RunConfig {
  readonly appId: string;
  readonly appPort?: number;
  readonly appProtocol: AppProtocol;
  /** Pillion: PEM CA bundle that https / grpcs app certificates must chain to (default: not verified, as daprd) */
  readonly appCaFile?: string;
  readonly appChannelAddress: string;
  readonly appMaxConcurrency: number;
  /** header carrying the app token to the app (lower case) */
  readonly appTokenHeader: string;
  /** per call to the app; 0 = none */
  readonly appCallTimeoutMs: number;
  /** NAMESPACE (Kubernetes); sent as dapr-caller-namespace in kubernetes mode */
  readonly namespace?: string;
  readonly appHealth: {
    readonly enabled: boolean;
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutMs: number;
    readonly threshold: number;
    /** Pillion: also set the app token on the probes (--app-health-probe-token; daprd never does) */
    readonly probeToken: boolean;
  };
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly internalGrpcPort: number;
  /** true when --dapr-internal-grpc-port was given (a busy default port falls back to a free one) */
  readonly internalGrpcPortExplicit: boolean;
  /** --dapr-internal-grpc-listen-address (default: the first API listen address) */
  readonly internalGrpcListenAddress?: string;
  /** --trust-bundle-dir / PILLION_TRUST_DIR: ca.crt + ca.key for sidecar-to-sidecar mTLS */
  readonly trustBundleDir?: string;
  readonly listenAddresses: readonly string[];
  readonly publicPort: PortSetting;
  readonly publicListenAddress?: string;
  readonly metrics: { readonly enabled: boolean; readonly port: PortSetting; readonly listenAddress: string };
  readonly resourcesPaths: readonly string[];
  readonly configPaths: readonly string[];
  readonly logLevel: LogLevel;
  readonly logAsJson: boolean;
  readonly enableApiLogging: boolean;
  readonly allowedOrigins: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxHeaderBytes: number;
  readonly gracefulShutdownMs: number;
  readonly blockShutdownMs: number;
  readonly mode: 'standalone' | 'kubernetes';
  readonly unixDomainSocketDir?: string;
  /** undefined or empty = token authentication off (DAPR_API_TOKEN, read once at start) */
  readonly apiToken?: string;
  /** APP_API_TOKEN: passed through to the app process; used by the app channel */
  readonly appApiToken?: string;
  /** APP_API_TOKEN_FILE: app token(s) loaded and reloaded from a file (takes precedence over APP_API_TOKEN) */
  readonly appApiTokenFile?: string;
  /** beyond DAPR_API_TOKEN: token files, JWTs, bearer, audit-only (see docs/security.md) */
  readonly apiAuth: ApiAuthConfig;
  /** $PILLION_HOME (default ~/.pillion) */
  readonly dataDir: string;
  readonly appCommand: readonly string[];
  /** flags accepted but without effect, for the one start-up warning */
  readonly ignoredFlags: readonly string[];
  readonly wait: boolean;
}

const RESERVED_APP_TOKEN_HEADERS = new Set([
  'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'content-type',
  'dapr-caller-app-id', 'dapr-callee-app-id', 'dapr-caller-namespace', 'dapr-app-id',
]);

/** "no limit" for request bodies: the largest buffer Node.js allows on 64-bit (2 GiB - 1). */
const UNLIMITED_BODY = 2 ** 31 - 1;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** The data folder, found even when HOME is unset (daprd launchers may clear the env). */
export function dataDirFrom(env: Env): string {
  if (env.PILLION_HOME) return env.PILLION_HOME;
  let home = env.HOME;
  if (!home) {
    try {
      home = homedir();
    } catch {
      home = '/tmp';
    }
  }
  return join(home || '/tmp', '.pillion');
}

export function buildRunConfig(args: ParsedArgs, env: Env): RunConfig {
  const problems = [...args.errors];
  const raw = (name: string): FlagValue | undefined => args.values.get(name) ?? defaultOf(name);
  const str = (name: string): string | undefined => {
    const v = raw(name);
    return v === undefined ? undefined : String(v);
  };
  const bool = (name: string): boolean => raw(name) === true;
  const list = (name: string): string[] => {
    const v = raw(name);
    return Array.isArray(v) ? v : v === undefined ? [] : [String(v)];
  };
  const int = (name: string, min: number, max: number): number | undefined => {
    const v = str(name);
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < min || n > max) {
      problems.push(`--${name}: "${v}" must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return n;
  };
  const port = (name: string): number | undefined => int(name, 0, 65535);
  const portSetting = (name: string): PortSetting => ({ port: port(name) ?? 0, explicit: args.given.has(name) });
  const oneOf = <T extends string>(name: string, allowed: readonly T[]): T => {
    const v = (str(name) ?? '').toLowerCase();
    if (!(allowed as readonly string[]).includes(v)) {
      problems.push(`--${name}: "${v}" must be one of ${allowed.join(', ')}`);
      return allowed[0]!;
    }
    return v as T;
  };

  const appId = str('app-id') ?? '';
  if (!args.values.get('wait') && !args.values.get('version') && appId.trim() === '') {
    problems.push('--app-id is required');
  } else if (appId.includes('||') || appId.includes('.')) {
    problems.push(`--app-id: "${appId}" must not contain "||" or "."`);
  } else if (/[\x00-\x20\x7f]/.test(appId)) {
    // it travels in headers (dapr-caller-app-id) and certificates: no spaces or control characters
    problems.push(`--app-id: ${JSON.stringify(appId)} must not contain spaces or control characters`);
  }

  // The Dapr CLI passes -1 for "no limit" (any negative value) and may pass 0; both mean no
  // limit here, capped at what one Node.js buffer can hold.
  let maxBodyBytes = parseQuantity(str('max-body-size') ?? '4Mi');
  if (maxBodyBytes === undefined) {
    problems.push(`--max-body-size: "${str('max-body-size')}" is not a size such as 4Mi, 512Ki or 1048576`);
  } else if (maxBodyBytes <= 0) maxBodyBytes = UNLIMITED_BODY;
  const legacyBody = int('dapr-http-max-request-size', 1, 1 << 20);
  if (legacyBody !== undefined && !args.given.has('max-body-size')) maxBodyBytes = legacyBody * 1024 * 1024;
  let maxHeaderBytes = parseQuantity(str('read-buffer-size') ?? '4Ki');
  if (maxHeaderBytes === undefined) {
    problems.push(`--read-buffer-size: "${str('read-buffer-size')}" is not a size such as 4Ki`);
  }
  const legacyHeader = int('dapr-http-read-buffer-size', 1, 1 << 20);
  if (legacyHeader !== undefined && !args.given.has('read-buffer-size')) maxHeaderBytes = legacyHeader * 1024;
  // Node needs room for its own parsing; never go below 16 KiB (Node's default).
  maxHeaderBytes = Math.max(maxHeaderBytes ?? 0, 16 * 1024);

  let blockShutdownMs = 0;
  const block = str('dapr-block-shutdown-duration');
  if (block) {
    const ms = parseDuration(block);
    if (ms === undefined) problems.push(`--dapr-block-shutdown-duration: "${block}" is not a duration such as 10s`);
    else if (ms > MAX_TIMER_MS) problems.push(`--dapr-block-shutdown-duration: "${block}" ${TOO_LONG_FOR_A_TIMER}`);
    else blockShutdownMs = ms;
  }

  const appTokenHeader = (str('app-token-header') || env.APP_API_TOKEN_HEADER || 'dapr-api-token').trim().toLowerCase();
  // Must be a plain header name the sidecar does not own: a connection header or an identity
  // header would make the token vanish in transit or let it overwrite what the sidecar vouches for.
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(appTokenHeader) || RESERVED_APP_TOKEN_HEADERS.has(appTokenHeader) || appTokenHeader.startsWith('proxy-') || appTokenHeader.startsWith('grpc-')) {
    problems.push(`--app-token-header / APP_API_TOKEN_HEADER: "${appTokenHeader}" is not a header name that can carry the app token`);
  }
  const callTimeout = str('app-call-timeout') ?? '0';
  const appCallTimeoutMs = parseDuration(callTimeout);
  if (appCallTimeoutMs === undefined || appCallTimeoutMs < 0) problems.push(`--app-call-timeout: "${callTimeout}" is not a duration such as 30s`);
  else if (appCallTimeoutMs > MAX_TIMER_MS) problems.push(`--app-call-timeout: "${callTimeout}" ${TOO_LONG_FOR_A_TIMER} (0 = no timeout)`);

  let appProtocol = oneOf('app-protocol', ['http', 'https', 'grpc', 'grpcs', 'h2c'] as const);
  if (bool('app-ssl')) appProtocol = appProtocol === 'http' ? 'https' : appProtocol === 'grpc' ? 'grpcs' : appProtocol;
  const appCaFile = str('app-ca-file') || undefined;
  // A CA file with a cleartext protocol would verify nothing: refuse rather than look secure.
  if (appCaFile && appProtocol !== 'https' && appProtocol !== 'grpcs') problems.push(`--app-ca-file needs --app-protocol https or grpcs (got ${appProtocol})`);

  const tokenFile = str('api-token-file') || env.DAPR_API_TOKEN_FILE || undefined;
  const jwks = str('api-token-jwks') || undefined;
  const oidcIssuer = str('api-token-oidc-issuer') || undefined;
  const hsSecretFile = str('api-token-hs-secret-file') || undefined;
  let jwt: JwtConfig | undefined;
  if (jwks || oidcIssuer || hsSecretFile) {
    const issuer = str('api-token-issuer') || oidcIssuer;
    if (jwks && oidcIssuer) problems.push('--api-token-jwks and --api-token-oidc-issuer: give one of them (the issuer\'s discovery document names its key set)');
    if (!issuer) problems.push('--api-token-issuer is required with --api-token-jwks or --api-token-hs-secret-file (tokens from any issuer would be accepted)');
    for (const [flag, url] of [['api-token-jwks', jwks], ['api-token-oidc-issuer', oidcIssuer]] as const) {
      if (!url || (flag === 'api-token-jwks' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url))) continue;
      try {
        const u = new URL(url);
        const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
        if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) problems.push(`--${flag}: "${url}" must be an https:// URL (http:// only for 127.0.0.1, localhost, [::1])`);
      } catch {
        problems.push(`--${flag}: "${url}" is not a URL`);
      }
    }
    const audience = list('api-token-audience').filter(Boolean);
    jwt = { jwks, oidcIssuer, issuer: issuer ?? '', audience: audience.length ? audience : [appId], hsSecretFile };
  } else {
    for (const n of ['api-token-issuer', 'api-token-audience']) {
      if (args.given.has(n)) problems.push(`--${n} needs --api-token-jwks, --api-token-oidc-issuer or --api-token-hs-secret-file`);
    }
  }

  // App health probes: like daprd, a value <= 0 means the default, and a timeout longer than
  // the interval is refused (even when the checks are off, as daprd does).
  const orDefault = (name: string, max: number, def: number): number => {
    const n = int(name, -(2 ** 31), max);
    return n === undefined || n <= 0 ? def : n;
  };
  const appHealth = {
    enabled: bool('enable-app-health-check'),
    path: str('app-health-check-path') || '/healthz',
    intervalSeconds: orDefault('app-health-probe-interval', 86_400, 5),
    timeoutMs: orDefault('app-health-probe-timeout', 3_600_000, 500),
    threshold: orDefault('app-health-threshold', 1_000_000, 3),
    probeToken: bool('app-health-probe-token'),
  };
  if (appHealth.timeoutMs > appHealth.intervalSeconds * 1000) {
    problems.push(`--app-health-probe-timeout (${appHealth.timeoutMs} ms) must not be longer than --app-health-probe-interval (${appHealth.intervalSeconds} s)`);
  }

  const cfg: RunConfig = {
    appId,
    appPort: port('app-port'),
    appProtocol,
    appCaFile,
    appChannelAddress: str('app-channel-address') ?? '127.0.0.1',
    appMaxConcurrency: int('app-max-concurrency', -1, 1_000_000) ?? -1,
    appTokenHeader,
    appCallTimeoutMs: appCallTimeoutMs ?? 0,
    namespace: env.NAMESPACE || undefined,
    appHealth,
    httpPort: port('dapr-http-port') ?? 3500,
    grpcPort: port('dapr-grpc-port') ?? 50001,
    internalGrpcPort: port('dapr-internal-grpc-port') ?? 50002,
    internalGrpcPortExplicit: args.given.has('dapr-internal-grpc-port'),
    internalGrpcListenAddress: str('dapr-internal-grpc-listen-address') || undefined,
    trustBundleDir: str('trust-bundle-dir') || env.PILLION_TRUST_DIR || undefined,
    listenAddresses: list('dapr-listen-addresses').length ? list('dapr-listen-addresses') : ['127.0.0.1'],
    publicPort: portSetting('dapr-public-port'),
    publicListenAddress: str('dapr-public-listen-address') || undefined,
    metrics: {
      enabled: bool('enable-metrics'),
      port: portSetting('metrics-port'),
      listenAddress: str('metrics-listen-address') ?? '127.0.0.1',
    },
    resourcesPaths: list('resources-path'),
    configPaths: list('config'),
    logLevel: oneOf('log-level', ['info', 'debug', 'warn', 'error', 'fatal'] as const),
    logAsJson: bool('log-as-json'),
    enableApiLogging: bool('enable-api-logging'),
    allowedOrigins: (str('allowed-origins') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    maxBodyBytes: maxBodyBytes ?? 4 << 20,
    maxHeaderBytes,
    gracefulShutdownMs: (int('dapr-graceful-shutdown-seconds', -1, 86_400) ?? 5) * 1000,
    blockShutdownMs,
    mode: oneOf('mode', ['standalone', 'kubernetes'] as const),
    unixDomainSocketDir: str('unix-domain-socket') || undefined,
    apiToken: env.DAPR_API_TOKEN || undefined,
    appApiToken: env.APP_API_TOKEN || undefined,
    appApiTokenFile: env.APP_API_TOKEN_FILE || undefined,
    apiAuth: { tokenFile, jwt, allowBearer: bool('api-token-allow-bearer'), auditOnly: bool('api-token-audit-only') },
    dataDir: dataDirFrom(env),
    appCommand: [...args.rest],
    ignoredFlags: [...args.given].filter((n) => FLAG_BY_NAME.get(n)?.use === 'ignore'),
    wait: bool('wait'),
  };
  if (problems.length) throw new ConfigError(problems);
  return deepFreeze(cfg);
}

function defaultOf(name: string): FlagValue | undefined {
  const d = FLAGS.find((x) => x.name === name)?.default;
  if (d === undefined) return undefined;
  return Array.isArray(d) ? [...d] : typeof d === 'boolean' ? d : String(d);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
