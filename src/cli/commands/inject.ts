// `pillion inject -f <file|->`: the injector's pure core on manifests, offline. Injected YAML
// goes to stdout; what was done to each resource, and why not, goes to stderr.
import { readFileSync } from 'node:fs';
import { injectManifest, type Note } from '../../injector/manifests.js';
import type { InjectorConfig } from '../../injector/types.js';
import { parseOptions, pullPolicy, runCommand, sidecarImage, UsageError } from './common.js';
import type { Command } from './index.js';

export const INJECT_USAGE = `Usage: pillion inject -f <file|-> [--sidecar-image <image>] [--image-pull-policy <policy>]

Adds the sidecar to the workloads of a manifest (Pod, Deployment, StatefulSet, DaemonSet,
ReplicaSet, Job, CronJob, List, multi-document YAML) exactly as the injector webhook would,
and prints the result. Other kinds are printed unchanged. Each resource's outcome is written
to stderr. Exit code 1 when a resource has invalid dapr.io annotations (it is printed
unchanged), 2 for a bad command line.

  -f, --filename <file|->     manifest to read ("-" = stdin)
  --sidecar-image <image>     default sidecar image (env SIDECAR_IMAGE; default pillion:<version>)
  --image-pull-policy <p>     Always, IfNotPresent or Never (default: Kubernetes' default)
`;

export const inject: Command = (argv, env) =>
  runCommand('inject', INJECT_USAGE, async () => {
    const { values } = parseOptions(argv, {
      filename: { type: 'string', short: 'f' },
      'sidecar-image': { type: 'string' },
      'image-pull-policy': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      process.stdout.write(INJECT_USAGE);
      return 0;
    }
    if (!values.filename) throw new UsageError('-f <file|-> is required');
    const pp = pullPolicy(values['image-pull-policy']);
    const config: InjectorConfig = { sidecarImage: await sidecarImage(values['sidecar-image'], env), ...(pp ? { imagePullPolicy: pp } : {}) };
    const text = values.filename === '-' ? readFileSync(0, 'utf8') : readFileSync(values.filename, 'utf8');
    const { output, notes, errors } = await injectYaml(text, config);
    if (errors.length) {
      for (const e of errors) process.stderr.write(`pillion inject: ${e}\n`);
      return 1;
    }
    process.stdout.write(output);
    for (const line of formatNotes(notes)) process.stderr.write(line + '\n');
    return notes.some((n) => n.action === 'deny') ? 1 : 0;
  });

/** Multi-document YAML in, YAML out; unchanged documents are printed as they were (comments kept). */
export async function injectYaml(text: string, config: InjectorConfig): Promise<{ output: string; notes: Note[]; errors: string[] }> {
  const YAML = await import('yaml');
  const docs = YAML.parseAllDocuments(text);
  const errors: string[] = [];
  const notes: Note[] = [];
  const parts: string[] = [];
  docs.forEach((doc, i) => {
    if (doc.errors.length) {
      errors.push(`document ${i + 1}: ${doc.errors[0]!.message}`);
      return;
    }
    const obj: unknown = doc.toJS();
    if (obj === null || obj === undefined) return;
    const r = injectManifest(obj, config);
    notes.push(...r.notes);
    parts.push(r.changed ? YAML.stringify(r.object, { lineWidth: 0 }) : doc.toString({ lineWidth: 0 }).replace(/^---\n/, ''));
  });
  return { output: parts.join('---\n'), notes, errors };
}

export function formatNotes(notes: readonly Note[]): string[] {
  const lines: string[] = [];
  for (const n of notes) {
    const verb = { inject: 'injected', skip: 'skipped', deny: 'error', pass: 'unchanged' }[n.action];
    lines.push(n.messages.length ? `${verb} ${n.resource}: ${n.messages.join('; ')}` : `${verb} ${n.resource}`);
    for (const w of n.warnings) lines.push(`warning ${n.resource}: ${w}`);
  }
  return lines;
}
