// Embedding lookup with a scatter-add gradient. tf.gather's own gradient needs UnsortedSegmentSum,
// which the wasm backend lacks; tf.scatterND sums duplicate rows and exists on every backend.
import * as tf from '@tensorflow/tfjs';

/** Rows of `table` [V, C] picked by int32 `ids` (any shape S) -> [...S, C]. */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [V, C] = table.shape;
  const flat = tf.reshape(ids, [-1]); // [N]
  const lookup = tf.customGrad((t, save) => {
    // Save the ids through the tape: the caller's tidy may free `flat` before the backward pass runs.
    (save as tf.GradSaveFunc)([flat]);
    const value = tf.gather(t as tf.Tensor, flat); // [N, C]
    // d(table) = sum over positions of dy rows into their token's row: a scatter-add, not a one-hot matmul
    // ([N, V] x [N, C] would cost N*V*C and an [N, V] buffer).
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(tf.reshape(saved[0], [-1, 1]), dy, [V, C]);
    return { value, gradFunc };
  });
  return tf.reshape(lookup(table), [...ids.shape, C]);
}
