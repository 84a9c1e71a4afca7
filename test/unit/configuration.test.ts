// --config files: what Pillion takes from a Dapr Configuration, and how a broken one fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfiguration } from '../../src/config/configuration.js';
import { ResourcesError } from '../../src/components/types.js';

const write = (text: string): string => {
  const f = join(mkdtempSync(join(tmpdir(), 'pillion-cfg-')), 'config.yaml');
  writeFileSync(f, text);
  return f;
};

test('features, metric switch and unused sections are read from a Configuration', async () => {
  const f = write(`apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: { name: appconfig }
spec:
  features: [{ name: Alpha, enabled: true }, { name: Beta, enabled: false }]
  metric: { enabled: false }
  tracing: { samplingRate: "1" }
`);
  const c = await loadConfiguration([f]);
  assert.deepEqual(c.features, ['Alpha']);
  assert.equal(c.metricsEnabled, false);
  assert.deepEqual(c.unused, ['tracing']);
});

test('no --config: nothing enabled, nothing fails', async () => {
  assert.deepEqual(await loadConfiguration([]), { features: [], unused: [] });
});

test('a broken Configuration names the file, the line and the field', async () => {
  const f = write(`apiVersion: dapr.io/v1alpha1
kind: Configuration
spec:
  features:
    - name: Alpha
      enabled: "yes"
`);
  await assert.rejects(loadConfiguration([f]), (err: unknown) => {
    assert.ok(err instanceof ResourcesError);
    assert.match(err.message, new RegExp(`${f}:6: spec\\.features\\[0\\]\\.enabled`));
    return true;
  });
  await assert.rejects(loadConfiguration([join(tmpdir(), 'no-such-pillion-config.yaml')]), /configuration file does not exist/);
});
