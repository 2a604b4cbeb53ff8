// safetensors: round trips, known byte layouts, float16 rounding, and rejection of malformed files.
import { describe, expect, it } from 'vitest';
import { f16ToF32, f32ToF16, readSafetensors, toFloat32, writeSafetensors } from './safetensors';

function fileFrom(header: object | string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32 tensors and metadata, with an 8-byte aligned header', () => {
    const a = { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) };
    const b = { shape: [4], data: Float32Array.from([0.25, 0.5, 0.75, 1]) };
    const bytes = writeSafetensors({ a, b }, { metadata: { format: 'pt' } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const f = readSafetensors(bytes);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect([...f.tensors.keys()]).toEqual(['a', 'b']);
    expect(f.tensors.get('a')!.shape).toEqual([2, 3]);
    expect(Array.from(toFloat32(f.tensors.get('a')!))).toEqual(Array.from(a.data));
    expect(Array.from(toFloat32(f.tensors.get('b')!))).toEqual(Array.from(b.data));
  });

  it('reads a file laid out by hand as the spec describes', () => {
    // One F32 tensor [2] = [1, 2]: bytes 00 00 80 3f, 00 00 00 40 (little endian).
    const data = Uint8Array.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    const f = readSafetensors(fileFrom({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data));
    expect(Array.from(toFloat32(f.tensors.get('x')!))).toEqual([1, 2]);
  });

  it('widens F16 and BF16 to F32', () => {
    // F16: 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24.
    const h = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001]);
    const f = readSafetensors(fileFrom({ x: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } }, new Uint8Array(h.buffer)));
    expect(Array.from(toFloat32(f.tensors.get('x')!))).toEqual([1, -2, 65504, 2 ** -24]);
    // BF16 is the top half of an F32: 1.0 = 0x3f80, -0.5 = 0xbf00.
    const bf = Uint16Array.from([0x3f80, 0xbf00]);
    const g = readSafetensors(fileFrom({ y: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(bf.buffer)));
    expect(Array.from(toFloat32(g.tensors.get('y')!))).toEqual([1, -0.5]);
  });

  it('rounds to float16 to nearest, ties to even', () => {
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(0.1)).toBe(0x2e66); // 0.0999755859375
    expect(f32ToF16(1 / 3)).toBe(0x3555);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(1e6)).toBe(0x7c00); // overflow -> +Inf
    expect(f32ToF16(2 ** -24)).toBe(0x0001);
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // exactly half an ulp above 1: tie -> even (1.0)
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie between 0x3c01 and 0x3c02 -> even
    for (const v of [0.5, -3.25, 1234.5, 6.1e-5]) expect(Math.abs(f16ToF32(f32ToF16(v)) - v) / Math.abs(v)).toBeLessThanOrEqual(2 ** -11);
  });

  it('writes F16 that reads back within float16 precision', () => {
    const data = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i) * 3);
    const f = readSafetensors(writeSafetensors({ w: { shape: [10, 10], data } }, { dtype: 'F16' }));
    const back = toFloat32(f.tensors.get('w')!);
    for (let i = 0; i < data.length; i++) expect(Math.abs(back[i] - data[i])).toBeLessThan(2e-3);
  });

  const x4 = new Uint8Array(8);
  it.each([
    ['too short', new Uint8Array(4), /shorter than/],
    ['header past end', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 100n, true); return b; })(), /past the end/],
    ['not JSON', fileFrom('{nope', x4), /not valid UTF-8 JSON/],
    ['unknown dtype', fileFrom({ x: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, x4), /unknown dtype/],
    ['size mismatch', fileFrom({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, x4), /expected 12/],
    ['hole', fileFrom({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, x4), /hole or overlap/],
    ['overlap', fileFrom({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, x4), /hole or overlap/],
    ['trailing bytes', fileFrom({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, x4), /data section holds 8/],
    ['bad metadata', fileFrom({ __metadata__: { a: 1 } }, new Uint8Array(0)), /must be a string/],
    ['negative shape', fileFrom({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, x4), /invalid shape/],
  ])('rejects a malformed file: %s', (_name, bytes, message) => {
    expect(() => readSafetensors(bytes as Uint8Array)).toThrow(message as RegExp);
  });
});
