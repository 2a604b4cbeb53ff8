// LoRA's branch on webgpu, for peft/lora/layer.ts: y + scaling * (x A^T) B^T with the rank-r product, the scaling and
// the sum in one program (an epilogue over the base output y), so no [N, out] intermediate is made, forward or back.
// Hand-written: tfjs runs the branch as matMul (x A^T), matMul (B), mul and add, three of them full [N, out] passes
// with two [N, out] tensors kept for the backward pass, and its backward scales dy by the scaling in another [N, out]
// pass. What is fused: x A^T [N, r] is tfjs's matMul, once; then this program reads y, x A^T and B and writes the
// output. The base product x W (tfjs's matMul or the packed kernel) is not part of it. Backward (tf.customGrad): dy
// passes to y; d(xA) = s dy B [N, r], dB = s dy^T (x A^T), dA = d(xA)^T x, dx = d(xA) A, all tfjs matMuls, the
// scaling applied to the rank-r sides only.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import { speedupOn } from '../speedups';

const TILE = 16; // workgroup [16, 16]: 16 output features by 16 rows of N; the rank is walked 16 at a time
const MAX_GROUPS = 65535;
export const LORA_ADD = 'WebTuneLoraAdd';

/** out [N, out] = y + scale * xa @ B^T; xa [N, r], B [out, r] (PEFT's lora_B layout). */
export class LoraAddProgram implements WebGPUProgram {
  variableNames = ['y', 'xa', 'b'];
  uniforms = 'scale : f32,';
  outputShape: number[];
  shaderKey = 'loraAdd';
  dispatchLayout = { x: [1], y: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [TILE, TILE, 1];

  constructor(yShape: number[]) {
    this.outputShape = [...yShape];
    this.dispatch = [Math.ceil(yShape[1] / TILE), Math.ceil(yShape[0] / TILE), 1];
  }

  getUserCode(): string {
    return `
      var<workgroup> aTile : array<array<f32, ${TILE}>, ${TILE}>; // xa [16 rows of N, 16 of r]
      var<workgroup> bTile : array<array<f32, ${TILE}>, ${TILE}>; // B [16 rows of out, 16 of r]
      fn main() {
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let n0 = i32(workgroupId.y) * ${TILE};
        let o0 = i32(workgroupId.x) * ${TILE};
        let rows = uniforms.yShape.x;
        let cols = uniforms.yShape.y;
        let r = uniforms.xaShape.y;
        var acc = 0.0;
        for (var k0 = 0; k0 < r; k0 = k0 + ${TILE}) {
          let k = k0 + lx;
          var av = 0.0;
          var bv = 0.0;
          if (k < r && n0 + ly < rows) {
            av = xa[(n0 + ly) * r + k];
          }
          if (k < r && o0 + ly < cols) {
            bv = b[(o0 + ly) * r + k];
          }
          aTile[ly][lx] = av;
          bTile[ly][lx] = bv;
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE}; kk = kk + 1) {
            acc = acc + aTile[ly][kk] * bTile[lx][kk];
          }
          workgroupBarrier();
        }
        let n = n0 + ly;
        let o = o0 + lx;
        if (n < rows && o < cols) {
          result[n * cols + o] = y[n * cols + o] + uniforms.scale * acc;
        }
      }`;
  }
}

const loraAddKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { y, xa, b } = inputs as Record<string, tf.TensorInfo>;
  const { scale } = attrs as unknown as { scale: number };
  const program = new LoraAddProgram(y.shape);
  return (backend as WebGPUBackend).runWebGPUProgram(program, [y, xa, b], 'float32', [{ type: 'float32', data: [scale] }]);
};

function ensureRegistered(): void {
  if (!tf.getKernel(LORA_ADD, 'webgpu')) tf.registerKernel({ kernelName: LORA_ADD, backendName: 'webgpu', kernelFunc: loraAddKernel });
}

/** True where LoRA's hook takes this path: the webgpu backend with the fusedLora switch on. */
export function fusedLoraOn(): boolean {
  return speedupOn('fusedLora') && tf.getBackend() === 'webgpu';
}

/** y + scaling * x A^T B^T, no gradient: y [N, out], xa = x A^T [N, r], B [out, r]. */
export function loraAdd(y: tf.Tensor2D, xa: tf.Tensor2D, B: tf.Tensor2D, scaling: number): tf.Tensor2D {
  const [N, out] = y.shape;
  const r = xa.shape[1];
  if (xa.shape[0] !== N || B.shape[0] !== out || B.shape[1] !== r) {
    throw new Error(`loraAdd: y [${y.shape.join(', ')}], x A^T [${xa.shape.join(', ')}] and B [${B.shape.join(', ')}] do not fit (need [N, out], [N, r], [out, r])`);
  }
  if (Math.ceil(N / TILE) > MAX_GROUPS || Math.ceil(out / TILE) > MAX_GROUPS) throw new Error(`loraAdd: [${N}, ${out}] is past the dispatch limit`);
  ensureRegistered();
  return tf.engine().runKernel(LORA_ADD, { y, xa, b: B }, { scale: scaling } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * The adapted linear's output y + scaling * x A^T B^T with its gradients: x [N, in] (after LoRA's dropout), y [N, out]
 * the base output, A [r, in], B [out, r]. Gradients reach x, y, A and B (the variables are inputs of the op).
 */
export function fusedLoraLinear(x: tf.Tensor2D, y: tf.Tensor2D, A: tf.Tensor2D, B: tf.Tensor2D, scaling: number): tf.Tensor2D {
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, yi, a, b] = args as tf.Tensor2D[];
    const save = args[4] as tf.GradSaveFunc;
    const xa = tf.matMul(xi, a, false, true) as tf.Tensor2D; // [N, r]
    save([xi, a, b, xa]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, as, bs, xas] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D; // [N, out]
      const dxa = tf.mul(tf.matMul(g, bs), scaling) as tf.Tensor2D; // [N, r]
      return [tf.matMul(dxa, as), tf.clone(g), tf.matMul(dxa, xs, true, false), tf.mul(tf.matMul(g, xas, true, false), scaling)];
    };
    return { value: loraAdd(yi, xa, b, scaling), gradFunc };
  });
  return f(x, y, A, B) as tf.Tensor2D;
}
