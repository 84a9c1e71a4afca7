// Entry point for start-up: resource folders (or the embedded default) → live components.
// Order: read + validate every file, apply scopes, check duplicate names — all problems so far
// are thrown together — then build (secret stores first), again reporting every failure at once.

import { join } from 'node:path';
import { registerBuiltins } from './catalogue.js';
import { buildComponents, type IgnoredComponent } from './component-builder.js';
import type { LoadedComponent } from './instances.js';
import type { ComponentRegistry } from './registry.js';
import type { ComponentDraft, OtherResource } from './resource-schema.js';
import { ResourcesError, type ComponentLog } from './types.js';

export type { LoadedComponent } from './instances.js';
export type { IgnoredComponent } from './component-builder.js';
export type { ComponentDraft, OtherResource } from './resource-schema.js';

export const EMBEDDED_SOURCE = '<embedded default>';

export interface LoadOptions {
  /** `--resources-path` values; none (or an empty list) means the embedded default store */
  readonly resourcesPaths?: readonly string[];
  readonly appId: string;
  /** $PILLION_HOME (computed by the CLI), home of the embedded store */
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** defaults to a registry with every built-in */
  readonly registry?: ComponentRegistry;
  /** when set, components declaring another `metadata.namespace` are skipped (daprd's NAMESPACE) */
  readonly namespace?: string;
  /** add embeddedPubSub() when no resource file defines a pub/sub (the sidecar sets it) */
  readonly embeddedPubSub?: boolean;
  /** where components report background trouble (broker connection lost, …) */
  readonly log?: ComponentLog;
}

export interface LoadResult {
  readonly components: LoadedComponent[];
  /** non-Component documents (Configuration, Subscription, Resiliency, …) for other loaders */
  readonly others: OtherResource[];
  /** components that failed with `spec.ignoreErrors: true` */
  readonly ignored: IgnoredComponent[];
}

/** Without resources, Pillion still has a durable state store: SQLite at <dataDir>/state.db. */
export function embeddedDefault(dataDir: string): ComponentDraft {
  const file = join(dataDir, 'state.db');
  return {
    name: 'statestore',
    type: 'state.sqlite',
    version: 'v1',
    metadata: [{ name: 'connectionString', value: file }],
    scopes: [],
    initTimeoutMs: 5_000,
    ignoreErrors: false,
    source: EMBEDDED_SOURCE,
    file,
  };
}

/**
 * Without a pub/sub component in the resources, Pillion still has one: `pubsub`, in-memory
 * (nothing stored, single process), so publish and subscribe work out of the box.
 */
export function embeddedPubSub(): ComponentDraft {
  return {
    name: 'pubsub',
    type: 'pubsub.in-memory',
    version: 'v1',
    metadata: [],
    scopes: [],
    initTimeoutMs: 5_000,
    ignoreErrors: false,
    source: EMBEDDED_SOURCE,
    file: EMBEDDED_SOURCE,
  };
}

/** The embedded pub/sub is added when no file defines a pub/sub (even one scoped to other
 * apps: then this app is meant to have none) and the name is free. */
export function needsEmbeddedPubSub(defined: readonly ComponentDraft[], kept: readonly ComponentDraft[]): boolean {
  return !defined.some((d) => d.type.startsWith('pubsub.')) && !kept.some((d) => d.name === 'pubsub');
}

/** Reads and validates every document; throws one ResourcesError listing every problem. */
export async function loadResources(
  paths: readonly string[],
): Promise<{ drafts: ComponentDraft[]; others: OtherResource[] }> {
  // The YAML parser and the schema library are loaded only when there are files to read: the
  // embedded default needs neither, and they cost ~6 MB of resident memory.
  const [{ readResourceDocuments }, { classify }] = await Promise.all([import('./resource-files.js'), import('./resource-schema.js')]);
  const { docs, problems } = await readResourceDocuments(paths);
  const drafts: ComponentDraft[] = [];
  const others: OtherResource[] = [];
  for (const doc of docs) {
    const c = classify(doc);
    if ('component' in c) drafts.push(c.component);
    else if ('other' in c) others.push(c.other);
    else problems.push(...c.problems);
  }
  if (problems.length > 0) throw new ResourcesError(problems);
  return { drafts, others };
}

/** daprd skips, without error, components scoped to other apps or other namespaces. */
export function appliesTo(d: ComponentDraft, appId: string, namespace?: string): boolean {
  if (d.scopes.length > 0 && !d.scopes.includes(appId)) return false;
  return !(namespace && d.namespace && d.namespace !== namespace);
}

/**
 * Names must be unique among the components this app loads. Checked after scoping, so one
 * folder may hold same-named components scoped to different apps.
 */
export function duplicateProblems(drafts: readonly ComponentDraft[]): string[] {
  const first = new Map<string, ComponentDraft>();
  const problems: string[] = [];
  for (const d of drafts) {
    const prev = first.get(d.name);
    if (prev) problems.push(`${d.source}: metadata.name: duplicate component name ${d.name} (also defined in ${prev.source})`);
    else first.set(d.name, d);
  }
  return problems;
}

export async function loadComponents(opts: LoadOptions): Promise<LoadResult> {
  const registry = opts.registry ?? registerBuiltins();
  const paths = opts.resourcesPaths ?? [];
  let drafts: ComponentDraft[];
  let others: OtherResource[] = [];
  if (paths.length === 0) {
    drafts = [embeddedDefault(opts.dataDir)];
  } else {
    const loaded = await loadResources(paths);
    others = loaded.others;
    drafts = loaded.drafts.filter((d) => appliesTo(d, opts.appId, opts.namespace));
    const dups = duplicateProblems(drafts);
    if (dups.length > 0) throw new ResourcesError(dups);
    if (opts.embeddedPubSub && needsEmbeddedPubSub(loaded.drafts, drafts)) drafts.push(embeddedPubSub());
  }
  if (paths.length === 0 && opts.embeddedPubSub) drafts.push(embeddedPubSub());
  const built = await buildComponents(drafts, {
    appId: opts.appId,
    dataDir: opts.dataDir,
    env: opts.env,
    registry,
    log: opts.log,
  });
  return { components: built.components, others, ignored: built.ignored };
}
