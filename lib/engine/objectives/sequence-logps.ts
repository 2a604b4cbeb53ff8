// Per-sequence log-probabilities: for each row of a [N, T] batch, the sum over its counted positions (mask 1:
// the answer tokens) of log p(token | earlier tokens), from the final hidden states and chunked token
// log-probabilities (token-logps.ts), so no [N, T, V] logits exist. What every preference loss reads.
import * as tf from '@tensorflow/tfjs';
import { lossTargets, type ChunkOptions } from '../chunked-loss';
import { embeddingLookup } from '../embedding';
import { hiddenStates, outputWeight, type ForwardOptions } from '../model';
import type { ModelConfig, WeightMap } from '../types';
import { tokenLogps } from './token-logps';

/** Host view of a batch of sequences: ids and mask [N, T] row-major. */
export interface SequenceBatch {
  ids: Int32Array;
  mask: Float32Array;
  N: number;
  T: number;
}

/** Counted positions per row (position 0 never counts: nothing predicts it). */
export function countsPerRow(mask: ArrayLike<number>, N: number, T: number): Float32Array {
  const out = new Float32Array(N);
  for (let n = 0; n < N; n++) for (let t = 1; t < T; t++) if (mask[n * T + t] > 0) out[n] += 1;
  return out;
}

/**
 * Summed log-probability of each row's counted tokens, [N] (0 for a row with none), differentiable with
 * respect to the weights the forward pass reads: one chunked pass over every counted token, summed per row.
 */
export function sequenceLogps(config: ModelConfig, weights: WeightMap, b: SequenceBatch, opts: ForwardOptions, chunk?: ChunkOptions): tf.Tensor1D {
  return tf.tidy(() => {
    const { N, T } = b;
    const ids = tf.tensor2d(b.ids, [N, T], 'int32');
    const hidden = hiddenStates(config, weights, ids, opts); // [N, T, C]
    const C = hidden.shape[2];
    const lt = lossTargets(b.ids, b.mask, N, T);
    if (lt.rows.length === 0) return tf.mul(tf.sum(hidden, [1, 2]), 0) as tf.Tensor1D;
    const rows = embeddingLookup(tf.reshape(hidden, [N * T, C]), tf.tensor1d(lt.rows, 'int32')) as tf.Tensor2D; // [M, C]
    const W = outputWeight(config, weights) as tf.Tensor2D;
    const trainW = W instanceof tf.Variable && W.trainable;
    const logp = tokenLogps(rows, W, lt.targets, trainW, chunk); // [M]
    // Sum per sequence as a product with a [N, M] 0/1 membership matrix (wasm has no UnsortedSegmentSum kernel).
    const member = new Float32Array(N * lt.rows.length);
    lt.rows.forEach((r, i) => (member[Math.floor(r / T) * lt.rows.length + i] = 1));
    return tf.reshape(tf.matMul(tf.tensor2d(member, [N, lt.rows.length]), tf.reshape(logp, [-1, 1])), [N]) as tf.Tensor1D;
  });
}
