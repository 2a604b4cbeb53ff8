// Frozen base weights stored packed (f16 pairs or int8 quads in 32-bit words), to halve or quarter weight memory.
// Hand-written because tfjs has float32/int32/bool only and no packed-weight matmul; kernels/packed-matmul-webgpu.ts widens them.
import * as tf from '@tensorflow/tfjs';
import { fanInFanOut, linearModules } from './params';
import { f16ToF32, f32ToF16 } from './safetensors'; // IEEE binary16 bits, round to nearest even (numpy's and WGSL's)
import type { ModelConfig, WeightMap } from './types';

export type PackedFormat = 'f16' | 'int8';

/**
 * Which axis of the stored matrix is the output. 'out-in': W [out, in] (nn.Linear, Llama, the tied lm head);
 * 'in-out': W [in, out] (GPT-2's Conv1D). Packing always runs along the stored matrix's last axis (cols).
 */
export type PackedLayout = 'out-in' | 'in-out';

/**
 * Host-side packed weight. words [rows, ceil(cols / perWord)] holds bit patterns:
 * - f16: word j of a row = pack2x16float(w[2j], w[2j+1]): low 16 bits the first element (round to nearest even).
 * - int8: word j = bytes q[4j], q[4j+1], q[4j+2], q[4j+3] from the lowest byte up (unpack4x8snorm's order), two's
 *   complement, q in [-127, 127]; dequantized w = q * scale[o], one scale per OUTPUT channel o (rows for 'out-in',
 *   cols for 'in-out'), scale = max|w[o]| / 127 (0 for an all-zero channel). unpack4x8snorm(word)[i] = q_i / 127,
 *   so a kernel gets w = unpack4x8snorm(word)[i] * (127 * scale[o]).
 * Missing elements of a row's last word are zero.
 */
export interface PackedHost {
  format: PackedFormat;
  layout: PackedLayout;
  rows: number;
  cols: number;
  words: Int32Array; // [rows, wordsPerRow(format, cols)]
  scales?: Float32Array; // int8 only: [out]
}

/** The same on the device: what a model's linear layer holds instead of its f32 weight. */
export interface PackedWeight {
  format: PackedFormat;
  layout: PackedLayout;
  rows: number;
  cols: number;
  data: tf.Tensor2D; // int32 [rows, wordsPerRow(format, cols)], bit patterns as in PackedHost
  scales?: tf.Tensor1D; // float32 [out], int8 only
}

export const PER_WORD: Record<PackedFormat, number> = { f16: 2, int8: 4 };

export function wordsPerRow(format: PackedFormat, cols: number): number {
  return Math.ceil(cols / PER_WORD[format]);
}

/** Output features of a weight stored in `layout` with shape [rows, cols]. */
export function outFeatures(layout: PackedLayout, rows: number, cols: number): number {
  return layout === 'out-in' ? rows : cols;
}

/** Device bytes of a [rows, cols] weight stored as f32 or packed (int8 adds its f32 scales), for the memory planner. */
export function bytesOf(format: PackedFormat | 'f32', rows: number, cols: number, layout: PackedLayout = 'out-in'): number {
  if (format === 'f32') return rows * cols * 4;
  const words = rows * wordsPerRow(format, cols) * 4;
  return format === 'int8' ? words + outFeatures(layout, rows, cols) * 4 : words;
}

/** w [rows, cols] -> f16 pairs [rows, ceil(cols/2)]; throws where a weight is not finite in f16 (|w| >= 65520). */
export function packF16(w: Float32Array, rows: number, cols: number): Int32Array {
  const wpr = wordsPerRow('f16', cols);
  const out = new Int32Array(rows * wpr);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const bits = f32ToF16(w[r * cols + c]);
      if ((bits & 0x7c00) === 0x7c00) throw new Error(`packF16: weight [${r}, ${c}] = ${w[r * cols + c]} is outside f16's finite range`);
      out[r * wpr + (c >> 1)] |= bits << ((c & 1) * 16);
    }
  }
  return out;
}

/** Per output channel: scale = max|w| / 127 (float32). */
function int8Scales(w: Float32Array, rows: number, cols: number, layout: PackedLayout): Float32Array {
  const scales = new Float32Array(outFeatures(layout, rows, cols));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const o = layout === 'out-in' ? r : c;
      const a = Math.abs(w[r * cols + c]);
      if (!Number.isFinite(a)) throw new Error(`packInt8: weight [${r}, ${c}] is not finite`);
      if (a > scales[o]) scales[o] = a;
    }
  }
  for (let o = 0; o < scales.length; o++) scales[o] = Math.fround(scales[o] / 127);
  return scales;
}

/** q = round(w / scale) (half away from zero), clamped to [-127, 127]; 0 where the channel is all zero. */
export function quantizeInt8(w: number, scale: number): number {
  if (scale === 0) return 0;
  const q = Math.sign(w) * Math.round(Math.abs(w) / scale);
  return Math.max(-127, Math.min(127, q));
}

/** w [rows, cols] -> int8 quads [rows, ceil(cols/4)] and per-output-channel scales [out]. */
export function packInt8(w: Float32Array, rows: number, cols: number, layout: PackedLayout): { words: Int32Array; scales: Float32Array } {
  const scales = int8Scales(w, rows, cols, layout);
  const wpr = wordsPerRow('int8', cols);
  const words = new Int32Array(rows * wpr);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const q = quantizeInt8(w[r * cols + c], scales[layout === 'out-in' ? r : c]);
      words[r * wpr + (c >> 2)] |= (q & 0xff) << ((c & 3) * 8);
    }
  }
  return { words, scales };
}

