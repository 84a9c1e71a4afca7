// HTTP state values are stored as Go's json.Marshal would write them, like daprd does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstTooDeep, GO_JSON_MAX_DEPTH, goJsonField, goJsonMarshal, goJsonParse } from '../../src/core/go-json.js';

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

const deepObject = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const deepArray = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

test('goJsonMarshal encodes values nested far deeper than the JS call stack allows', () => {
  for (const text of [deepObject(100_000), deepArray(100_000), `{"z":${deepArray(50_000)},"a":${deepObject(50_000)}}`]) {
    const expected = text.startsWith('{"z"') ? `{"a":${deepObject(50_000)},"z":${deepArray(50_000)}}` : text;
    assert.equal(goJsonMarshal(JSON.parse(text)), expected);
  }
});

test('goJsonMarshal: members after a nested container, empty containers, holes as null', () => {
  assert.equal(goJsonMarshal({ b: [[], {}, [1, [2, { d: 3, c: [] }]], 4], a: {} }), '{"a":{},"b":[[],{},[1,[2,{"c":[],"d":3}]],4]}');
  assert.equal(goJsonMarshal([undefined, () => 1]), '[null,null]');
  assert.equal(goJsonMarshal({ x: undefined }), '{"x":null}');
  // the same object twice is not a cycle
  const shared = { k: 1 };
  assert.equal(goJsonMarshal([shared, shared]), '[{"k":1},{"k":1}]');
});

test('goJsonMarshal refuses a cycle instead of looping', () => {
  const o: Record<string, unknown> = {};
  o.self = [o];
  assert.throws(() => goJsonMarshal(o), /cycle/);
});

test("firstTooDeep finds the bracket past Go's nesting limit, ignoring brackets in strings", () => {
  assert.equal(firstTooDeep(deepArray(10), 10), undefined);
  assert.equal(firstTooDeep(deepArray(11), 10), '[');
  assert.equal(firstTooDeep(`[${deepObject(10)}]`, 10), '{');
  assert.equal(firstTooDeep(JSON.stringify(['[[[[[[[[[[[[', '{{{{{{{{{{{{']), 3), undefined);
  // an escaped quote does not end the string; an escaped backslash before the quote does
  assert.equal(firstTooDeep(JSON.stringify(['a"[[[[[[[[[[[', 'b\\']) + '[[[[', 3), '[');
  assert.equal(firstTooDeep('["\\"[[[[[[["]', 1), undefined);
  // an unterminated string ends the scan
  assert.equal(firstTooDeep('["[[[[[[[[[[[[[', 2), undefined);
});

test('goJsonParse accepts what encoding/json accepts (10,000 levels) and refuses one more, worded as Go', () => {
  assert.equal(GO_JSON_MAX_DEPTH, 10_000);
  assert.deepEqual(goJsonParse('{"a":[1,"]]"]}'), { a: [1, ']]'] });
  assert.equal(goJsonMarshal(goJsonParse(deepObject(10_000))), deepObject(10_000));
  assert.throws(() => goJsonParse(deepObject(10_001)), { name: 'SyntaxError', message: "invalid character '{' exceeded max depth" });
  assert.throws(() => goJsonParse(deepArray(1_000_000)), { name: 'SyntaxError', message: "invalid character '[' exceeded max depth" });
  assert.throws(() => goJsonParse('{"a":'), SyntaxError);
});

test("goJsonParse: a number past float64's range is refused as Go refuses it, not read as Infinity", () => {
  for (const [text, literal] of [['1e999', '1e999'], ['[1, {"a": -2.5E+400}]', '-2.5E+400'], [`{"n": 1${'0'.repeat(309)}}`, `1${'0'.repeat(309)}`]]) {
    assert.throws(() => goJsonParse(text), { name: 'SyntaxError', message: `json: cannot unmarshal number ${literal} into Go value of type float64` });
  }
  // in range, underflowing to zero (as Go reads it), or only text inside a string: fine
  assert.deepEqual(goJsonParse('[1e308, 1e-999, "1e999", "\\"", 1e100]'), [1e308, 0, '1e999', '"', 1e100]);
  assert.deepEqual(goJsonParse(`{"s": "${'9'.repeat(400)}", "k": 1}`), { s: '9'.repeat(400), k: 1 });
  // short texts: a 2-digit exponent on a long mantissa, digit runs inside strings (linear time)
  assert.throws(() => goJsonParse(`1${'0'.repeat(210)}e99`), { message: /cannot unmarshal number 10+e99 / });
  assert.equal(goJsonParse(`1${'0'.repeat(205)}e90`), 1e295);
  const runs = JSON.stringify(Array.from({ length: 4000 }, () => '9'.repeat(308)).join(' '));
  assert.equal((goJsonParse(runs) as string).length, 4000 * 309 - 1);
  // Decoder.UseNumber (daprd's CloudEvent reading) takes any number
  assert.deepEqual(goJsonParse('[1e999]', true), [Infinity]);
});
