// The vocabulary loss's two elementwise passes on webgpu, for chunked-loss.ts: per row of logits z [n, V] with target
// t, one program gives log-sum-exp and the row's loss (online max and sum, one pass over V), and one gives the
// logits' gradient (softmax(z) - onehot(t)) * dy, with neither the softmax nor a one-hot ever stored.
// Hand-written: tfjs has no fused cross-entropy. Its logSumExp alone runs max, sub, exp, sum, log and add as separate
// full passes over [n, V], the target logit needs a gather of W's rows and a product, and the backward pass a
// softmax scaled by dy and a scatter of the one-hot part into dW. The products h W^T, dz W and dz^T h stay tfjs's
// tuned matmuls. A target outside [0, V) (ignore_index -100) marks a row that counts nothing: loss 0, gradient 0.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import { speedupOn } from '../speedups';

const ROW_GROUP = 256; // threads per row in the statistics pass
const FLAT_GROUP = 256; // threads per workgroup in the gradient pass
const MAX_GROUPS = 65535; // maxComputeWorkgroupsPerDimension's default; past it the grid grows in y
export const LOSS_STATS = 'WebTuneLossStats';
export const LOSS_GRAD = 'WebTuneLossGrad';

/** A grid of at least `groups` workgroups, within the per-dimension limit. */
function grid(groups: number): [number, number, number] {
  return groups <= MAX_GROUPS ? [Math.max(1, groups), 1, 1] : [MAX_GROUPS, Math.ceil(groups / MAX_GROUPS), 1];
}

/** stats [n, 2] = (logsumexp(z_i), logsumexp(z_i) - z_i[t_i]) per row; one workgroup per row. */
export class LossStatsProgram implements WebGPUProgram {
  variableNames = ['logits', 'targets'];
  outputShape: number[];
  shaderKey = `lossStats_${ROW_GROUP}`;
  dispatchLayout = { x: [0], y: [1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [ROW_GROUP, 1, 1];

  constructor(logitsShape: number[]) {
    this.outputShape = [logitsShape[0], 2];
    this.dispatch = grid(logitsShape[0]);
  }

  getUserCode(): string {
    // Each thread keeps a running max m and sum s of exp(z - m) over its strided columns; the tree then merges
    // (m, s) pairs: max of the two, each sum rescaled to it. Rows past n run the merges (barriers) and write nothing.
    return `
      var<workgroup> mBuf : array<f32, ${ROW_GROUP}>;
      var<workgroup> sBuf : array<f32, ${ROW_GROUP}>;
      fn main() {
        let lx = i32(localId.x);
        let row = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
        let n = uniforms.logitsShape.x;
        let V = uniforms.logitsShape.y;
        var m = -3.0e38;
        var s = 0.0;
        if (row < n) {
          for (var j = lx; j < V; j = j + ${ROW_GROUP}) {
            let z = logits[row * V + j];
            if (z > m) {
              s = s * exp(m - z) + 1.0;
              m = z;
            } else {
              s = s + exp(z - m);
            }
          }
        }
        mBuf[lx] = m;
        sBuf[lx] = s;
        workgroupBarrier();
        for (var half = ${ROW_GROUP / 2}; half > 0; half = half / 2) {
          if (lx < half) {
            let m2 = mBuf[lx + half];
            let mm = max(m, m2);
            s = s * exp(m - mm) + sBuf[lx + half] * exp(m2 - mm);
            m = mm;
            mBuf[lx] = m;
            sBuf[lx] = s;
          }
          workgroupBarrier();
        }
        if (lx == 0 && row < n) {
          let t = targets[row];
          if (t < 0 || t >= V) {
            result[row * 2] = 0.0;
            result[row * 2 + 1] = 0.0;
          } else {
            let lse = m + log(s);
            result[row * 2] = lse;
            result[row * 2 + 1] = lse - logits[row * V + t];
          }
        }
      }`;
  }
}

/** dz [n, V] = (exp(z - lse) - onehot(t)) * dy[0], 0 on rows whose target is outside [0, V); one thread per element. */
export class LossGradProgram implements WebGPUProgram {
  variableNames = ['logits', 'stats', 'targets', 'dy'];
  outputShape: number[];
  shaderKey = 'lossGrad';
  dispatchLayout = { x: [0, 1] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [FLAT_GROUP, 1, 1];
  size = true;

  constructor(logitsShape: number[]) {
    this.outputShape = [...logitsShape];
    this.dispatch = grid(Math.ceil((logitsShape[0] * logitsShape[1]) / FLAT_GROUP));
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let V = uniforms.outShape.y;
          let row = index / V;
          let t = targets[row];
          var d = 0.0;
          if (t >= 0 && t < V) {
            d = exp(logits[index] - stats[row * 2]);
            if (index - row * V == t) {
              d = d - 1.0;
            }
            d = d * dy[0];
          }
          result[index] = d;
        }
      }`;
  }
}

const lossStatsKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
  return (backend as WebGPUBackend).runWebGPUProgram(new LossStatsProgram(logits.shape), [logits, targets], 'float32');
};

const lossGradKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, stats, targets, dy } = inputs as Record<string, tf.TensorInfo>;
  return (backend as WebGPUBackend).runWebGPUProgram(new LossGradProgram(logits.shape), [logits, stats, targets, dy], 'float32');
};

/** Registered for webgpu on first use; adds two kernels and changes no other op. */
function ensureRegistered(): void {
  if (!tf.getKernel(LOSS_STATS, 'webgpu')) tf.registerKernel({ kernelName: LOSS_STATS, backendName: 'webgpu', kernelFunc: lossStatsKernel });
  if (!tf.getKernel(LOSS_GRAD, 'webgpu')) tf.registerKernel({ kernelName: LOSS_GRAD, backendName: 'webgpu', kernelFunc: lossGradKernel });
}

/** True where chunked-loss.ts takes these kernels: the webgpu backend with the fusedLoss switch on. */
export function fusedLossOn(): boolean {
  return speedupOn('fusedLoss') && tf.getBackend() === 'webgpu';
}

function checkRows(z: tf.Tensor, t: tf.Tensor, what: string): void {
  if (z.rank !== 2 || t.rank !== 1 || t.shape[0] !== z.shape[0] || t.dtype !== 'int32') {
    throw new Error(`${what}: logits [${z.shape.join(', ')}] need one int32 target per row (got ${t.dtype} [${t.shape.join(', ')}])`);
  }
}

/** [n, 2]: per row of z [n, V] its log-sum-exp and its loss -log softmax(z)[t] (both 0 for an ignored target). No gradient. */
export function lossStats(z: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor2D {
  checkRows(z, t, 'lossStats');
  ensureRegistered();
  return tf.engine().runKernel(LOSS_STATS, { logits: z, targets: t }) as tf.Tensor2D;
}

/** [n, V]: d(sum of row losses * dy)/dz = (softmax(z) - onehot(t)) * dy, from lossStats' rows; dy a scalar. */
export function lossGrad(z: tf.Tensor2D, stats: tf.Tensor2D, t: tf.Tensor1D, dy: tf.Tensor): tf.Tensor2D {
  checkRows(z, t, 'lossGrad');
  ensureRegistered();
  return tf.tidy(() => tf.engine().runKernel(LOSS_GRAD, { logits: z, stats, targets: t, dy: tf.reshape(dy, [1]) }) as tf.Tensor2D);
}
