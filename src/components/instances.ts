// Live component instances by name. The core asks this store for `state(name)` /
// `secret(name)`; the metadata API lists it. Filled once at start-up by the loader.

import type { Binding, Component, ComponentSpec, PubSub, SecretStore, StateStore } from './types.js';

/** One row of the metadata API's `components` list (daprd's RegisteredComponents). */
export interface ComponentInfo {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly capabilities: readonly string[];
}

export interface LoadedComponent {
  readonly spec: ComponentSpec;
  readonly instance: Component;
}

export class ComponentStore {
  private readonly byName = new Map<string, LoadedComponent>();

  constructor(components: Iterable<LoadedComponent> = []) {
    for (const c of components) this.add(c);
  }

  /** Names are unique across kinds, as in daprd; a duplicate is a programming error here
   * because the loader already reported it against the YAML files. */
  add(c: LoadedComponent): void {
    if (this.byName.has(c.spec.name)) throw new Error(`component ${c.spec.name} is already registered`);
    this.byName.set(c.spec.name, c);
  }

  state(name: string): StateStore | undefined {
    const c = this.byName.get(name)?.instance;
    return c?.kind === 'state' ? c : undefined;
  }

  secret(name: string): SecretStore | undefined {
    const c = this.byName.get(name)?.instance;
    return c?.kind === 'secretstores' ? c : undefined;
  }

  pubsub(name: string): PubSub | undefined {
    const c = this.byName.get(name)?.instance;
    return c?.kind === 'pubsub' ? c : undefined;
  }

  binding(name: string): Binding | undefined {
    const c = this.byName.get(name)?.instance;
    return c?.kind === 'bindings' ? c : undefined;
  }

  /** Names of components of one kind, in load order (e.g. to say "no state store configured"). */
  names(kind: Component['kind']): string[] {
    return [...this.byName.values()].filter((c) => c.instance.kind === kind).map((c) => c.spec.name);
  }

  list(): ComponentInfo[] {
    return [...this.byName.values()].map(({ spec, instance }) => ({
      name: spec.name,
      type: spec.type,
      version: spec.version,
      capabilities: [...instance.features],
    }));
  }

  /** Closes everything, last loaded first; one failure does not stop the others. */
  async closeAll(): Promise<void> {
    const all = [...this.byName.values()].reverse();
    this.byName.clear();
    const failed: string[] = [];
    for (const c of all) {
      try {
        await c.instance.close();
      } catch (err) {
        failed.push(`${c.spec.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (failed.length > 0) throw new Error(`closing components failed: ${failed.join('; ')}`);
  }
}
