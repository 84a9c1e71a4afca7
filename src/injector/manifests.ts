// The pure core applied to manifests (for `pillion inject`): finds the pod (template) of each
// workload kind, runs buildPatch on it and applies the patch. Other kinds pass through.
import type { Problem } from './annotations.js';
import { applyPatch } from './json-patch.js';
import { buildPatch } from './patch.js';
import type { InjectorConfig, Pod } from './types.js';

export interface Note {
  /** kind/namespace/name of the resource */
  readonly resource: string;
  readonly action: 'inject' | 'skip' | 'deny' | 'pass';
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
}

export interface ManifestResult {
  readonly object: unknown;
  readonly changed: boolean;
  readonly notes: readonly Note[];
}

/** Where the pod template sits, per kind (group-agnostic, as kubectl's kinds are unique here). */
const TEMPLATE_PATH: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(o: Obj): string {
  const md = isObj(o.metadata) ? o.metadata : {};
  const ns = typeof md.namespace === 'string' ? `${md.namespace}/` : '';
  return `${String(o.kind ?? 'unknown')}/${ns}${String(md.name ?? md.generateName ?? '')}`;
}

export function injectManifest(object: unknown, config: InjectorConfig): ManifestResult {
  if (!isObj(object)) return { object, changed: false, notes: [] };
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (Array.isArray(object.items) && (kind === 'List' || kind.endsWith('List'))) {
    const results = object.items.map((item) => injectManifest(item, config));
    const changed = results.some((r) => r.changed);
    return { object: changed ? { ...object, items: results.map((r) => r.object) } : object, changed, notes: results.flatMap((r) => r.notes) };
  }
  const resource = describe(object);
  const path = TEMPLATE_PATH[kind];
  if (!path) return { object, changed: false, notes: [{ resource, action: 'pass', messages: [`kind ${kind || '(none)'} has no pod template`], warnings: [] }] };
  let template: unknown = object;
  for (const key of path) template = isObj(template) ? template[key] : undefined;
  if (!isObj(template) || !isObj(template.spec) || !Array.isArray(template.spec.containers)) {
    return { object, changed: false, notes: [{ resource, action: 'pass', messages: ['no pod template with spec.containers'], warnings: [] }] };
  }
  // a template has no name of its own: the pod is named when created, as the webhook will see it
  const pod = { metadata: template.metadata, spec: template.spec } as Pod;
  if (pod.metadata === undefined) delete pod.metadata;
  const r = buildPatch(pod, config);
  const msgs = (ps: readonly Problem[]) => ps.map((p) => p.message);
  if (r.action !== 'inject') {
    return { object, changed: false, notes: [{ resource, action: r.action, messages: msgs(r.reasons), warnings: r.action === 'deny' ? msgs(r.warnings) : [] }] };
  }
  const injected = applyPatch(pod, r.patch);
  const out = structuredClone(object);
  let parent: Obj = out;
  for (const key of path.slice(0, -1)) parent = parent[key] as Obj;
  if (path.length === 0) {
    out.metadata = injected.metadata;
    out.spec = injected.spec;
  } else {
    const last = path[path.length - 1]!;
    parent[last] = { ...(parent[last] as Obj), metadata: injected.metadata, spec: injected.spec };
  }
  return { object: out, changed: true, notes: [{ resource, action: 'inject', messages: [], warnings: msgs(r.warnings) }] };
}
