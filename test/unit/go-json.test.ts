// HTTP state values are stored as Go's json.Marshal would write them, like daprd does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goJsonField, goJsonMarshal } from '../../src/core/go-json.js';

test("Go's encoding: sorted keys, HTML escaping, compact", () => {
  assert.equal(goJsonMarshal({ b: 1, a: '<x>&', c: [true, null, 1.5] }), '{"a":"\\u003cx\\u003e\\u0026","b":1,"c":[true,null,1.5]}');
  assert.equal(goJsonMarshal('hello'), '"hello"');
  assert.equal(goJsonMarshal(1e21), '1e+21');
  assert.equal(goJsonMarshal(0.000001), '0.000001');
  assert.equal(goJsonMarshal(1e-7), '1e-7');
  assert.equal(goJsonMarshal('\u2028'), '"\\u2028"');
  assert.equal(goJsonMarshal(null), 'null');
  assert.equal(goJsonMarshal({ é: 1, z: 2, A: 3 }), '{"A":3,"z":2,"é":1}');
});

test('goJsonField matches field names as Go decodes them', () => {
  assert.equal(goJsonField({ entryID: 'a' }, 'entryId'), 'a');
  assert.equal(goJsonField({ entryId: 'a', ENTRYID: 'b' }, 'entryId'), 'b'); // the last key wins
  assert.equal(goJsonField({ other: 1 }, 'entryId'), undefined);
});
