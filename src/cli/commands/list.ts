// `pillion list`: the sidecars running on this machine, from the registry they share under
// $PILLION_HOME (like `dapr list`). Only live ones: a sidecar that died without cleaning up
// is not listed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirFrom } from '../../config/run-config.js';
import type { RegistryEntry } from '../../remote/registry.js';
import { parseOptions, runCommand, UsageError } from './common.js';
import type { Command } from './index.js';

export const LIST_USAGE = `Usage: pillion list [--output table|json]

Lists the live sidecars sharing $PILLION_HOME (default ~/.pillion): app id, namespace, HTTP,
gRPC, internal and app ports, pid, age. --output json prints one JSON array.
`;

export const list: Command = (argv, env) =>
  runCommand('list', LIST_USAGE, async () => {
    const { values: v } = parseOptions(argv, { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
    if (v.help) {
      process.stdout.write(LIST_USAGE);
      return 0;
    }
    const output = v.output ?? 'table';
    if (output !== 'table' && output !== 'json') throw new UsageError(`--output: ${JSON.stringify(output)} is not table or json`);
    const home = dataDirFrom(env);
    let entries: RegistryEntry[] = [];
    // No registry yet = no sidecar ever ran here; do not create one just to say so.
    if (existsSync(join(home, 'registry.db'))) {
      const { Registry } = await import('../../remote/registry.js');
      const registry = await Registry.open(home);
      try {
        entries = registry.live();
      } finally {
        registry.close();
      }
    }
    const now = Date.now();
    if (output === 'json') {
      process.stdout.write(JSON.stringify(entries.map((e) => ({
        appId: e.appId, namespace: e.namespace, httpPort: e.httpPort ?? null, grpcPort: e.grpcPort ?? null,
        internalGrpcPort: e.internalPort, appPort: e.appPort ?? null, host: e.host, pid: e.pid,
        created: new Date(e.startedAt).toISOString(), ageSeconds: Math.floor((now - e.startedAt) / 1000),
      })), null, 2) + '\n');
      return 0;
    }
    process.stdout.write(formatTable(entries, now));
    return 0;
  });

/** Pure: the table `pillion list` prints. */
export function formatTable(entries: readonly RegistryEntry[], now: number): string {
  if (!entries.length) return 'No Pillion sidecars found.\n';
  const rows = [['APP ID', 'NAMESPACE', 'HTTP PORT', 'GRPC PORT', 'INTERNAL PORT', 'APP PORT', 'PID', 'AGE']];
  for (const e of entries) {
    rows.push([e.appId, e.namespace, String(e.httpPort ?? ''), String(e.grpcPort ?? ''), String(e.internalPort), String(e.appPort ?? ''), String(e.pid), age(now - e.startedAt)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
