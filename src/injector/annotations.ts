// The `dapr.io/*` pod annotations the injector reads: one declared table (key, type, default,
// and what a bad value does), and one reader that turns a pod's annotations into typed values
// plus the problems found. Pure: no I/O, no environment, no clock.

/** How a value is read. `port` is an int 0–65535 that denies the pod when unreadable. */
export type AnnotationType = 'bool' | 'int' | 'port' | 'string' | 'quantity' | 'list' | 'env' | 'duration';

export interface AnnotationDef {
  readonly key: string;
  readonly type: AnnotationType;
  /** value used when the annotation is absent (undefined: unset) */
  readonly default?: string | number | boolean;
  readonly help: string;
  /** the `pillion run` (daprd) flag the value becomes, when it is passed as a flag */
  readonly flag?: string;
}

const a = (key: string, type: AnnotationType, help: string, extra: Partial<Omit<AnnotationDef, 'key' | 'type' | 'help'>> = {}): AnnotationDef =>
  ({ key: `dapr.io/${key}`, type, help, ...extra });

export const ANNOTATIONS: readonly AnnotationDef[] = [
  a('enabled', 'bool', 'Inject the sidecar when "true" (case-insensitive)', { default: false }),
  a('app-id', 'string', 'App id (default: the pod name); <app-id>-dapr must be a DNS-1123 label', { flag: 'app-id' }),
  a('app-port', 'port', 'Port the app listens on (unset: no app channel)', { flag: 'app-port' }),
  a('app-protocol', 'string', 'Protocol of the app channel: http, grpc, https, grpcs, h2c', { default: 'http', flag: 'app-protocol' }),
  a('app-channel-address', 'string', 'Address the app listens on', { flag: 'app-channel-address' }),
  a('app-max-concurrency', 'int', 'Concurrency limit when calling the app', { flag: 'app-max-concurrency' }),
  a('enable-app-health-check', 'bool', 'Probe the app health', { flag: 'enable-app-health-check' }),
  a('app-health-check-path', 'string', 'Path of the app health probe', { flag: 'app-health-check-path' }),
  a('app-health-probe-interval', 'int', 'Seconds between app health probes', { flag: 'app-health-probe-interval' }),
  a('app-health-probe-timeout', 'int', 'App health probe timeout in milliseconds', { flag: 'app-health-probe-timeout' }),
  a('app-health-threshold', 'int', 'Failed probes before the app is unhealthy', { flag: 'app-health-threshold' }),
  a('config', 'string', 'Name of a Dapr Configuration resource (not read by Pillion: no operator; a warning)'),
  a('log-level', 'string', 'Sidecar log level: debug, info, warn, error, fatal', { default: 'info', flag: 'log-level' }),
  a('log-as-json', 'bool', 'Sidecar logs as JSON lines', { default: false, flag: 'log-as-json' }),
  a('enable-api-logging', 'bool', 'Log every API call', { flag: 'enable-api-logging' }),
  a('enable-metrics', 'bool', 'Serve Prometheus metrics', { default: true, flag: 'enable-metrics' }),
  a('metrics-port', 'port', 'Port of the metrics server', { default: 9090, flag: 'metrics-port' }),
  a('grpc-port', 'port', 'Port of the Dapr gRPC API', { default: 50001, flag: 'dapr-grpc-port' }),
  a('internal-grpc-port', 'port', 'Port of the internal gRPC API', { default: 50002, flag: 'dapr-internal-grpc-port' }),
  a('sidecar-listen-addresses', 'list', 'Addresses the Dapr APIs listen on (pod-local by default)', { default: '127.0.0.1', flag: 'dapr-listen-addresses' }),
  a('max-body-size', 'quantity', 'Max request body on the APIs (4Mi)', { flag: 'max-body-size' }),
  a('http-max-request-size', 'int', 'Max request body in MB (old form of max-body-size)', { flag: 'dapr-http-max-request-size' }),
  a('read-buffer-size', 'quantity', 'Max size of request headers (4Ki)', { flag: 'read-buffer-size' }),
  a('http-read-buffer-size', 'int', 'Max size of request headers in KB (old form of read-buffer-size)', { flag: 'dapr-http-read-buffer-size' }),
  a('graceful-shutdown-seconds', 'int', 'Seconds to finish in-flight requests on shutdown (-1: sidecar default)', { default: -1, flag: 'dapr-graceful-shutdown-seconds' }),
  a('block-shutdown-duration', 'duration', 'Keep serving this long after SIGTERM (e.g. 10s)', { flag: 'dapr-block-shutdown-duration' }),
  a('sidecar-image', 'string', 'Sidecar image (default: the injector\'s --sidecar-image)'),
  a('sidecar-cpu-request', 'quantity', 'Sidecar CPU request'),
  a('sidecar-cpu-limit', 'quantity', 'Sidecar CPU limit'),
  a('sidecar-memory-request', 'quantity', 'Sidecar memory request'),
  a('sidecar-memory-limit', 'quantity', 'Sidecar memory limit'),
  a('sidecar-liveness-probe-delay-seconds', 'int', 'Liveness probe initialDelaySeconds', { default: 180 }),
  a('sidecar-liveness-probe-timeout-seconds', 'int', 'Liveness probe timeoutSeconds', { default: 3 }),
  a('sidecar-liveness-probe-period-seconds', 'int', 'Liveness probe periodSeconds', { default: 10 }),
  a('sidecar-liveness-probe-threshold', 'int', 'Liveness probe failureThreshold', { default: 5 }),
  a('sidecar-readiness-probe-delay-seconds', 'int', 'Readiness probe initialDelaySeconds', { default: 1 }),
  a('sidecar-readiness-probe-timeout-seconds', 'int', 'Readiness probe timeoutSeconds', { default: 1 }),
  a('sidecar-readiness-probe-period-seconds', 'int', 'Readiness probe periodSeconds', { default: 1 }),
  a('sidecar-readiness-probe-threshold', 'int', 'Readiness probe failureThreshold', { default: 5 }),
  a('env', 'env', 'Extra sidecar environment variables, comma-separated K=V'),
  a('api-token-secret', 'string', 'Secret whose key "token" becomes DAPR_API_TOKEN (and is mounted for DAPR_API_TOKEN_FILE)'),
  a('app-token-secret', 'string', 'Secret whose key "token" becomes APP_API_TOKEN (and is mounted for APP_API_TOKEN_FILE)'),
];

