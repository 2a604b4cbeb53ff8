// One entry point per operation for every architecture: forward, hidden states, output head and init dispatch on
// config.model_type, so the trainer, generation and export never need to know which family they run.
import type * as tf from '@tensorflow/tfjs';
import type { ForwardOptions } from './forward-ctx';
import { gpt2Forward, gpt2Hidden, initGpt2Weights } from './gpt2';
import { initLlamaWeights, llamaForward, llamaHidden, llamaOutputWeight } from './llama';
import { isGpt2, type ModelConfig, type WeightMap } from './types';

export type { ForwardOptions } from './forward-ctx';
export { lmHead } from './forward-ctx';
export { disposeWeights } from './gpt2';

/** Logits [B, T, V] for ids [B, T] (int32). */
export function forward(config: ModelConfig, weights: WeightMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  return isGpt2(config) ? gpt2Forward(config, weights, ids, opts) : llamaForward(config, weights, ids, opts);
}

/** Final hidden states [B, T, C] (after the last norm), for heads that only need some positions. */
export function hiddenStates(config: ModelConfig, weights: WeightMap, ids: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
  return isGpt2(config) ? gpt2Hidden(config, weights, ids, opts) : llamaHidden(config, weights, ids, opts);
}

/** The output embedding [V, C] the head multiplies by (GPT-2: wte; Llama: lm_head or tied embed_tokens). */
export function outputWeight(config: ModelConfig, weights: WeightMap): tf.Tensor {
  if (!isGpt2(config)) return llamaOutputWeight(config, weights);
  const W = weights.get('wte.weight');
  if (!W) throw new Error('Model weight wte.weight is missing');
  return W;
}

/** Fresh weights with the family's Hugging Face init, fixed by the seed. */
export function initWeights(config: ModelConfig, seed: number): WeightMap {
  return isGpt2(config) ? initGpt2Weights(config, seed) : initLlamaWeights(config, seed);
}
