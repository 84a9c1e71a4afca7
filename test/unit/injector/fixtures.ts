// Shared test inputs for the injector's unit tests.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InjectorConfig, Pod } from '../../../src/injector/types.js';

/** test/fixtures/injector in the source tree (this file runs from dist/test/unit/injector). */
export const FIXTURES = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..'), 'test', 'fixtures', 'injector');

export const TEST_CONFIG: InjectorConfig = { sidecarImage: 'pillion:test' };

export function pod(annotations: Record<string, string>, extra: Partial<Pod> = {}): Pod {
  return {
    metadata: { name: 'p', annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'app', ...annotations } },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    ...extra,
  };
}
