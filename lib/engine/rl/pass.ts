// One forward pass over sampled sequences (prompt + completion, completion tokens counted): the log-probability
// of every completion token, flat [M] in row-major order, and with a value head the value of the state before
// each of them (the hidden state the token is predicted from), as TRL's PPO reads values[:, context - 1 : -1].
// Log-probabilities are of the sampling distribution, softmax(logits / temperature), as TRL computes them: the
// logits are linear in the hidden row, so the row is divided instead of the [M, V] logits.
import * as tf from '@tensorflow/tfjs';
import { lossTargets } from '../chunked-loss';
import { embeddingLookup } from '../embedding';
import { hiddenStates, outputWeight, type ForwardOptions } from '../model';
import type { SequenceBatch } from '../objectives/sequence-logps';
import { tokenLogps } from '../objectives/token-logps';
import { deriveSeed, mulberry32, normalArray } from '../random';
import { hiddenSize, type ModelConfig, type WeightMap } from '../types';

/** A scalar head on the last hidden state (TRL's ValueHead: Linear(hidden, 1) with a bias). */
export interface ValueHead {
  weight: tf.Variable; // [1, C]
  bias: tf.Variable; // [1]
}

export const VALUE_HEAD_KEYS = { weight: 'v_head.summary.weight', bias: 'v_head.summary.bias' } as const;

export function initValueHead(config: ModelConfig, seed: number): ValueHead {
  const C = hiddenSize(config);
  const init = [tf.tensor2d(normalArray(C, 0.02, mulberry32(deriveSeed(seed, 0x7a1))), [1, C]), tf.zeros([1])];
  const [weight, bias] = init.map((t) => tf.variable(t, true));
  tf.dispose(init); // the variables keep their own reference to the data
  return { weight, bias };
}

export interface PassOut {
  logp: tf.Tensor1D; // [M]
  values?: tf.Tensor1D; // [M]
}

/** Per-token log-probabilities (and values) of the counted tokens; differentiable in the weights and the head. */
export function completionPass(config: ModelConfig, weights: WeightMap, b: SequenceBatch, opts: ForwardOptions, head?: ValueHead, temperature = 1): PassOut {
  return tf.tidy(() => {
    const { N, T } = b;
    const hidden = hiddenStates(config, weights, tf.tensor2d(b.ids, [N, T], 'int32'), opts); // [N, T, C]
    const lt = lossTargets(b.ids, b.mask, N, T);
    if (lt.rows.length === 0) throw new Error('The rollout sampled no completion tokens');
    const rows = embeddingLookup(tf.reshape(hidden, [N * T, hidden.shape[2]]), tf.tensor1d(lt.rows, 'int32')) as tf.Tensor2D; // [M, C]
    const W = outputWeight(config, weights) as tf.Tensor2D;
    const logp = tokenLogps(temperature === 1 ? rows : tf.div(rows, temperature), W, lt.targets, W instanceof tf.Variable && W.trainable);
    if (!head) return { logp };
    const values = tf.reshape(tf.add(tf.matMul(rows, head.weight, false, true), head.bias), [-1]) as tf.Tensor1D; // [M]
    return { logp, values };
  });
}
