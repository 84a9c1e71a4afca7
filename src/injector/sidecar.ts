// Builders for what the injector adds: the `daprd` sidecar container, its volumes, and the
// env of the app containers. Each is a pure function of the validated settings.
import type { AnnotationValue } from './annotations.js';
import { APP_TOKEN_VOLUME, DATA_VOLUME, SIDECAR_NAME, TOKEN_VOLUME, TRUST_VOLUME, type Settings } from './decide.js';
import type { Container, EnvVar, InjectorConfig, Volume } from './types.js';

export const HTTP_PORT = 3500;
export const PUBLIC_PORT = 3501;
/** where the sidecar keeps its data (the root filesystem is read-only) */
export const DATA_PATH = '/var/lib/pillion';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/pillion.io/api-token';
export const TOKEN_KEY = 'token';
/** the app token Secret (dapr.io/app-token-secret), mounted so that a rotation reaches the
 * sidecar through APP_API_TOKEN_FILE without a restart */
export const APP_TOKEN_MOUNT_PATH = '/var/run/secrets/pillion.io/app-token';
/** the CA of sidecar-to-sidecar mTLS (`pillion trust create`); optional: without it the
 * sidecar serves no internal port and cannot invoke other apps */
export const TRUST_SECRET_NAME = 'pillion-trust';
export const TRUST_MOUNT_PATH = '/var/run/secrets/pillion.io/trust';

const get = <T extends AnnotationValue>(s: Settings, key: string): T | undefined => s.values.get(`dapr.io/${key}`) as T | undefined;

/** `pillion run` flags (daprd's names) from the annotations. */
export function sidecarArgs(s: Settings): string[] {
  const args = ['--mode', 'kubernetes', '--app-id', s.appId, '--dapr-http-port', String(HTTP_PORT)];
  args.push('--dapr-public-port', String(PUBLIC_PORT), '--dapr-public-listen-address', '0.0.0.0');
  args.push('--metrics-listen-address', '0.0.0.0');
  // Other sidecars reach the internal server through the <app-id>-dapr Service.
  args.push('--dapr-internal-grpc-listen-address', '0.0.0.0', '--trust-bundle-dir', TRUST_MOUNT_PATH);
  const flagFor: Array<[string, string]> = [
    ['app-port', 'app-port'], ['app-protocol', 'app-protocol'], ['app-channel-address', 'app-channel-address'],
    ['app-max-concurrency', 'app-max-concurrency'], ['enable-app-health-check', 'enable-app-health-check'],
    ['app-health-check-path', 'app-health-check-path'], ['app-health-probe-interval', 'app-health-probe-interval'],
    ['app-health-probe-timeout', 'app-health-probe-timeout'], ['app-health-threshold', 'app-health-threshold'],
    ['grpc-port', 'dapr-grpc-port'], ['internal-grpc-port', 'dapr-internal-grpc-port'],
    ['sidecar-listen-addresses', 'dapr-listen-addresses'], ['enable-metrics', 'enable-metrics'], ['metrics-port', 'metrics-port'],
    ['log-level', 'log-level'], ['log-as-json', 'log-as-json'], ['enable-api-logging', 'enable-api-logging'],
    ['max-body-size', 'max-body-size'], ['http-max-request-size', 'dapr-http-max-request-size'],
    ['read-buffer-size', 'read-buffer-size'], ['http-read-buffer-size', 'dapr-http-read-buffer-size'],
    ['block-shutdown-duration', 'dapr-block-shutdown-duration'],
  ];
  for (const [key, flag] of flagFor) {
    const v = get(s, key);
    if (v === undefined) continue;
    if (typeof v === 'boolean') args.push(`--${flag}=${v}`);
    else args.push(`--${flag}`, Array.isArray(v) ? v.join(',') : String(v));
  }
  const grace = get<number>(s, 'graceful-shutdown-seconds');
  if (grace !== undefined && grace >= 0) args.push('--dapr-graceful-shutdown-seconds', String(grace));
  return args;
}

/** The sidecar's environment: pod identity, dapr.io/env, then the tokens (last, as Dapr). */
export function sidecarEnv(s: Settings): EnvVar[] {
  const env: EnvVar[] = [
    { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'PILLION_HOME', value: DATA_PATH },
  ];
  for (const [name, value] of get<ReadonlyArray<readonly [string, string]>>(s, 'env') ?? []) env.push({ name, value });
  const apiSecret = get<string>(s, 'api-token-secret');
  const appSecret = get<string>(s, 'app-token-secret');
  if (apiSecret !== undefined) env.push({ name: 'DAPR_API_TOKEN', valueFrom: { secretKeyRef: { name: apiSecret, key: TOKEN_KEY } } });
  if (appSecret !== undefined) env.push({ name: 'APP_API_TOKEN', valueFrom: { secretKeyRef: { name: appSecret, key: TOKEN_KEY } } });
  if (apiSecret !== undefined) env.push({ name: 'DAPR_API_TOKEN_FILE', value: `${TOKEN_MOUNT_PATH}/${TOKEN_KEY}` });
  if (appSecret !== undefined) env.push({ name: 'APP_API_TOKEN_FILE', value: `${APP_TOKEN_MOUNT_PATH}/${TOKEN_KEY}` });
  return env;
}

