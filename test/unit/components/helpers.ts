// Small shared helpers for the component unit tests.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { ComponentContext, ComponentSpec } from '../../../src/components/types.js';

/** A fresh temp dir, removed when the test file finishes. */
export function tempDir(prefix = 'pillion-components-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function spec(type: string, metadata: Record<string, string> = {}, name = 'c'): ComponentSpec {
  return { name, type, version: 'v1', metadata, scopes: [], source: `test/${name}.yaml` };
}

export function ctx(overrides: Partial<ComponentContext> = {}): ComponentContext {
  return { appId: 'app', dataDir: tmpdir(), env: {}, baseDir: process.cwd(), ...overrides };
}