export function packHost(w: Float32Array, rows: number, cols: number, format: PackedFormat, layout: PackedLayout): PackedHost {
  if (w.length !== rows * cols) throw new Error(`packHost: ${w.length} values for a [${rows}, ${cols}] weight`);
  if (format === 'f16') return { format, layout, rows, cols, words: packF16(w, rows, cols) };
  return { format, layout, rows, cols, ...packInt8(w, rows, cols, layout) };
}

/** The f32 weight [rows, cols] a packed one stands for: exactly what the kernel widens each element to. */
export function unpackHost(p: PackedHost): Float32Array {
  const { rows, cols } = p;
  const wpr = wordsPerRow(p.format, cols);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const word = p.words[r * wpr + Math.floor(c / PER_WORD[p.format])];
      if (p.format === 'f16') {
        out[r * cols + c] = f16ToF32((word >>> ((c & 1) * 16)) & 0xffff);
      } else {
        const q = ((word << (24 - (c & 3) * 8)) >> 24); // sign-extend byte c & 3
        out[r * cols + c] = q * p.scales![p.layout === 'out-in' ? r : c];
      }
    }
  }
  return out;
}

/** Quantize-dequantize: the f32 values a weight takes once packed (for quality runs on wasm/cpu). */
export function roundTrip(w: Float32Array, rows: number, cols: number, format: PackedFormat, layout: PackedLayout = 'out-in'): Float32Array {
  return unpackHost(packHost(w, rows, cols, format, layout));
}

/** Uploads a host-packed weight. */
export function packedFromHost(h: PackedHost): PackedWeight {
  const data = tf.tensor2d(h.words, [h.rows, wordsPerRow(h.format, h.cols)], 'int32');
  const scales = h.scales ? tf.tensor1d(h.scales, 'float32') : undefined;
  return { format: h.format, layout: h.layout, rows: h.rows, cols: h.cols, data, scales };
}

/** Packs a device weight [rows, cols] (read back once; call at load time, outside tidy). The input is not disposed. */
export async function packWeight(w: tf.Tensor2D, format: PackedFormat, layout: PackedLayout): Promise<PackedWeight> {
  const [rows, cols] = w.shape;
  return packedFromHost(packHost((await w.data()) as Float32Array, rows, cols, format, layout));
}

/**
 * Packs a model's block linears (what the LoRA family keeps frozen), keyed by module path ('h.0.attn.c_attn',
 * 'model.layers.0.self_attn.q_proj'): GPT-2 Conv1D weights as 'in-out', Llama-family ones as 'out-in'. The f32
 * weights stay in `weights`; the caller drops them once the forward reads the packed ones.
 */
export async function packLinears(config: ModelConfig, weights: WeightMap, format: PackedFormat): Promise<Map<string, PackedWeight>> {
  const layout: PackedLayout = fanInFanOut(config) ? 'in-out' : 'out-in';
  const out = new Map<string, PackedWeight>();
  for (const path of linearModules(config).keys()) {
    const w = weights.get(`${path}.weight`);
    if (!w || w.rank !== 2) throw new Error(`packLinears: no 2-D weight ${path}.weight`);
    out.set(path, await packWeight(w as tf.Tensor2D, format, layout));
  }
  return out;
}

/** Packs a loaded model's block linears and drops their float32 weights from `weights` (what the loader does for
 * files, for weights made on the device, such as a random init). Returns the packed map. */
export async function packInPlace(config: ModelConfig, weights: WeightMap, format: PackedFormat): Promise<Map<string, PackedWeight>> {
  const packed = await packLinears(config, weights, format);
  for (const path of packed.keys()) {
    weights.get(`${path}.weight`)!.dispose();
    weights.delete(`${path}.weight`);
  }
  return packed;
}

/** The float32 weight [rows, cols] a packed one stands for (exactly the values the kernels widen to), on the
 * device; the caller disposes it. For exports that write the base model (a merged model, GGUF). */
export async function dequantizedWeight(p: PackedWeight): Promise<tf.Tensor2D> {
  const host: PackedHost = {
    format: p.format, layout: p.layout, rows: p.rows, cols: p.cols,
    words: (await p.data.data()) as Int32Array, scales: p.scales ? ((await p.scales.data()) as Float32Array) : undefined,
  };
  return tf.tensor2d(unpackHost(host), [p.rows, p.cols]);
}

/** Rows per block when a packed weight is widened a block at a time off webgpu: about 4M floats (16 MiB). */
export const WIDEN_BLOCK_FLOATS = 1 << 22;

/** Rows [r0, r0 + n) of a packed weight widened to float32 [n, cols], read from the device words (sync reads are
 * fine on cpu/wasm). What the kernels compute with, a block at a time, so no full float32 copy is ever held. */
export function widenRows(p: PackedWeight, r0: number, n: number): tf.Tensor2D {
  const wpr = wordsPerRow(p.format, p.cols);
  const block = tf.slice(p.data, [r0, 0], [n, wpr]);
  const words = block.dataSync() as Int32Array;
  block.dispose();
  let scales: Float32Array | undefined;
  if (p.scales) {
    // int8: 'out-in' scales one per row (these rows), 'in-out' one per column (all of them).
    const s = p.layout === 'out-in' ? tf.slice(p.scales, [r0], [n]) : p.scales;
    scales = s.dataSync() as Float32Array;
    if (s !== p.scales) s.dispose();
  }
  return tf.tensor2d(unpackHost({ format: p.format, layout: p.layout, rows: n, cols: p.cols, words, scales }), [n, p.cols]);
}

export function disposePacked(p: PackedWeight): void {
  tf.dispose([p.data, ...(p.scales ? [p.scales] : [])]);
}
