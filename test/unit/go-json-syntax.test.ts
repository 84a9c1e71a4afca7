// Malformed JSON gets the message Go's encoding/json gives (daprd decodes bodies with it).
// Every expected message below was printed by json.Unmarshal (Go 1.26) for the same bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { goJsonSyntaxError, goQuoteChar } from '../../src/core/go-json-syntax.js';
import { goJsonParse } from '../../src/core/go-json.js';

const GO: Array<[string, string]> = [
  ['', 'unexpected end of JSON input'],
  ['[{"key":', 'unexpected end of JSON input'],
  ['{"a" 1}', "invalid character '1' after object key"],
  ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
  ['{1:2}', "invalid character '1' looking for beginning of object key string"],
  ['[1 2]', "invalid character '2' after array element"],
  ['[1,]', "invalid character ']' looking for beginning of value"],
  ['[01]', "invalid character '1' after array element"],
  ['[1.]', "invalid character ']' after decimal point in numeric literal"],
  ['[1e+]', "invalid character ']' in exponent of numeric literal"],
  ['[-]', "invalid character ']' in numeric literal"],
  ['nul', "invalid character ' ' in literal null (expecting 'l')"],
  ['[trUe]', "invalid character 'U' in literal true (expecting 'u')"],
  ['["a\\x"]', "invalid character 'x' in string escape code"],
  ['["\\u12G4"]', "invalid character 'G' in \\u hexadecimal character escape"],
  ['"a\tb"', "invalid character '\\t' in string literal"],
  ['truex', "invalid character 'x' after top-level value"],
  ['{"a":1}}', "invalid character '}' after top-level value"],
  ['[\u00e9]', "invalid character 'Ã' looking for beginning of value"],
  ['[\u0085]', "invalid character 'Â' looking for beginning of value"],
  ["['", "invalid character '\\'' looking for beginning of value"],
  ['["\\', "invalid character ' ' in string escape code"],
  ['-', "invalid character ' ' in numeric literal"],
  ['{"a":[1,{"b":nul}]}', "invalid character '}' in literal null (expecting 'l')"],
  ['[1,\r\n2,]', "invalid character ']' looking for beginning of value"],
  ['["\'"]x', "invalid character 'x' after top-level value"],
];

describe("Go's JSON syntax errors", () => {
  for (const [text, message] of GO) {
    test(`${JSON.stringify(text)} → ${message}`, () => {
      assert.equal(goJsonSyntaxError(text, 10_000), message);
      assert.throws(() => goJsonParse(text), (e: unknown) => e instanceof SyntaxError && e.message === message);
    });
  }

  test('well-formed documents have no error', () => {
    for (const text of ['[{"key":"k","value":{"a":[1,2.5e-3,-0,true,false,null,"s\\u00e9\\n"]}}]', ' {} ', '"x"', '-1.5E+10', '0', 'null']) {
      assert.equal(goJsonSyntaxError(text, 10_000), undefined, text);
    }
  });

  test('nesting: the bracket past the limit, unless a syntax error comes first', () => {
    assert.equal(goJsonSyntaxError('['.repeat(10_001), 10_000), "invalid character '[' exceeded max depth");
    assert.equal(goJsonSyntaxError('['.repeat(10_000) + ']'.repeat(10_000), 10_000), undefined);
    assert.equal(goJsonSyntaxError('[x' + '['.repeat(10_001), 10_000), "invalid character 'x' looking for beginning of value");
  });

  test("quoteChar as Go's: escapes, control bytes, non-printable Latin-1", () => {
    assert.deepEqual([0x00, 0x0a, 0x7f, 0x5c, 0x22, 0x27, 0x80, 0xa0, 0xad, 0xe9].map(goQuoteChar),
      ["'\\x00'", "'\\n'", "'\\x7f'", "'\\\\'", `'"'`, "'\\''", "'\\u0080'", "'\\u00a0'", "'\\u00ad'", "'é'"]);
  });
});
