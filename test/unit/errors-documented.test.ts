// Every entry of the error table must be documented in docs/errors.md with its codes, so the
// docs cannot drift from what clients receive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS } from '../../src/errors/table.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

test('every error table entry is documented in docs/errors.md with its statuses and ErrorInfo reason', () => {
  for (const [name, entry] of Object.entries(ERRORS)) {
    const wire = 'wire' in entry ? entry.wire : name;
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(row, `${name} is missing from docs/errors.md`);
    assert.ok(row.includes(`\`${wire}\``), `${name}: docs must show the error code ${wire}`);
    assert.ok(row.includes(`| ${entry.http} |`), `${name}: docs must show HTTP ${entry.http}`);
    assert.ok(row.includes(`(${entry.grpc})`), `${name}: docs must show gRPC code ${entry.grpc}`);
    // the ErrorInfo reason clients see: daprd's DAPR_… code for kit-built errors, else the code
    const reason = 'kit' in entry ? entry.kit.reason : wire;
    assert.ok(row.includes(`\`${reason}\``), `${name}: docs must show the ErrorInfo reason ${reason}`);
  }
});
