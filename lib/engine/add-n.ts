// Sums a list of same-shape tensors. Use this instead of tf.addN: tfjs-backend-webgpu (4.22) runs AddN as one shader
// with a storage buffer per input, and past the device's maxStorageBuffersPerShaderStage (8 unless raised; tfjs does
// not raise it) the extra inputs are silently dropped: addN of 1..8 gave 28, not 36, on Chromium's WebGPU. A LoRA
// gradient norm over 8 adapter matrices then came out wrong (or NaN) with no error.
import * as tf from '@tensorflow/tfjs';

/** At most this many inputs per AddN: 7 inputs + 1 output fit WebGPU's default 8 storage buffers. */
export const ADD_N_GROUP = 7;

/** The elementwise sum of `xs` (at least one tensor), in groups that every backend runs correctly. */
export function sumTensors<T extends tf.Tensor>(xs: T[]): T {
  if (xs.length === 0) throw new Error('sumTensors needs at least one tensor');
  return tf.tidy(() => {
    let level: tf.Tensor[] = xs;
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += ADD_N_GROUP) {
        const group = level.slice(i, i + ADD_N_GROUP);
        next.push(group.length === 1 ? group[0] : tf.addN(group));
      }
      level = next;
    }
    return level[0] === xs[0] ? tf.clone(level[0]) : level[0];
  }) as T;
}

/** Whether every entry of every tensor is finite, read back as one scalar (0 * x is 0 for finite x and NaN for
 * Inf or NaN, on any backend): the check before a merge commits its weights, as PEFT's safe_merge. */
export async function allFinite(xs: Iterable<tf.Tensor>): Promise<boolean> {
  const list = [...xs];
  if (list.length === 0) return true;
  const probe = tf.tidy(() => sumTensors(list.map((t) => tf.sum(tf.mul(t, 0)))));
  const [s] = await probe.data();
  probe.dispose();
  return s === 0;
}
