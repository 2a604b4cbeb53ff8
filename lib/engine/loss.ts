// Causal language-model loss: position t's logits predict token t+1; masked and padded targets are ignored.
// Works on every backend: log-softmax is the stable x - max - log(sum(exp)), and no gather gradient is needed.
import * as tf from '@tensorflow/tfjs';

/** log p(ids[t] | ids[<t]) for t = 1..T-1; logits [B, T, V], ids [B, T] int32 -> [B, T-1]. */
export function tokenLogProbs(logits: tf.Tensor3D, ids: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const pred = tf.slice(logits, [0, 0, 0], [B, T - 1, V]); // [B, T-1, V]
    const target = tf.slice(ids, [0, 1], [B, T - 1]); // [B, T-1]
    const logp = tf.logSoftmax(pred, -1);
    // Cast after oneHot: tfjs-backend-wasm 4.22 returns garbage for oneHot(..., 'float32').
    const onehot = tf.cast(tf.oneHot(tf.cast(target, 'int32') as tf.Tensor2D, V), 'float32'); // [B, T-1, V]
    return tf.sum(tf.mul(logp, onehot), -1) as tf.Tensor2D;
  });
}

/** Mean negative log-likelihood over counted targets; mask [B, T] (mask[t] = 1: predicting ids[t] counts).
 * An all-zero mask gives 0, not NaN. */
export function causalLmLoss(logits: tf.Tensor3D, ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const [B, T] = ids.shape;
    const lp = tokenLogProbs(logits, ids); // [B, T-1]
    const m = tf.cast(tf.slice(mask, [0, 1], [B, T - 1]), 'float32'); // position 0 has no prefix: never predicted
    const count = tf.maximum(tf.sum(m), 1);
    return tf.neg(tf.div(tf.sum(tf.mul(lp, m)), count)) as tf.Scalar;
  });
}

/** How many targets causalLmLoss counts for a host-side mask row (skips position 0). */
export function countedTargets(mask: ArrayLike<number>): number {
  let n = 0;
  for (let t = 1; t < mask.length; t++) if (mask[t] > 0) n++;
  return n;
}
