// The RL losses on the tape, over the completion tokens of a batch laid out flat ([M] tokens): TRL's k3 KL
// estimate, the clipped surrogate (GRPO per token, RLOO per completion, PPO per token with a clipped value loss).
import * as tf from '@tensorflow/tfjs';

/** The value of x with no gradient (torch's detach): GRPO's old log-probabilities when each rollout is optimised
 * once (TRL num_iterations = 1), so the ratio is exactly 1 in value, dropout or not, and its gradient is A * dlogp. */
export const detach = tf.customGrad((...args: unknown[]) => ({ value: tf.clone(args[0] as tf.Tensor), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as (x: tf.Tensor) => tf.Tensor;

/** Schulman's k3 estimate of KL(policy || reference) per token: exp(ref - logp) - (ref - logp) - 1 (>= 0). */
export function k3(logp: tf.Tensor, refLogp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = tf.sub(refLogp, logp);
    return tf.sub(tf.sub(tf.exp(d), d), 1);
  });
}

/** -min(ratio A, clip(ratio, 1-eps, 1+eps) A), elementwise, ratio = exp(logp - oldLogp). */
export function clippedSurrogate(logp: tf.Tensor, oldLogp: tf.Tensor, advantages: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const ratio = tf.exp(tf.sub(logp, oldLogp));
    return tf.neg(tf.minimum(tf.mul(ratio, advantages), tf.mul(tf.clipByValue(ratio, 1 - eps, 1 + eps), advantages)));
  });
}

/** GRPO's loss: per token the clipped surrogate plus beta * k3, weighted by `weights` [M] (the normalisation:
 * 1 / (tokens of its completion * completions) for 'grpo', 1 / tokens for 'dapo') and summed. */
export function grpoLoss(logp: tf.Tensor1D, oldLogp: tf.Tensor1D, refLogp: tf.Tensor1D | null, advantages: tf.Tensor1D, weights: tf.Tensor1D, eps: number, beta: number): tf.Scalar {
  return tf.tidy(() => {
    let perToken = clippedSurrogate(logp, oldLogp, advantages, eps);
    if (beta !== 0 && refLogp) perToken = tf.add(perToken, tf.mul(beta, k3(logp, refLogp)));
    return tf.sum(tf.mul(perToken, weights)) as tf.Scalar;
  });
}

/** RLOO's loss: the clipped surrogate per completion (log-probabilities summed over its tokens), averaged. */
export function rlooLoss(seqLogp: tf.Tensor1D, oldSeqLogp: tf.Tensor1D, advantages: tf.Tensor1D, eps: number): tf.Scalar {
  return tf.tidy(() => tf.mean(clippedSurrogate(seqLogp, oldSeqLogp, advantages, eps)) as tf.Scalar);
}

/** PPO's loss over M tokens: mean of max(-A r, -A clip(r)) plus vfCoef * 0.5 * mean of max((v - R)^2,
 * (clip(v, vOld - c, vOld + c) - R)^2). Returns the sum and its two parts. */
export function ppoLoss(logp: tf.Tensor1D, oldLogp: tf.Tensor1D, advantages: tf.Tensor1D, values: tf.Tensor1D, oldValues: tf.Tensor1D, returns: tf.Tensor1D,
  o: { cliprange: number; cliprangeValue: number; vfCoef: number }): { loss: tf.Scalar; pg: tf.Scalar; vf: tf.Scalar } {
  return tf.tidy(() => {
    const pg = tf.mean(clippedSurrogate(logp, oldLogp, advantages, o.cliprange)) as tf.Scalar;
    const clipped = tf.clipByValue(tf.sub(values, oldValues), -o.cliprangeValue, o.cliprangeValue).add(oldValues);
    const vf = tf.mul(0.5, tf.mean(tf.maximum(tf.square(tf.sub(values, returns)), tf.square(tf.sub(clipped, returns))))) as tf.Scalar;
    return { loss: tf.add(pg, tf.mul(o.vfCoef, vf)) as tf.Scalar, pg, vf };
  });
}
