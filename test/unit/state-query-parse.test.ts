// The query parser's refusals stay readable whatever the query: the problem is quoted at
// most 300 characters long, keeping where it starts and what went wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStateQuery } from '../../src/core/state-query.js';
import { DaprError } from '../../src/errors/table.js';

function refusal(text: string): string {
  try {
    parseStateQuery(text, 'store');
  } catch (err) {
    assert.ok(err instanceof DaprError);
    assert.equal(err.code, 'ERR_STATE_QUERY');
    return err.message;
  }
  assert.fail('the query was accepted');
}

const PREFIX = 'state store store query failed: failed to parse JSON query body: ';

test('a filter nested too deep names the limit in a short message', () => {
  const levels = 1_000;
  const m = refusal(`{"filter":${'{"AND":['.repeat(levels)}{"EQ":{"a":1}}${']}'.repeat(levels)}}`);
  assert.ok(m.startsWith(`${PREFIX}filter.AND[0]`), m);
  assert.ok(m.endsWith('filters nested deeper than 16'), m);
  assert.ok(m.length <= PREFIX.length + 300, `${m.length} characters`);
});

test('a huge operator or field name is elided in the middle', () => {
  const op = 'X'.repeat(70_000);
  const m = refusal(`{"filter":{"${op}":1}}`);
  assert.ok(m.length <= PREFIX.length + 300, `${m.length} characters`);
  assert.match(m, /^.*unknown operator "X+…X+" \(known: EQ.*$/s);
  const field = refusal(`{"filter":{"EQ":{"a..${'b'.repeat(70_000)}":1}}}`);
  assert.ok(field.length <= PREFIX.length + 300 && field.includes('…'), field);
});

test('JSON nested deeper than Go decodes is refused as Go words it', () => {
  assert.equal(refusal(`{"filter":{"EQ":{"a":${'['.repeat(10_001)}${']'.repeat(10_001)}}}}`), `${PREFIX}invalid character '[' exceeded max depth`);
});
