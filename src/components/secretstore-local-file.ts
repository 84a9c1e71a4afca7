// `secretstores.local.file`: secrets from a JSON file, read once at start-up (as daprd does;
// edits need a restart). Nested objects are flattened into names joined by `nestedSeparator`.

import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { MetadataReader } from './metadata-values.js';
import type { ComponentContext, ComponentSpec, SecretStore } from './types.js';

type Secrets = ReadonlyMap<string, Readonly<Record<string, string>>>;

/**
 * Flattens JSON into `prefix<sep>child` → string. Arrays flatten by index (`list:0`); leaves
 * that are not strings are converted with String() (`true`, `42`, `null`).
 */
function flatten(value: unknown, prefix: string, sep: string, out: Record<string, string>): void {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      flatten(v, prefix === '' ? k : `${prefix}${sep}${k}`, sep, out);
    }
  } else {
    out[prefix] = typeof value === 'string' ? value : String(value);
  }
}

/**
 * Single-valued (default): every flattened leaf is its own secret, `{name: value}`.
 * Multi-valued: each top-level key is one secret whose keys are its flattened children (a
 * top-level string becomes a one-key secret named after itself).
 */
export function secretsFromJson(doc: Record<string, unknown>, sep: string, multiValued: boolean): Secrets {
  const secrets = new Map<string, Readonly<Record<string, string>>>();
  if (multiValued) {
    for (const [name, v] of Object.entries(doc)) {
      const values: Record<string, string> = {};
      flatten(v, v !== null && typeof v === 'object' ? '' : name, sep, values);
      secrets.set(name, Object.freeze(values));
    }
  } else {
    const flat: Record<string, string> = {};
    flatten(doc, '', sep, flat);
    for (const [name, v] of Object.entries(flat)) secrets.set(name, Object.freeze({ [name]: v }));
  }
  return secrets;
}

export class LocalFileSecretStore implements SecretStore {
  readonly kind = 'secretstores' as const;
  readonly features: readonly string[];

  constructor(private readonly secrets: Secrets, multiValued: boolean) {
    this.features = multiValued ? ['MULTIPLE_KEY_VALUES_PER_SECRET'] : [];
  }

  async get(name: string): Promise<Record<string, string> | undefined> {
    const s = this.secrets.get(name);
    return s === undefined ? undefined : { ...s };
  }

  async bulkGet(): Promise<Record<string, Record<string, string>>> {
    const all: Record<string, Record<string, string>> = {};
    for (const [name, s] of this.secrets) all[name] = { ...s };
    return all;
  }

  async close(): Promise<void> {}
}

export async function createLocalFileSecretStore(spec: ComponentSpec, _ctx: ComponentContext): Promise<SecretStore> {
  const md = new MetadataReader(spec);
  // Relative paths resolve against the process working directory, as with `dapr run`
  // (Dapr's docs: "relative to where you call dapr run"), not against the YAML file's folder.
  const given = md.required('secretsFile');
  const file = isAbsolute(given) ? given : resolve(process.cwd(), given);
  const sep = md.optional('nestedSeparator') ?? ':';
  const multiValued = md.bool('multiValued', false);

  let text: string | undefined;
  try {
    // A device or a pipe (/dev/zero) would be read forever: only a regular file is a secrets file.
    if (statSync(file).isFile()) text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return md.fail('secretsFile', `cannot read "${file}"${code ? ` (${code})` : ''}`);
  }
  if (text === undefined) return md.fail('secretsFile', `"${file}" is not a regular file`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return md.fail('secretsFile', `"${file}" is not valid JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    md.fail('secretsFile', `"${file}" must contain a JSON object at the top level`);
  }
  return new LocalFileSecretStore(secretsFromJson(doc as Record<string, unknown>, sep, multiValued), multiValued);
}
