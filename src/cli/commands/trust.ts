// `pillion trust create`: a new CA for sidecar-to-sidecar mTLS, printed as a Kubernetes Secret
// manifest (`pillion trust create -n shop | kubectl apply -f -`) or written to a folder
// (--out-dir, for --trust-bundle-dir outside Kubernetes). The key is never logged.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDns1123Label, isDns1123Subdomain } from '../../injector/decide.js';
import { TRUST_SECRET_NAME } from '../../injector/sidecar.js';
import { CA_CERT_FILE, CA_KEY_FILE, createCa, DEFAULT_TRUST_DOMAIN } from '../../remote/trust.js';
import { parseOptions, runCommand, UsageError } from './common.js';
import type { Command } from './index.js';

export const TRUST_USAGE = `Usage: pillion trust create [--namespace <ns>] [--name <secret>] [--trust-domain <td>]
       pillion trust create --out-dir <folder> [--trust-domain <td>]

Creates the CA behind sidecar-to-sidecar mutual TLS (ca.crt + ca.key).
Without --out-dir it prints a Secret manifest (default name ${TRUST_SECRET_NAME}, the name the
injector mounts) for one namespace:  pillion trust create -n shop | kubectl apply -f -
Sidecars of different namespaces can call each other only when their Secrets hold the same CA:
apply the same manifest to each namespace (change metadata.namespace).
--trust-domain defaults to "${DEFAULT_TRUST_DOMAIN}".
`;

export const trust: Command = (argv) =>
  runCommand(`trust ${argv[0] ?? ''}`.trim(), TRUST_USAGE, async () => {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(TRUST_USAGE);
      return 0;
    }
    if (sub !== 'create') throw new UsageError(sub === undefined ? 'a subcommand is required' : `unknown subcommand ${JSON.stringify(sub)}`);
    const { values: v } = parseOptions(rest, {
      namespace: { type: 'string', short: 'n' },
      name: { type: 'string' },
      'trust-domain': { type: 'string' },
      'out-dir': { type: 'string' },
    });
    const ca = createCaOrUsage(v['trust-domain'] ?? DEFAULT_TRUST_DOMAIN);
    if (v['out-dir'] !== undefined) {
      if (v.namespace !== undefined || v.name !== undefined) throw new UsageError('--out-dir writes files; --namespace and --name are for the Secret manifest');
      const dir = v['out-dir'];
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, CA_KEY_FILE), ca.keyPem, { mode: 0o600, flag: 'wx' });
      writeFileSync(join(dir, CA_CERT_FILE), ca.certPem, { mode: 0o644, flag: 'wx' });
      process.stderr.write(`wrote ${join(dir, CA_CERT_FILE)} and ${join(dir, CA_KEY_FILE)}\n`);
      return 0;
    }
    const namespace = v.namespace ?? 'default';
    const name = v.name ?? TRUST_SECRET_NAME;
    if (!isDns1123Label(namespace)) throw new UsageError(`--namespace: ${JSON.stringify(namespace)} is not a valid namespace`);
    if (!isDns1123Subdomain(name)) throw new UsageError(`--name: ${JSON.stringify(name)} is not a valid Secret name`);
    process.stdout.write(trustSecretManifest(name, namespace, ca.certPem, ca.keyPem));
    return 0;
  });

function createCaOrUsage(trustDomain: string): { certPem: string; keyPem: string } {
  try {
    return createCa(trustDomain);
  } catch (err) {
    throw new UsageError(`--trust-domain: ${(err as Error).message}`);
  }
}

/** Pure: the Secret manifest (JSON is valid YAML; kubectl reads either). */
export function trustSecretManifest(name: string, namespace: string, certPem: string, keyPem: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/part-of': 'pillion' } },
    data: { [CA_CERT_FILE]: Buffer.from(certPem).toString('base64'), [CA_KEY_FILE]: Buffer.from(keyPem).toString('base64') },
  }, null, 2) + '\n';
}