export const ANNOTATION_BY_KEY: ReadonlyMap<string, AnnotationDef> = new Map(ANNOTATIONS.map((d) => [d.key, d]));

export type AnnotationValue = string | number | boolean | readonly string[] | ReadonlyArray<readonly [string, string]>;

export interface Problem {
  /** machine-readable reason code (bounded set; used as a metrics label) */
  readonly code: ReasonCode;
  readonly message: string;
}

export type ReasonCode =
  | 'not-enabled'
  | 'already-injected'
  | 'invalid-app-id'
  | 'invalid-port'
  | 'invalid-quantity'
  | 'invalid-env'
  | 'invalid-duration'
  | 'volume-conflict'
  | 'invalid-secret-name'
  | 'ignored-value'
  | 'unsupported-annotation';

export interface ReadResult {
  /** every table entry with a value (read or default); absent entries without default are missing */
  readonly values: ReadonlyMap<string, AnnotationValue>;
  /** problems that deny the pod */
  readonly errors: readonly Problem[];
  /** problems that fall back to the default */
  readonly warnings: readonly Problem[];
}

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** strconv.ParseBool's spellings, as Dapr reads its bool annotations. */
function parseBool(v: string): boolean | undefined {
  const t = v.trim();
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(t)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(t)) return false;
  return t.toLowerCase() === 'true' ? true : t.toLowerCase() === 'false' ? false : undefined;
}

/** Reads every annotation of the table from a pod's annotations. */
export function readAnnotations(annotations: Readonly<Record<string, unknown>>): ReadResult {
  const values = new Map<string, AnnotationValue>();
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  for (const def of ANNOTATIONS) {
    const raw = annotations[def.key];
    if (raw === undefined || raw === null) {
      if (def.default !== undefined) values.set(def.key, def.type === 'list' ? String(def.default).split(',') : def.default);
      continue;
    }
    const text = String(raw);
    const fallback = (why: string): void => {
      warnings.push({ code: 'ignored-value', message: `${def.key}: ${JSON.stringify(text)} is ${why}; ${def.default === undefined ? 'ignored' : `using the default ${JSON.stringify(def.default)}`}` });
      if (def.default !== undefined) values.set(def.key, def.default);
    };
    switch (def.type) {
      case 'string':
        values.set(def.key, text.trim());
        break;
      case 'bool': {
        const b = parseBool(text);
        if (b === undefined) fallback('not a boolean');
        else values.set(def.key, b);
        break;
      }
      case 'int': {
        const t = text.trim();
        if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) fallback('not an integer');
        else values.set(def.key, Number(t));
        break;
      }
      case 'port': {
        const t = text.trim();
        const n = Number(t);
        if (!/^\d+$/.test(t) || n < 0 || n > 65535) errors.push({ code: 'invalid-port', message: `${def.key}: ${JSON.stringify(text)} is not a port number (0-65535)` });
        else values.set(def.key, n);
        break;
      }
      case 'quantity': {
        const t = text.trim();
        if (!QUANTITY.test(t)) errors.push({ code: 'invalid-quantity', message: `${def.key}: ${JSON.stringify(text)} is not a Kubernetes quantity (e.g. 100m, 128Mi)` });
        else values.set(def.key, t);
        break;
      }
      case 'duration': {
        const t = text.trim();
        if (!DURATION.test(t)) errors.push({ code: 'invalid-duration', message: `${def.key}: ${JSON.stringify(text)} is not a duration (e.g. 10s, 1m30s)` });
        else values.set(def.key, t);
        break;
      }
      case 'list':
        values.set(def.key, text.split(',').map((s) => s.trim()).filter(Boolean));
        break;
      case 'env': {
        const pairs: Array<readonly [string, string]> = [];
        for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
          const eq = item.indexOf('=');
          const name = eq < 0 ? item : item.slice(0, eq).trim();
          if (eq < 0 || !ENV_NAME.test(name)) {
            errors.push({ code: 'invalid-env', message: `${def.key}: ${JSON.stringify(item)} is not NAME=value with a valid variable name` });
            continue;
          }
          pairs.push([name, item.slice(eq + 1).trim()]);
        }
        values.set(def.key, pairs);
        break;
      }
    }
  }
  return { values, errors, warnings };
}
