// y = x @ W^T (or x @ W) with W stored packed (f16 pairs / int8 quads in 32-bit words) and widened inside the kernel;
// off webgpu (wasm, cpu, webgl) W is widened a block of rows at a time around plain matMuls, so no backend ever holds
// a float32 copy of the whole weight. Hand-written: tfjs has no packed-weight matmul (nor f16/int8 dtypes); WGSL's
// unpack2x16float / unpack4x8snorm need no shader-f16.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import { PER_WORD, WIDEN_BLOCK_FLOATS, widenRows, type PackedFormat, type PackedWeight } from '../packed-weights';

/**
 * The product with the stored packed matrix P [rows, cols] (packed along cols):
 * 'nt': y [N, rows] = x [N, cols] @ P^T;  'nn': y [N, cols] = x [N, rows] @ P.
 * An 'out-in' weight runs 'nt' forward and 'nn' for dx; an 'in-out' (GPT-2 Conv1D) weight the other way round.
 */
export type PackedMode = 'nt' | 'nn';
/** Where int8's per-output-channel scale is applied: on the output ('out', forward) or on x along the reduction
 * ('reduce', the dx product, where the reduction runs over output channels); f16 has none. */
export type ScaleAt = 'none' | 'out' | 'reduce';

const TILE = 16; // workgroup [16, 16]: 16 rows of x (N) by 16 output features ('nt') or 16 packed words ('nn')
export const PACKED_MATMUL = 'WebTunePackedMatMul';

export class PackedMatMulProgram implements WebGPUProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [TILE, TILE, 1];

  /** outCols: the output width ('nn' needs it: P's last word may be padding). Shapes travel as uniforms. */
  constructor(readonly format: PackedFormat, readonly mode: PackedMode, readonly scaleAt: ScaleAt, xShape: number[], packedShape: number[], outCols: number) {
    this.variableNames = format === 'int8' ? ['x', 'packed', 'scales'] : ['x', 'packed'];
    this.outputShape = [xShape[0], outCols];
    const across = mode === 'nt' ? packedShape[0] : packedShape[1]; // what the workgroup's x axis walks over
    this.dispatch = [Math.ceil(across / TILE), Math.ceil(xShape[0] / TILE), 1];
    this.shaderKey = `packedMatMul_${format}_${mode}_${scaleAt}`;
  }

  getUserCode(): string {
    const per = PER_WORD[this.format];
    const vec = `vec${per}<f32>`;
    const unpack = this.format === 'f16'
      ? `fn unpackWord(w : i32) -> ${vec} { return unpack2x16float(bitcast<u32>(w)); }`
      : `fn unpackWord(w : i32) -> ${vec} { return unpack4x8snorm(bitcast<u32>(w)) * 127.0; } // q, not q / 127`;
    // x [N, K], zero outside; with scaleAt 'reduce' the channel scale rides on x (k is the output channel there).
    const loadX = `
      fn loadX(n : i32, k : i32) -> f32 {
        if (n < uniforms.xShape.x && k < uniforms.xShape.y) {
          return x[n * uniforms.xShape.y + k]${this.scaleAt === 'reduce' ? ' * scales[k]' : ''};
        }
        return 0.0;
      }`;
    return `
      ${unpack}
      ${loadX}
      var<workgroup> xTile : array<array<f32, ${TILE}>, ${TILE}>; // x [16 rows of N, 16 of K]
      ${this.mode === 'nt' ? this.ntMain(per, vec) : this.nnMain(per, vec)}`;
  }

  /** One output y[n, o] per thread: o is a row of P; its words along K are read straight from P. */
  private ntMain(per: number, vec: string): string {
    const xs = Array.from({ length: per }, (_, i) => `xTile[ly][kk + ${i}]`).join(', ');
    return `
      fn main() {
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let n0 = i32(workgroupId.y) * ${TILE};
        let o = i32(workgroupId.x) * ${TILE} + lx;
        let rows = uniforms.packedShape.x;
        let words = uniforms.packedShape.y;
        var acc = 0.0;
        for (var k0 = 0; k0 < uniforms.xShape.y; k0 = k0 + ${TILE}) {
          xTile[ly][lx] = loadX(n0 + ly, k0 + lx);
          workgroupBarrier();
          if (o < rows) {
            for (var kk = 0; kk < ${TILE}; kk = kk + ${per}) {
              let wi = (k0 + kk) / ${per};
              if (wi < words) {
                acc = acc + dot(unpackWord(packed[o * words + wi]), ${vec}(${xs}));
              }
            }
          }
          workgroupBarrier();
        }
        let n = n0 + ly;
        if (n < uniforms.xShape.x && o < rows) {
          result[n * rows + o] = acc${this.scaleAt === 'out' ? ' * scales[o]' : ''};
        }
      }`;
  }

  /** One packed word column per thread: outputs y[n, wi*per .. wi*per+per-1], reducing over P's rows. */
  private nnMain(per: number, vec: string): string {
    return `
      fn main() {
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let n0 = i32(workgroupId.y) * ${TILE};
        let wi = i32(workgroupId.x) * ${TILE} + lx;
        let rows = uniforms.packedShape.x;
        let words = uniforms.packedShape.y;
        var acc = ${vec}(0.0);
        for (var k0 = 0; k0 < rows; k0 = k0 + ${TILE}) {
          xTile[ly][lx] = loadX(n0 + ly, k0 + lx);
          workgroupBarrier();
          if (wi < words) {
            let kEnd = min(${TILE}, rows - k0);
            for (var kk = 0; kk < kEnd; kk = kk + 1) {
              acc = acc + xTile[ly][kk] * unpackWord(packed[(k0 + kk) * words + wi]);
            }
          }
          workgroupBarrier();
        }
        let n = n0 + ly;
        let cols = uniforms.outShape.y;
        if (n < uniforms.xShape.x) {
          for (var j = 0; j < ${per}; j = j + 1) {
            let c = wi * ${per} + j;
            if (c < cols) {
              result[n * cols + c] = acc[j]${this.scaleAt === 'out' ? ' * scales[c]' : ''};
            }
          }
        }
      }`;
  }
}

