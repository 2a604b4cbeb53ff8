// ggml tensor encodings a GGUF export writes: F32, F16, BF16 and Q8_0 (gguf-py's quants.py, bit-exact with
// ggml-quants.c's reference quantize_row_q8_0), plus Q8_0's dequantization for tests and error bounds.
import { f16ToF32, f32ToBf16, f32ToF16 } from '../../engine/safetensors';

/** gguf-py's GGMLQuantizationType numbers. */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8, BF16: 30 } as const;
export type GgmlType = (typeof GGML_TYPE)[keyof typeof GGML_TYPE];

/** Q8_0: blocks of 32 values along a row, each an f16 scale d = max|x| / 127 and 32 int8 q = round(x / d). */
export const Q8_0_BLOCK = 32;
const Q8_0_BYTES = 2 + Q8_0_BLOCK;

/** Round half away from zero, as gguf-py's np_roundf and C's roundf. */
const roundf = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5);

export function quantizeQ8_0(data: Float32Array): Uint8Array {
  if (data.length % Q8_0_BLOCK !== 0) throw new Error(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${data.length}`);
  const nb = data.length / Q8_0_BLOCK;
  const out = new Uint8Array(nb * Q8_0_BYTES);
  const view = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let i = 0; i < Q8_0_BLOCK; i++) amax = Math.max(amax, Math.abs(data[base + i]));
    const d = Math.fround(amax / 127); // float32 arithmetic, as numpy on a float32 array
    const id = d === 0 ? 0 : Math.fround(1 / d);
    view.setUint16(b * Q8_0_BYTES, f32ToF16(d), true);
    for (let i = 0; i < Q8_0_BLOCK; i++) view.setInt8(b * Q8_0_BYTES + 2 + i, roundf(Math.fround(data[base + i] * id)));
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nb = bytes.length / Q8_0_BYTES;
  const out = new Float32Array(nb * Q8_0_BLOCK);
  for (let b = 0; b < nb; b++) {
    const d = f16ToF32(view.getUint16(b * Q8_0_BYTES, true));
    for (let i = 0; i < Q8_0_BLOCK; i++) out[b * Q8_0_BLOCK + i] = d * view.getInt8(b * Q8_0_BYTES + 2 + i);
  }
  return out;
}

/** Encodes row-major data whose rows hold `rowSize` values (ggml's ne[0]). */
export function encodeTensor(data: Float32Array, rowSize: number, type: GgmlType, name: string): Uint8Array {
  switch (type) {
    case GGML_TYPE.F32:
      return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    case GGML_TYPE.F16:
    case GGML_TYPE.BF16: {
      const round = type === GGML_TYPE.F16 ? f32ToF16 : f32ToBf16;
      const h = new Uint16Array(data.length);
      for (let i = 0; i < data.length; i++) h[i] = round(data[i]);
      return new Uint8Array(h.buffer);
    }
    case GGML_TYPE.Q8_0:
      if (rowSize % Q8_0_BLOCK !== 0) throw new Error(`${name}: rows of ${rowSize} values cannot be split into Q8_0 blocks of ${Q8_0_BLOCK}`);
      return quantizeQ8_0(data);
    default:
      throw new Error(`${name}: unknown ggml type ${String(type)}`);
  }
}
