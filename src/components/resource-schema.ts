// What a `kind: Component` document must look like, and how its problems are reported. Other
// kinds (Configuration, Subscription, Resiliency, HTTPEndpoint, …) are not validated here: they
// are passed through by kind and name for whoever handles them.

import { z } from 'zod';
import { parseDuration } from './metadata-values.js';
import type { ResourceDocument } from './resource-files.js';
import { MAX_TIMER_MS, TOO_LONG_FOR_A_TIMER } from '../util/units.js';

export interface MetadataEntry {
  readonly name: string;
  /** present unless the value comes from secretKeyRef */
  readonly value?: string;
  /** `key` defaults to `name` (a single-valued secret), as in daprd */
  readonly secretKeyRef?: { readonly name: string; readonly key: string };
}

/** A validated Component document, before scopes, secret references and the factory. */
export interface ComponentDraft {
  readonly name: string;
  readonly namespace?: string;
  readonly type: string;
  readonly version: string;
  readonly metadata: readonly MetadataEntry[];
  readonly scopes: readonly string[];
  readonly secretStore?: string;
  readonly initTimeoutMs: number;
  readonly ignoreErrors: boolean;
  /** `file:line` of the document, for messages */
  readonly source: string;
  /** the file itself (its folder is the component's baseDir) */
  readonly file: string;
}

export interface OtherResource {
  readonly kind: string;
  readonly name: string;
  readonly source: string;
  /** the parsed document, for the loader of that kind (e.g. Subscription) */
  readonly doc?: ResourceDocument;
}

export type Classified =
  | { readonly component: ComponentDraft }
  | { readonly other: OtherResource }
  | { readonly problems: string[] };

const DEFAULT_INIT_TIMEOUT_MS = 5_000; // daprd's default

// Like daprd's dynamic values: scalars become their text, lists/maps their JSON, null ''.
const metadataValue = z
  .unknown()
  .transform((v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)));
const metadataItem = z.object({
  name: z.string().min(1),
  value: metadataValue,
  secretKeyRef: z.object({ name: z.string().min(1), key: z.string().optional() }).optional(),
});
const componentDoc = z.object({
  apiVersion: z.literal('dapr.io/v1alpha1'),
  kind: z.literal('Component'),
  metadata: z.object({ name: z.string().min(1), namespace: z.string().optional() }),
  spec: z.object({
    type: z.string().min(1),
    version: z.string().min(1),
    metadata: z.array(metadataItem).nullish(),
    initTimeout: z.string().optional(),
    ignoreErrors: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  }),
  scopes: z.array(z.string()).nullish(),
  auth: z.object({ secretStore: z.string().min(1) }).nullish(),
});

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** `file:line` of the value at `path` in the document (the file alone when unknown). */
export function located(doc: ResourceDocument, path: readonly PropertyKey[]): string {
  const line = doc.lineOf(path);
  return line === undefined ? doc.source : `${doc.source}:${line}`;
}

/** zod issues as `file:line: field.path: detail`, for any kind of resource document. */
export function schemaProblems(doc: ResourceDocument, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    // zod's "expected string, received undefined" is noise when the field is just missing.
    const missing = valueAt(doc.value, issue.path) === undefined;
    return `${located(doc, issue.path)}: ${fieldPath(issue.path)}: ${missing ? 'Required' : issue.message}`;
  });
}

export function classify(doc: ResourceDocument): Classified {
  const v = doc.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
  const kind = typeof v === 'object' && v !== null && typeof v.kind === 'string' ? v.kind : '';
  if (kind !== 'Component') {
    const name = typeof v?.metadata?.name === 'string' ? v.metadata.name : '';
    return { other: { kind, name, source: doc.source, doc } };
  }
  const parsed = componentDoc.safeParse(doc.value);
  if (!parsed.success) return { problems: schemaProblems(doc, parsed.error) };
  const c = parsed.data;
  const initTimeoutMs = c.spec.initTimeout === undefined ? DEFAULT_INIT_TIMEOUT_MS : parseDuration(c.spec.initTimeout);
  if (initTimeoutMs !== undefined && initTimeoutMs > MAX_TIMER_MS) {
    return { problems: [`${located(doc, ['spec', 'initTimeout'])}: spec.initTimeout: "${c.spec.initTimeout}" ${TOO_LONG_FOR_A_TIMER}`] };
  }
  if (initTimeoutMs === undefined || initTimeoutMs <= 0) {
    const at = ['spec', 'initTimeout'];
    return { problems: [`${located(doc, at)}: spec.initTimeout: expected a positive duration like "5s", got "${c.spec.initTimeout}"`] };
  }
  return {
    component: {
      name: c.metadata.name,
      namespace: c.metadata.namespace,
      type: c.spec.type,
      version: c.spec.version,
      // When both are set, secretKeyRef wins (daprd overwrites the value with the secret).
      metadata: (c.spec.metadata ?? []).map((m) =>
        m.secretKeyRef
          ? { name: m.name, secretKeyRef: { name: m.secretKeyRef.name, key: m.secretKeyRef.key || m.secretKeyRef.name } }
          : { name: m.name, value: m.value ?? '' },
      ),
      scopes: c.scopes ?? [],
      secretStore: c.auth?.secretStore,
      initTimeoutMs,
      ignoreErrors: c.spec.ignoreErrors === true || c.spec.ignoreErrors === 'true',
      source: located(doc, []),
      file: doc.source,
    },
  };
}
