// The training objective for causal language modelling: one micro-batch of token ids and loss masks to its mean
// loss, through the final hidden states and the chunked loss (no [B, T, V] logits). The trainer and the memory
// measurements run exactly this.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from './batch';
import { chunkedCausalLmLoss, lossTargets, type ChunkOptions } from './chunked-loss';
import { hiddenStates, outputWeight, type ForwardOptions } from './model';
import type { ModelConfig, WeightMap } from './types';

/** Mean negative log-likelihood over the batch's counted targets (a scalar on the tape when under one). */
export function causalLmBatchLoss(config: ModelConfig, weights: WeightMap, b: Batch, opts: ForwardOptions, chunk?: ChunkOptions): tf.Scalar {
  const ids = tf.tensor2d(b.ids, [b.B, b.T], 'int32');
  // Packed rows carry segment ids: attention stays inside each example and positions restart per example.
  const hidden = hiddenStates(config, weights, ids, { ...opts, segments: b.segments }); // [B, T, C]
  return chunkedCausalLmLoss(hidden, outputWeight(config, weights), lossTargets(b.ids, b.mask, b.B, b.T), chunk);
}