export function sidecarProbes(s: Settings): { readinessProbe: object; livenessProbe: object } {
  const n = (key: string): number => get<number>(s, key) as number;
  const timing = (kind: string) => ({
    initialDelaySeconds: n(`sidecar-${kind}-probe-delay-seconds`),
    timeoutSeconds: n(`sidecar-${kind}-probe-timeout-seconds`),
    periodSeconds: n(`sidecar-${kind}-probe-period-seconds`),
    failureThreshold: n(`sidecar-${kind}-probe-threshold`),
  });
  return {
    readinessProbe: { httpGet: { path: '/v1.0/healthz', port: PUBLIC_PORT }, ...timing('readiness') },
    livenessProbe: { tcpSocket: { port: PUBLIC_PORT }, ...timing('liveness') },
  };
}

export function sidecarResources(s: Settings): { requests?: Record<string, string>; limits?: Record<string, string> } {
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  for (const [kind, field] of [['request', 'requests'], ['limit', 'limits']] as const) {
    for (const res of ['cpu', 'memory'] as const) {
      const v = get<string>(s, `sidecar-${res}-${kind}`);
      if (v !== undefined) (out[field] ??= {})[res] = v;
    }
  }
  return out;
}

export const SECURITY_CONTEXT = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

export function sidecarContainer(s: Settings, config: InjectorConfig): Container {
  const c: Container = {
    name: SIDECAR_NAME,
    image: get<string>(s, 'sidecar-image') || config.sidecarImage,
    ...(config.imagePullPolicy ? { imagePullPolicy: config.imagePullPolicy } : {}),
    command: ['pillion', 'run'],
    args: sidecarArgs(s),
    ports: [
      { name: 'dapr-http', containerPort: HTTP_PORT, protocol: 'TCP' },
      { name: 'dapr-grpc', containerPort: get<number>(s, 'grpc-port'), protocol: 'TCP' },
      { name: 'dapr-internal', containerPort: get<number>(s, 'internal-grpc-port'), protocol: 'TCP' },
      { name: 'dapr-metrics', containerPort: get<number>(s, 'metrics-port'), protocol: 'TCP' },
    ],
    env: sidecarEnv(s),
    ...sidecarProbes(s),
    resources: sidecarResources(s),
    securityContext: SECURITY_CONTEXT,
    volumeMounts: [
      { name: DATA_VOLUME, mountPath: DATA_PATH },
      ...(get(s, 'api-token-secret') !== undefined ? [{ name: TOKEN_VOLUME, mountPath: TOKEN_MOUNT_PATH, readOnly: true }] : []),
      ...(get(s, 'app-token-secret') !== undefined ? [{ name: APP_TOKEN_VOLUME, mountPath: APP_TOKEN_MOUNT_PATH, readOnly: true }] : []),
      { name: TRUST_VOLUME, mountPath: TRUST_MOUNT_PATH, readOnly: true },
    ],
  };
  return JSON.parse(JSON.stringify(c)) as Container;
}

export function sidecarVolumes(s: Settings): Volume[] {
  const secret = get<string>(s, 'api-token-secret');
  const appSecret = get<string>(s, 'app-token-secret');
  // Only the key "token" is projected: other keys of the Secret stay out of the sidecar.
  const tokenOnly = (secretName: string) => ({ secretName, items: [{ key: TOKEN_KEY, path: TOKEN_KEY }] });
  return [
    { name: DATA_VOLUME, emptyDir: {} },
    ...(secret !== undefined ? [{ name: TOKEN_VOLUME, secret: tokenOnly(secret) }] : []),
    ...(appSecret !== undefined ? [{ name: APP_TOKEN_VOLUME, secret: tokenOnly(appSecret) }] : []),
    { name: TRUST_VOLUME, secret: { secretName: TRUST_SECRET_NAME, optional: true } },
  ];
}

/** Env vars each app container gets unless it defines them already. */
export function appEnv(s: Settings): EnvVar[] {
  return [
    { name: 'DAPR_HTTP_PORT', value: String(HTTP_PORT) },
    { name: 'DAPR_GRPC_PORT', value: String(get<number>(s, 'grpc-port')) },
    { name: 'APP_PROTOCOL', value: String(get<string>(s, 'app-protocol')) },
  ];
}
