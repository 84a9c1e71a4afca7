// Resource documents the e2e suites write into their resources folders.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './sidecar.js';

/** A `secretstores.local.file` component named `name` reading `secretsFile` (one YAML document). */
export function localSecretStoreYaml(name: string, secretsFile: string): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: secretstores.local.file
  version: v1
  metadata:
  - name: secretsFile
    value: ${secretsFile}
`;
}

/**
 * A resources folder with a `state.sqlite` store named `statestore` (the embedded default's
 * type, declared because a resources path replaces the embedded default; the embedded
 * in-memory `pubsub` is still added) and a local-file secret store `localsecrets` holding
 * `secrets`. Returns the folder.
 */
export function stateAndSecretsResources(prefix: string, secrets: Readonly<Record<string, unknown>>): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'secrets.json'), JSON.stringify(secrets));
  writeFileSync(
    join(dir, 'components.yaml'),
    `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${join(dir, 'state.db')}
---
${localSecretStoreYaml('localsecrets', join(dir, 'secrets.json'))}`,
  );
  return dir;
}
