// Mechanical layering: cores and components never depend on the protocol adapters, so each
// API is written once and both protocols stay thin translations of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]!);

// [folder, folders it must not import from]
const rules: Array<[string, string[]]> = [
  ['core', ['api', 'runtime', 'cli']],
  ['components', ['api', 'core', 'runtime', 'cli']],
  ['security', ['api', 'runtime', 'cli']],
  ['api/http', ['api/grpc', 'runtime', 'cli']],
  ['api/grpc', ['api/http', 'runtime', 'cli']],
  // the app channel reuses the gRPC frame codec, nothing else of the API layer
  ['appchannel', ['api/http', 'api/grpc/server.js', 'core', 'runtime', 'cli', 'security']],
];

for (const [dir, forbidden] of rules) {
  test(`${dir}/ does not import ${forbidden.join(', ')}`, () => {
    for (const f of files(join(src, dir))) {
      for (const imp of importsOf(f).filter((i) => i.startsWith('.'))) {
        const target = relative(src, resolve(dirname(f), imp));
        assert.ok(!forbidden.some((d) => target === d || target.startsWith(d + '/')), `${relative(src, f)} imports ${imp}`);
      }
    }
  });
}

test('nothing below the CLI reads process.env', () => {
  for (const f of files(src)) {
    // src/client/ is a library for apps: reading DAPR_API_TOKEN from their environment is its job.
    if (f.includes('/cli/') || f.includes('/gen/') || f.includes('/client/')) continue;
    const code = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert.ok(!/process\.env/.test(code), `${f} reads process.env`);
  }
});
