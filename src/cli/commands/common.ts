// Helpers shared by the command modules: option parsing with usage errors, and the client of
// the user's kubeconfig.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed values: strings for string options, booleans for boolean ones (none repeat). */
export type OptionValues<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };

/** node:util parseArgs (strict), reporting problems as UsageError. */
export function parseOptions<O extends Options>(argv: string[], options: O, allowPositionals = false): { values: OptionValues<O>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: values as OptionValues<O>, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function intOption(name: string, value: string | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) throw new UsageError(`--${name}: ${JSON.stringify(value)} is not an integer in ${min}..${max}`);
  return n;
}

/** Runs a command body, turning UsageError into exit code 2 and other errors into exit code 1. */
export async function runCommand(name: string, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pillion ${name}: ${err.message}\n\n${usage}`);
      return 2;
    }
    process.stderr.write(`pillion ${name}: ${describeError(err)}\n`);
    return 1;
  }
}

/** Kubernetes API errors carry the Status in `body`; show its message, not the whole object. */
export function describeError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e?.code === 'number' && e.body !== undefined) {
    let body = e.body as { message?: string } | string;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body) as { message?: string };
      } catch {
        // plain text body
      }
    }
    const msg = typeof body === 'object' && body?.message ? body.message : String(body);
    return `Kubernetes API error ${e.code}: ${msg}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Loads the user's kubeconfig (KUBECONFIG, ~/.kube/config, or in-cluster), optionally a context. */
export async function kubeConfig(context?: string) {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured (set KUBECONFIG or use --context)');
  return { k8s, kc };
}

export const isNotFound = (err: unknown): boolean => (err as { code?: number })?.code === 404;

/** The sidecar image: --sidecar-image, else SIDECAR_IMAGE, else the image built from deploy/Dockerfile. */
export async function sidecarImage(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const { VERSION } = await import('../../version.js');
  return flag || env.SIDECAR_IMAGE || `pillion:${VERSION}`;
}

export function pullPolicy(v: string | undefined): 'Always' | 'IfNotPresent' | 'Never' | undefined {
  if (v === undefined) return undefined;
  if (v === 'Always' || v === 'IfNotPresent' || v === 'Never') return v;
  throw new UsageError(`--image-pull-policy: ${JSON.stringify(v)} is not Always, IfNotPresent or Never`);
}
