// Turns validated drafts into live components. Secret stores come first because other
// components' `secretKeyRef` metadata is read from them; a failure in one component does not
// stop the others from being tried, so the user sees every problem in one ResourcesError.

import { dirname } from 'node:path';
import type { LoadedComponent } from './instances.js';
import type { ComponentRegistry } from './registry.js';
import type { ComponentDraft } from './resource-schema.js';
import {
  ComponentConfigError,
  ResourcesError,
  type Component,
  type ComponentContext,
  type ComponentLog,
  type ComponentSpec,
  type SecretStore,
} from './types.js';

export interface BuildOptions {
  readonly appId: string;
  readonly dataDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly registry: ComponentRegistry;
  /** where components report background trouble; each line is prefixed with the component */
  readonly log?: ComponentLog;
}

/** A component that failed but had `spec.ignoreErrors: true`; the sidecar starts without it. */
export interface IgnoredComponent {
  readonly name: string;
  readonly source: string;
  readonly error: string;
}

export interface BuildResult {
  readonly components: LoadedComponent[];
  readonly ignored: IgnoredComponent[];
}

const isSecretStore = (d: ComponentDraft): boolean => d.type.startsWith('secretstores.');

/** The build's log, naming the component on every line; undefined when there is none. */
function componentLog(log: ComponentLog | undefined, d: ComponentDraft): ComponentLog | undefined {
  return log && ((level, message) => log(level, `component ${d.name} (${d.type}): ${message}`));
}

/** Rejects after `ms`; an instance that shows up late is closed rather than leaked. */
function withTimeout(p: Promise<Component>, ms: number): Promise<Component> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`initialisation did not finish within ${ms} ms (spec.initTimeout)`));
      p.then((late) => late.close(), () => {}).catch(() => {});
    }, ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Metadata as plain strings, reading each secretKeyRef from the component's auth.secretStore. */
async function resolveMetadata(
  d: ComponentDraft,
  secrets: ReadonlyMap<string, SecretStore>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [i, m] of d.metadata.entries()) {
    if (!m.secretKeyRef) {
      out[m.name] = m.value ?? '';
      continue;
    }
    const field = `spec.metadata[${i}].secretKeyRef`;
    if (isSecretStore(d)) throw new ComponentConfigError(d.source, field, 'secret stores cannot take metadata from secretKeyRef');
    if (!d.secretStore) throw new ComponentConfigError(d.source, field, 'auth.secretStore must name the secret store to read it from');
    const store = secrets.get(d.secretStore);
    if (!store) throw new ComponentConfigError(d.source, 'auth.secretStore', `secret store ${d.secretStore} is not loaded`);
    const { name, key } = m.secretKeyRef;
    const value = (await store.get(name))?.[key];
    if (value === undefined) {
      throw new ComponentConfigError(d.source, field, `secret ${name} (key ${key}) not found in secret store ${d.secretStore}`);
    }
    out[m.name] = value;
  }
  return out;
}

export async function buildComponents(drafts: readonly ComponentDraft[], opts: BuildOptions): Promise<BuildResult> {
  const ordered = [...drafts.filter(isSecretStore), ...drafts.filter((d) => !isSecretStore(d))];
  const components: LoadedComponent[] = [];
  const ignored: IgnoredComponent[] = [];
  const problems: string[] = [];
  const secrets = new Map<string, SecretStore>();

  for (const d of ordered) {
    try {
      const spec: ComponentSpec = Object.freeze({
        name: d.name,
        namespace: d.namespace,
        type: d.type,
        version: d.version,
        metadata: Object.freeze(await resolveMetadata(d, secrets)),
        scopes: Object.freeze([...d.scopes]),
        source: d.source,
      });
      const ctx: ComponentContext = { appId: opts.appId, dataDir: opts.dataDir, env: opts.env, baseDir: dirname(d.file), log: componentLog(opts.log, d) };
      const instance = await withTimeout(opts.registry.create(spec, ctx), d.initTimeoutMs);
      components.push({ spec, instance });
      if (instance.kind === 'secretstores') secrets.set(d.name, instance);
    } catch (err) {
      const msg = err instanceof ComponentConfigError ? err.message : `${d.source}: component ${d.name}: ${(err as Error)?.message ?? String(err)}`;
      if (d.ignoreErrors) ignored.push({ name: d.name, source: d.source, error: msg });
      else problems.push(msg);
    }
  }
  if (problems.length > 0) {
    // Nothing half-started may outlive a failed load (open SQLite handles, timers).
    await Promise.allSettled(components.map((c) => c.instance.close()));
    throw new ResourcesError(problems);
  }
  return { components, ignored };
}
