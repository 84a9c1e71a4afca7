// Starting a real daprd next to Pillion, so a benchmark can put Dapr's own figures beside ours
// in one run. Optional: only when DAPRD_BIN names a daprd binary (bench/README.md says how we
// got one); nothing of Dapr is built or shipped by this repository.
//
// daprd runs self-hosted as `dapr run` would start it, minus the control plane: no placement
// or scheduler (actors and jobs are not measured), no sentry, so sidecar-to-sidecar calls are
// plain gRPC (Pillion's are mutual TLS — daprd gets the cheaper path). Sidecars that must find
// each other share a SQLite name-resolution file (nameresolution.sqlite, daprd ≥ 1.13).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, sidecarPorts, type Sidecar } from './sidecar-process.js';

/** The daprd binary to measure, if one was given. */
export function daprdBinary(): string | undefined {
  const bin = process.env.DAPRD_BIN;
  if (!bin) return undefined;
  if (!existsSync(bin)) throw new Error(`DAPRD_BIN=${bin}: no such file`);
  return bin;
}

export interface DaprdOptions {
  readonly appId: string;
  readonly appPort?: number;
  readonly appProtocol?: 'http' | 'grpc';
  /** a folder shared by the sidecars that must find each other (their name-resolution file) */
  readonly shared: string;
  /** component YAML documents for --resources-path, by file name */
  readonly resources?: Readonly<Record<string, string>>;
}

export async function startDaprd(bin: string, token: string | undefined, o: DaprdOptions): Promise<Sidecar> {
  const ports = await sidecarPorts();
  const dir = mkdtempSync(join(tmpdir(), 'pillion-bench-daprd-'));
  const resources = join(dir, 'resources');
  writeFileSync(join(dir, 'config.yaml'), [
    'apiVersion: dapr.io/v1alpha1',
    'kind: Configuration',
    'metadata:',
    '  name: bench',
    'spec:',
    '  nameResolution:',
    '    component: sqlite',
    '    configuration:',
    `      connectionString: "${join(o.shared, 'daprd-names.db')}"`,
    '',
  ].join('\n'));
  mkdirSync(resources);
  for (const [name, yaml] of Object.entries(o.resources ?? {})) writeFileSync(join(resources, name), yaml);
  const args = [
    '--app-id', o.appId, '--mode', 'standalone', '--log-level', 'warn',
    '--dapr-http-port', String(ports.http), '--dapr-grpc-port', String(ports.grpc), '--dapr-internal-grpc-port', String(ports.internal),
    '--metrics-port', String(ports.metrics), '--resources-path', resources, '--config', join(dir, 'config.yaml'),
    ...(o.appPort ? ['--app-port', String(o.appPort), '--app-protocol', o.appProtocol ?? 'http'] : []),
  ];
  return launch(bin, args, {}, token, ports, () => rmSync(dir, { recursive: true, force: true }));
}
