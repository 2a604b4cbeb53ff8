// Measures the memory one training step really takes (forward + backward on tfjs), for calibrating and checking
// the memory planner. Used by scripts/calibrate-memory.ts and memory-plan.test.ts, on the cpu backend.
import * as tf from '@tensorflow/tfjs';
import { forward } from './model';
import { causalLmLoss } from './loss';
import { defaultTrainConfig } from './defaults';
import { peftMethod } from './peft/methods';
import type { LoraConfig, Method, ModelConfig, WeightMap } from './types';

export interface StepMeasurement {
  /** Peak bytes above what was allocated before the step (activations, gradients, temporaries). */
  peakBytes: number;
  trainableParams: number;
}

/** One forward + backward pass of the causal LM loss on a [B, T] batch; weights are not changed or kept. */
export async function measureStepPeak(
  config: ModelConfig, weights: WeightMap, method: Method, B: number, T: number, lora: LoraConfig,
): Promise<StepMeasurement> {
  const train = { ...defaultTrainConfig(method), lora: { ...lora, dropout: 0 } };
  const state = peftMethod(method).create(config, weights, train, 1);
  const vars = state.variables;
  const V = config.vocab_size;
  const ids = tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % V), [B, T], 'int32');
  const mask = tf.ones([B, T]) as tf.Tensor2D;
  const start = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(
      () => causalLmLoss(forward(config, state.weights, ids, { adapter: state.adapter, training: true }), ids, mask), vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const trainableParams = vars.reduce((n, v) => n + v.size, 0);
  tf.dispose([ids, mask]);
  state.dispose();
  return { peakBytes: profile.peakBytes - start, trainableParams };
}
