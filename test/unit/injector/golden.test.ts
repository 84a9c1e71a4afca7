// Golden files: each test/fixtures/injector/<case>.pod.json is run through buildPatch and the
// result compared with <case>.expected.json. To regenerate after a deliberate change:
//   UPDATE_GOLDEN=1 node --test dist/test/unit/injector/golden.test.js   (then review the diff)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPatch } from '../../../src/injector/patch.js';
import { applyPatch } from '../../../src/injector/json-patch.js';
import type { Pod } from '../../../src/injector/types.js';
import { FIXTURES, TEST_CONFIG } from './fixtures.js';

const cases = readdirSync(FIXTURES).filter((f) => f.endsWith('.pod.json')).map((f) => f.slice(0, -'.pod.json'.length)).sort();

test('there are golden cases', () => assert.ok(cases.length >= 10));

for (const name of cases) {
  test(`golden: ${name}`, () => {
    const pod = JSON.parse(readFileSync(join(FIXTURES, `${name}.pod.json`), 'utf8')) as Pod;
    const got = buildPatch(pod, TEST_CONFIG);
    const file = join(FIXTURES, `${name}.expected.json`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, JSON.stringify(got, null, 2) + '\n');
    assert.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(readFileSync(file, 'utf8')));
    if (got.action === 'inject') {
      // the patch applies cleanly, and the result is not injected a second time
      const injected = applyPatch(pod, got.patch);
      assert.equal(buildPatch(injected, TEST_CONFIG).action, 'skip');
    }
  });
}
