// Locates the first syntax error in a JSON text, so messages name a line and column in every JS engine
// (JSON.parse messages differ between V8, SpiderMonkey and JavaScriptCore, and V8's often omit the place).

const FAIL = Symbol('json syntax error');
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/** Offset of the first JSON syntax error in `s`; -1 when `s` is valid JSON or the scan could not tell. */
export function jsonErrorOffset(s: string): number {
  let i = 0;
  const fail = (): never => {
    throw FAIL;
  };
  const ws = () => {
    while (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r') i++;
  };
  const str = () => {
    i++; // opening quote
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail();
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!HEX4.test(s.slice(i + 2, i + 6))) fail();
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          i++; // point at the bad escape
          fail();
        }
      } else i++;
    }
    fail();
  };
  const seq = (close: string, item: () => void) => {
    i++; // opening bracket
    ws();
    if (s[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (s[i] === ',') i++;
      else if (s[i] === close) return void i++;
      else fail();
    }
  };
  const member = () => {
    ws();
    if (s[i] !== '"') fail();
    str();
    ws();
    if (s[i] !== ':') fail();
    i++;
    value();
  };
  const value = (): void => {
    ws();
    const c = s[i];
    if (c === '{') return seq('}', member);
    if (c === '[') return seq(']', value);
    if (c === '"') return str();
    for (const lit of ['true', 'false', 'null']) if (s.startsWith(lit, i)) return void (i += lit.length);
    NUMBER.lastIndex = i;
    if (NUMBER.exec(s)) return void (i = NUMBER.lastIndex);
    fail();
  };
  try {
    value();
    ws();
    return i < s.length ? i : -1;
  } catch (e) {
    if (e === FAIL) return Math.min(i, s.length);
    return -1; // e.g. nesting deeper than the stack
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(s: string, offset: number): { line: number; column: number } {
  const before = s.slice(0, offset);
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - nl };
}

/** "unexpected "}"" or "unexpected end of input", for the error found at `offset`. */
export function describeJsonError(s: string, offset: number): string {
  if (offset >= s.length) return 'unexpected end of input';
  const cp = s.codePointAt(offset)!;
  return `unexpected ${JSON.stringify(String.fromCodePoint(cp))}`;
}
