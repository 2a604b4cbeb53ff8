// Measures the memory training really takes on tfjs, for calibrating and checking the memory planner: one
// forward + backward pass of the training objective (what the activation coefficients are fitted to), and a whole
// trainer step with its optimizer (what the planner's total is checked against). Used by
// scripts/calibrate-memory.ts, memory-plan.test.ts and the benchmark.
import * as tf from '@tensorflow/tfjs';
import { makeBatch, type Batch } from './batch';
import type { ChunkOptions } from './chunked-loss';
import { defaultTrainConfig } from './defaults';
import { causalLmBatchLoss } from './objective';
import type { PackedWeight } from './packed-weights';
import { peftMethod } from './peft/methods';
import type { TrainRow } from './objectives/types';
import { Trainer } from './trainer';
import type { Example, LoraConfig, Method, ModelConfig, TrainConfig, WeightMap } from './types';

export interface StepMeasurement {
  /** Peak bytes above what was allocated before the step (activations, gradients, temporaries). */
  peakBytes: number;
  trainableParams: number;
}

export interface MeasureOptions {
  checkpointing?: boolean;
  chunk?: ChunkOptions;
}

/** B examples of exactly T tokens, every target counted (the planner's worst case). */
export function fullExamples(config: ModelConfig, B: number, T: number): Example[] {
  const V = config.vocab_size;
  return Array.from({ length: B }, (_, b) => {
    const ids = Array.from({ length: T }, (_, t) => ((b * T + t) * 7 + 1) % V);
    return { ids, mask: ids.map(() => 1) };
  });
}

/** One forward + backward pass of the causal LM objective on a [B, T] batch; weights are not changed or kept. */
export async function measureStepPeak(
  config: ModelConfig, weights: WeightMap, method: Method, B: number, T: number, lora: LoraConfig, o: MeasureOptions = {},
): Promise<StepMeasurement> {
  const train = { ...defaultTrainConfig(method), lora: { ...lora, dropout: 0 } };
  const state = peftMethod(method).create(config, weights, train, 1);
  const vars = state.variables;
  const batch: Batch = makeBatch(fullExamples(config, B, T), T, 0);
  const start = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    const opts = { adapter: state.adapter, training: true, checkpointing: o.checkpointing ?? false };
    const { value, grads } = tf.variableGrads(() => causalLmBatchLoss(config, state.weights, batch, opts, o.chunk), vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const trainableParams = vars.reduce((n, v) => n + v.size, 0);
  state.dispose();
  return { peakBytes: profile.peakBytes - start, trainableParams };
}

/** Peak bytes above the loaded model of creating a trainer and running `steps` optimizer steps of [B, T]:
 * adapter or trained copy, optimizer moments, gradients, activations, clipping and update temporaries. `rows`
 * (preference pairs, KTO answers) replace the default full-length causal LM examples. */
export async function measureTrainerPeak(config: ModelConfig, weights: WeightMap, cfg: TrainConfig, steps = 2, rows?: TrainRow[], packed?: Map<string, PackedWeight>): Promise<number> {
  const data = rows ?? fullExamples(config, cfg.batchSize, cfg.seqLen);
  const start = tf.memory().numBytes;
  let trainer: Trainer | null = null;
  const profile = await tf.profile(async () => {
    trainer = new Trainer({ config, weights, packed }, data, [], { ...cfg, steps });
    await trainer.run();
  });
  (trainer as Trainer | null)?.dispose();
  return profile.peakBytes - start;
}
