// What every binding component shares: which sides (input / output) it runs, from its type and
// its `direction` metadata as daprd decides it, and case-insensitive metadata names (daprd
// decodes binding metadata with mapstructure, which ignores case: `URL` and `url` both work).
import { ComponentConfigError, type ComponentSpec } from './types.js';

export interface BindingSides {
  readonly input: boolean;
  readonly output: boolean;
}

/** The metadata key that limits a binding to some of its sides. */
export const DIRECTION = 'direction';

/**
 * daprd: without a `direction` entry every side the type has runs; with one (name matched
 * case-insensitively, values comma-separated) only the listed ones. Unlike daprd, a value
 * other than input/output, or a direction that leaves the component nothing to do, is an
 * error here rather than a component that silently never runs.
 */
export function bindingSides(spec: ComponentSpec, has: BindingSides): BindingSides {
  const raw = metadataValue(spec.metadata, DIRECTION);
  if (raw === undefined) return has;
  const words = raw.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w !== '');
  for (const w of words) {
    if (w !== 'input' && w !== 'output') {
      throw new ComponentConfigError(spec.source, `spec.metadata.${DIRECTION}`, `expected "input", "output" or "input, output", got "${raw}"`);
    }
  }
  const sides = { input: has.input && words.includes('input'), output: has.output && words.includes('output') };
  if (!sides.input && !sides.output) {
    const offers = [has.input && 'input', has.output && 'output'].filter(Boolean).join(' and ');
    throw new ComponentConfigError(spec.source, `spec.metadata.${DIRECTION}`, `${spec.type} is an ${offers} binding; "${raw}" leaves it nothing to do`);
  }
  return sides;
}

/** The capabilities daprd's metadata API lists for a binding. */
export function bindingFeatures(sides: BindingSides): string[] {
  return [...(sides.input ? ['INPUT_BINDING'] : []), ...(sides.output ? ['OUTPUT_BINDING'] : [])];
}

/** `metadata[field]`, the exact name first, else any spelling of it; '' counts as absent. */
export function metadataValue(metadata: Readonly<Record<string, string>>, field: string): string | undefined {
  let v: string | undefined = metadata[field];
  if (v === undefined) {
    const lower = field.toLowerCase();
    const key = Object.keys(metadata).find((k) => k.toLowerCase() === lower);
    v = key === undefined ? undefined : metadata[key];
  }
  return v === undefined || v === '' ? undefined : v;
}

/** A copy of `spec` whose metadata holds `fields` under exactly these names (found in any
 * case), so the shared readers (MetadataReader, redisSettings) see them. */
export function canonicalSpec(spec: ComponentSpec, fields: readonly string[]): ComponentSpec {
  const metadata: Record<string, string> = { ...spec.metadata };
  for (const f of fields) {
    const v = metadataValue(spec.metadata, f);
    if (v !== undefined) metadata[f] = v;
  }
  return { ...spec, metadata };
}
