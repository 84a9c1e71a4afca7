// Resource documents the e2e suites write into their resources folders.

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
