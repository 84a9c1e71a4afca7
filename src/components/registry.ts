// Component types → factories. The registry knows nothing about which types exist (that is
// catalogue.ts) nor about live instances (that is instances.ts): it only validates a spec's
// type and version and calls the matching factory.

import {
  ComponentConfigError,
  type Component,
  type ComponentContext,
  type ComponentFactory,
  type ComponentSpec,
} from './types.js';

interface Registration {
  readonly factory: ComponentFactory;
  readonly versions: readonly string[];
}

export class ComponentRegistry {
  private readonly byType = new Map<string, Registration>();

  /** Registers (or replaces, e.g. in tests) the factory for a type such as `state.sqlite`. */
  register(type: string, factory: ComponentFactory, versions: readonly string[] = ['v1']): this {
    this.byType.set(type, { factory, versions: [...versions] });
    return this;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  /** Registered types, sorted, for error messages and `--help` style listings. */
  types(): string[] {
    return [...this.byType.keys()].sort();
  }

  async create(spec: ComponentSpec, ctx: ComponentContext): Promise<Component> {
    const reg = this.byType.get(spec.type);
    if (!reg) {
      throw new ComponentConfigError(
        spec.source,
        'spec.type',
        `unknown component type ${spec.type} (known: ${this.types().join(', ')})`,
      );
    }
    if (!reg.versions.includes(spec.version)) {
      throw new ComponentConfigError(
        spec.source,
        'spec.version',
        `unsupported version ${spec.version} for ${spec.type} (supported: ${reg.versions.join(', ')})`,
      );
    }
    return reg.factory(spec, ctx);
  }
}
