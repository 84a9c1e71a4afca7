// Pure argument parser with daprd's (pflag's) rules, so any daprd launcher works unchanged:
//   --flag value | --flag=value | -flag value | -flag=value (daprd doubles single dashes)
//   a value flag always takes the next argument, even "-1" (negative numbers as values)
//   bare booleans are true; "--flag=false" sets false; a following literal true/false is
//   taken as the value too (pflag would ignore it as a positional; users mean the value)
//   list flags are repeatable and comma-separated
//   "--" ends the flags; what follows is the app command (`pillion run … -- node app.js`)
import { FLAG_BY_NAME, type FlagDef } from './flags.js';

export type FlagValue = string | boolean | string[];

export interface ParsedArgs {
  /** values as given, keyed by canonical flag name (aliases folded into their target) */
  readonly values: ReadonlyMap<string, FlagValue>;
  /** the flags that were given explicitly */
  readonly given: ReadonlySet<string>;
  readonly rest: readonly string[];
  readonly errors: readonly string[];
}

function canonical(def: FlagDef): string {
  return def.aliasOf ?? def.name;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, FlagValue>();
  const given = new Set<string>();
  const errors: string[] = [];
  let rest: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      errors.push(`unexpected argument "${arg}" (put the app command after "--")`);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const def = FLAG_BY_NAME.get(name);
    if (!def) {
      errors.push(`unknown flag "--${name}" (see --help)`);
      continue;
    }
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (def.type === 'bool') {
      if (raw === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) raw = argv[++i];
      const v = raw === undefined ? 'true' : raw.toLowerCase();
      if (!['true', 'false', '1', '0', 't', 'f'].includes(v)) {
        errors.push(`--${name}: "${raw}" is not a boolean (true or false)`);
        continue;
      }
      values.set(canonical(def), v === 'true' || v === '1' || v === 't');
    } else {
      if (raw === undefined) {
        if (i + 1 >= argv.length) {
          errors.push(`--${name} needs a value`);
          continue;
        }
        raw = argv[++i]!;
      }
      if (def.type === 'list') {
        const prev = values.get(canonical(def));
        const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
        values.set(canonical(def), [...(Array.isArray(prev) ? prev : []), ...items]);
      } else {
        values.set(canonical(def), raw);
      }
    }
    given.add(canonical(def));
  }
  return { values, given, rest, errors };
}
