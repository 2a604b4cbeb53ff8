// Engine defaults: the TrainConfig a run starts from, per method (the studio, the CLI and the benches share it).
// Method-dependent settings (lr, weight decay) come from the method's spec in the registry.
import { methodSpec } from './peft/registry';
import type { Method, TrainConfig } from './types';

export function defaultTrainConfig(method: Method = 'lora'): TrainConfig {
  const { lr, weightDecay } = methodDefaults(method);
  return {
    method,
    steps: 200,
    batchSize: 8,
    gradAccum: 1,
    seqLen: 128, // an upper bound: batches are padded only to their longest example (Alpaca prompts take ~70 tokens)
    lr,
    weightDecay,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    warmupSteps: 10,
    schedule: 'cosine',
    minLrRatio: 0.1,
    clipNorm: 1.0,
    seed: 42,
    evalEvery: 20,
    // The studio adapts attention and both output projections by default (PEFT's own default is c_attn alone).
    lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn', 'c_proj'], useRslora: false },
  };
}

/** Settings that differ between methods (a small adapter tolerates, and needs, a larger step); the rest is shared. */
export function methodDefaults(method: Method): { lr: number; weightDecay: number } {
  return { ...methodSpec(method).optimizer };
}
