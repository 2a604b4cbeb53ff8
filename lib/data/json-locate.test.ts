// Tests for the JSON syntax-error locator, checked for agreement with JSON.parse.
import { describe, expect, it } from 'vitest';
import { describeJsonError, jsonErrorOffset, lineColumn } from './json-locate';

const valid = [
  '{}', '[]', ' [1, -2.5e+3, 0, true, false, null, "x"] ', '{"a": {"b": [{}]}, "c": "\\u00e9\\n\\"\\\\"}',
  '"just a string"', '0', '-0.1E2', '\r\n{\t"k" : 1 }\n',
];
// [text, offset of the first error]
const invalid: [string, number][] = [
  ['', 0],
  ['{', 1],
  ['{"a": }', 6],
  ['{"a": 1,}', 8],
  ['[1, 2', 5],
  ['[1 2]', 3],
  ['{a: 1}', 1],
  ["{'a': 1}", 1],
  ['"tab\there"', 4],
  ['"bad \\x escape"', 6],
  ['"\\u12G4"', 1],
  ['01', 1],
  ['1.', 1],
  ['tru', 0],
  ['{} {}', 3],
  ['[NaN]', 1],
];

describe('jsonErrorOffset', () => {
  it.each(valid)('accepts valid JSON %j', (s) => {
    expect(() => JSON.parse(s)).not.toThrow();
    expect(jsonErrorOffset(s)).toBe(-1);
  });

  it.each(invalid)('locates the error in %j at %i', (s, offset) => {
    expect(() => JSON.parse(s)).toThrow();
    expect(jsonErrorOffset(s)).toBe(offset);
  });

  it('gives line, column and a description', () => {
    const s = '[\n  {"a": 1},\n  {"a": ]\n]';
    const off = jsonErrorOffset(s);
    expect(lineColumn(s, off)).toEqual({ line: 3, column: 9 });
    expect(describeJsonError(s, off)).toBe('unexpected "]"');
    expect(describeJsonError('[', 1)).toBe('unexpected end of input');
  });
});
