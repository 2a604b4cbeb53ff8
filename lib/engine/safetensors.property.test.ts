// Property-based tests (fast-check) of the safetensors reader: random bytes, random headers and every truncation and
// byte flip of a real file either read or are refused with a SafetensorsError; nothing else is thrown, nothing hangs,
// and a file that reads has every tensor inside the file with the bytes its dtype and shape need.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors, SafetensorsError, writeSafetensors } from './safetensors';

let cases = 0;
afterAll(() => console.log(`safetensors properties: ${cases} cases`));

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Reads `buf`; a refusal must be a SafetensorsError, a success must be self-consistent. */
function check(buf: Uint8Array): void {
  cases += 1;
  let file;
  try {
    file = readSafetensors(buf);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    expect((e as Error).message).toMatch(/^Invalid safetensors file: /);
    return;
  }
  for (const [, t] of file.tensors) {
    expect(t.bytes.byteLength).toBe(t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype]);
    expect(t.bytes.byteOffset + t.bytes.byteLength).toBeLessThanOrEqual(buf.byteOffset + buf.byteLength);
  }
}

function withHeader(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const entry = fc.record({
  dtype: fc.oneof(fc.constantFrom(...Object.keys(BYTES)), fc.string()),
  shape: fc.array(fc.oneof(fc.nat(8), fc.integer(), fc.double()), { maxLength: 4 }),
  data_offsets: fc.tuple(fc.oneof(fc.nat(64), fc.integer()), fc.oneof(fc.nat(64), fc.integer())),
});

describe('readSafetensors properties', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), check), { numRuns: 500 });
  });

  it('a valid length with a random header', () => {
    const header = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(entry, fc.jsonValue()), { maxKeys: 4 });
    fc.assert(fc.property(header, fc.nat(96), (h, n) => check(withHeader(h, n))), { numRuns: 1000 });
  });

  it('every truncation and random byte flips of a real file', () => {
    const real = writeSafetensors({ a: { shape: [2, 3], data: new Float32Array(6).fill(1.5) }, b: { shape: [4], data: new Float32Array(4) } });
    for (let n = 0; n <= real.length; n++) check(real.subarray(0, n));
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(real.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), (flips) => {
      const b = real.slice();
      for (const [i, v] of flips) b[i] = v;
      check(b);
    }), { numRuns: 1000 });
  });
});
