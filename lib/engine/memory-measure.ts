// Measures the memory one training step really takes (forward + backward on tfjs), for calibrating and checking
// the memory planner. Used by scripts/calibrate-memory.ts and memory-plan.test.ts, on the cpu backend.
import * as tf from '@tensorflow/tfjs';
import { forward } from './model';
import { causalLmLoss } from './loss';
import { createLora, disposeLora, loraVariables } from './peft/lora';
import type { LoraConfig, ModelConfig, WeightMap } from './types';

export interface StepMeasurement {
  /** Peak bytes above what was allocated before the step (activations, gradients, temporaries). */
  peakBytes: number;
  trainableParams: number;
}

/** One forward + backward pass of the causal LM loss on a [B, T] batch; weights are not changed or kept. */
export async function measureStepPeak(
  config: ModelConfig, weights: WeightMap, method: 'lora' | 'full', B: number, T: number, lora: LoraConfig,
): Promise<StepMeasurement> {
  const state = method === 'lora' ? createLora(config, { ...lora, dropout: 0 }, 1) : undefined;
  const vars = state ? loraVariables(state) : [...weights.values()].map((t) => tf.variable(t, true));
  const model: WeightMap = state ? weights : new Map([...weights.keys()].map((k, i) => [k, vars[i]]));
  const V = config.vocab_size;
  const ids = tf.tensor2d(Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % V), [B, T], 'int32');
  const mask = tf.ones([B, T]) as tf.Tensor2D;
  const start = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(
      () => causalLmLoss(forward(config, model, ids, { adapter: state, training: true }), ids, mask), vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const trainableParams = vars.reduce((n, v) => n + v.size, 0);
  tf.dispose([ids, mask]);
  if (state) disposeLora(state);
  else vars.forEach((v) => v.dispose());
  return { peakBytes: profile.peakBytes - start, trainableParams };
}
