// `secretstores.local.env`: secrets from the environment the CLI handed down (`ctx.env`; this
// module never reads process.env). The sidecar's own credentials live in that same environment,
// so some names are never served, whatever the prefix (see `isProtected`).

import { MetadataReader } from './metadata-values.js';
import type { ComponentContext, ComponentSpec, SecretStore } from './types.js';

/**
 * daprd refuses APP_API_TOKEN and anything starting with DAPR_ (that is where DAPR_API_TOKEN
 * lives); Pillion adds its own PILLION_ namespace. Checked on the full variable name, before
 * the prefix is stripped, and case-insensitively so `dapr_api_token` cannot slip through.
 */
export function isProtected(varName: string): boolean {
  const upper = varName.toUpperCase();
  return upper === 'APP_API_TOKEN' || upper.startsWith('DAPR_') || upper.startsWith('PILLION_');
}

export class LocalEnvSecretStore implements SecretStore {
  readonly kind = 'secretstores' as const;
  readonly features: readonly string[] = [];
  /** lookup key (upper-cased when case-insensitive) → [secret name, value] */
  private readonly byKey = new Map<string, readonly [string, string]>();

  constructor(
    env: Readonly<Record<string, string | undefined>>,
    prefix: string,
    private readonly caseInsensitive: boolean,
  ) {
    const norm = (s: string): string => (caseInsensitive ? s.toUpperCase() : s);
    const wanted = norm(prefix);
    // The environment is a snapshot taken at start-up, so indexing it once is exact.
    for (const [varName, value] of Object.entries(env)) {
      if (value === undefined || isProtected(varName)) continue;
      if (!norm(varName).startsWith(wanted)) continue;
      const name = varName.slice(prefix.length);
      if (name === '') continue;
      this.byKey.set(norm(name), [name, value]);
    }
  }

  async get(name: string): Promise<Record<string, string> | undefined> {
    const hit = this.byKey.get(this.caseInsensitive ? name.toUpperCase() : name);
    // The reply uses the name as asked, like daprd's single-value secrets.
    return hit === undefined ? undefined : { [name]: hit[1] };
  }

  async bulkGet(): Promise<Record<string, Record<string, string>>> {
    const all: Record<string, Record<string, string>> = {};
    for (const [name, value] of this.byKey.values()) all[name] = { [name]: value };
    return all;
  }

  async close(): Promise<void> {}
}

export async function createLocalEnvSecretStore(spec: ComponentSpec, ctx: ComponentContext): Promise<SecretStore> {
  const md = new MetadataReader(spec);
  // Dapr matches the prefix case-insensitively only on Windows; here it is an explicit option
  // (default: exact match), so behaviour does not depend on the host OS.
  return new LocalEnvSecretStore(ctx.env, md.optional('prefix') ?? '', md.bool('caseInsensitive', false));
}
