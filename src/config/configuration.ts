// Dapr `kind: Configuration` files given with --config (repeatable). Validated at start-up: a
// broken file stops the sidecar with the file, line and field. Pillion acts on `spec.features`
// (reported by the metadata API) and `spec.metric.enabled`; other sections (tracing, …) are
// accepted and listed once in the log as not used.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { readResourceDocuments } from '../components/resource-files.js';
import { schemaProblems } from '../components/resource-schema.js';
import { ResourcesError } from '../components/types.js';
import type { ApiAccessRules, ApiRule } from '../security/api-access.js';

export interface DaprConfiguration {
  readonly features: readonly string[];
  /** undefined = not set by any file */
  readonly metricsEnabled?: boolean;
  /** spec.api.allowed / spec.api.denied (merged over every file); undefined = none */
  readonly api?: ApiAccessRules;
  /** spec sections present but without effect in Pillion, e.g. "tracing" */
  readonly unused: readonly string[];
}

const USED = new Set(['features', 'metric', 'metrics', 'api']);

const apiRule = z.object({ name: z.string().min(1), version: z.string().min(1), protocol: z.enum(['http', 'grpc', 'HTTP', 'gRPC', 'GRPC']).optional() });

const configurationDoc = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Configuration'),
  metadata: z.object({ name: z.string().min(1) }).passthrough().optional(),
  spec: z
    .object({
      features: z.array(z.object({ name: z.string().min(1), enabled: z.boolean() })).nullish(),
      metric: z.object({ enabled: z.boolean().optional() }).passthrough().nullish(),
      metrics: z.object({ enabled: z.boolean().optional() }).passthrough().nullish(),
      api: z.object({ allowed: z.array(apiRule).nullish(), denied: z.array(apiRule).nullish() }).passthrough().nullish(),
    })
    .passthrough()
    .nullish(),
});

export async function loadConfiguration(paths: readonly string[]): Promise<DaprConfiguration> {
  if (paths.length === 0) return { features: [], unused: [] };
  const missing = paths.filter((p) => !existsSync(p)).map((p) => `${p}: configuration file does not exist`);
  if (missing.length) throw new ResourcesError(missing, 'configuration (--config)');
  const { docs, problems } = await readResourceDocuments(paths);
  const features = new Set<string>();
  const unused = new Set<string>();
  let metricsEnabled: boolean | undefined;
  const allowed: ApiRule[] = [];
  const denied: ApiRule[] = [];
  for (const doc of docs) {
    const parsed = configurationDoc.safeParse(doc.value);
    if (!parsed.success) {
      problems.push(...schemaProblems(doc, parsed.error));
      continue;
    }
    const spec = parsed.data.spec ?? {};
    for (const f of spec.features ?? []) if (f.enabled) features.add(f.name);
    const metric = spec.metric ?? spec.metrics;
    if (metric?.enabled !== undefined) metricsEnabled = metric.enabled;
    allowed.push(...(spec.api?.allowed ?? []));
    denied.push(...(spec.api?.denied ?? []));
    for (const k of Object.keys(spec)) if (!USED.has(k)) unused.add(k);
  }
  if (problems.length) throw new ResourcesError(problems, 'configuration (--config)');
  const api = allowed.length || denied.length ? { allowed, denied } : undefined;
  return { features: [...features], metricsEnabled, api, unused: [...unused] };
}