interface PackedMatMulAttrs { format: PackedFormat; mode: PackedMode; scaleAt: ScaleAt; outCols: number }

const packedMatMulKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, packed, scales } = inputs as { x: tf.TensorInfo; packed: tf.TensorInfo; scales?: tf.TensorInfo };
  const a = attrs as unknown as PackedMatMulAttrs;
  const program = new PackedMatMulProgram(a.format, a.mode, a.scaleAt, x.shape, packed.shape, a.outCols);
  return (backend as WebGPUBackend).runWebGPUProgram(program, scales ? [x, packed, scales] : [x, packed], 'float32');
};

/** The kernel config, registered for webgpu on first use only; it adds a kernel and changes no other op. */
function ensureRegistered(): void {
  if (!tf.getKernel(PACKED_MATMUL, 'webgpu')) tf.registerKernel({ kernelName: PACKED_MATMUL, backendName: 'webgpu', kernelFunc: packedMatMulKernel });
}

export type Pass = 'forward' | 'dx';

/** forward: a [N, in] -> [N, out]; dx: a = dy [N, out] -> [N, in], on the webgpu kernel. */
function gpuProduct(a: tf.Tensor, w: PackedWeight, pass: Pass): tf.Tensor2D {
  const mode: PackedMode = (w.layout === 'out-in') === (pass === 'forward') ? 'nt' : 'nn';
  const attrs: PackedMatMulAttrs = {
    format: w.format, mode, outCols: mode === 'nt' ? w.rows : w.cols,
    scaleAt: w.format === 'f16' ? 'none' : pass === 'forward' ? 'out' : 'reduce',
  };
  const inputs: tf.NamedTensorMap = w.scales ? { x: a, packed: w.data, scales: w.scales } : { x: a, packed: w.data };
  return tf.engine().runKernel(PACKED_MATMUL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** The same product off webgpu, over blocks of the stored matrix's rows widened one at a time (widenRows): with
 * W^T the blocks give slices of the output's columns (concatenated); with W they are slices of the reduction
 * (a's columns), whose products add up. `blockFloats` is lowered by tests to force several blocks. */
export function blockedProduct(a: tf.Tensor2D, w: PackedWeight, pass: Pass, blockFloats = WIDEN_BLOCK_FLOATS): tf.Tensor2D {
  const transposeW = (w.layout === 'out-in') === (pass === 'forward');
  const step = Math.max(1, Math.floor(blockFloats / w.cols));
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    let sum: tf.Tensor2D | null = null;
    for (let r0 = 0; r0 < w.rows; r0 += step) {
      const n = Math.min(step, w.rows - r0);
      const block = widenRows(w, r0, n); // [n, cols]
      if (transposeW) {
        parts.push(tf.matMul(a, block, false, true)); // [N, n]: output columns r0..r0+n
      } else {
        const slice = n === w.rows ? a : (tf.slice(a, [0, r0], [a.shape[0], n]) as tf.Tensor2D); // [N, n]
        const p = tf.matMul(slice, block) as tf.Tensor2D; // [N, cols]
        sum = sum ? (tf.add(sum, p) as tf.Tensor2D) : p;
      }
      block.dispose();
    }
    return transposeW ? (parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D)) : sum!;
  });
}

/**
 * x [N, in] -> y [N, out] = x @ W^T for an 'out-in' W [out, in], x @ W for an 'in-out' W [in, out]; W packed and
 * frozen: the gradient flows to x only (dx = dy @ W, resp. dy @ W^T), so LoRA backprops through the base layer.
 * On webgpu the packed kernel runs both products; elsewhere blockedProduct widens the weight a block at a time.
 */
export function packedMatMul(x: tf.Tensor2D, w: PackedWeight): tf.Tensor2D {
  const inDim = w.layout === 'out-in' ? w.cols : w.rows;
  if (x.rank !== 2 || x.shape[1] !== inDim) {
    throw new Error(`packedMatMul: x [${x.shape.join(', ')}] does not fit a weight of ${inDim} inputs ([${w.rows}, ${w.cols}], ${w.layout})`);
  }
  const onGpu = tf.getBackend() === 'webgpu';
  if (onGpu) ensureRegistered();
  const product = onGpu ? gpuProduct : (a: tf.Tensor, p: PackedWeight, pass: Pass) => blockedProduct(a as tf.Tensor2D, p, pass);
  const f = tf.customGrad((xi) => ({
    value: product(xi as tf.Tensor, w, 'forward'), // [N, out]
    gradFunc: (dy: tf.Tensor) => product(dy, w, 'dx'), // [N, in]
  }));
  return f(x) as tf.Tensor2D;
}
