// Engine defaults: the TrainConfig a run starts from, per method (the studio, the CLI and the benches share it).
import type { Method, TrainConfig } from './types';

/** Settings that differ between LoRA and full fine-tuning; the rest is shared. */
const METHOD_DEFAULTS: Record<Method, { lr: number; weightDecay: number }> = {
  lora: { lr: 2e-3, weightDecay: 0 }, // a small adapter tolerates (and needs) a larger step
  full: { lr: 3e-4, weightDecay: 0.01 },
};

export function defaultTrainConfig(method: Method = 'lora'): TrainConfig {
  return {
    method,
    steps: 200,
    batchSize: 8,
    gradAccum: 1,
    seqLen: 128, // an upper bound: batches are padded only to their longest example (Alpaca prompts take ~70 tokens)
    lr: METHOD_DEFAULTS[method].lr,
    weightDecay: METHOD_DEFAULTS[method].weightDecay,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    warmupSteps: 10,
    schedule: 'cosine',
    minLrRatio: 0.1,
    clipNorm: 1.0,
    seed: 42,
    evalEvery: 20,
    lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn', 'c_proj'], useRslora: false },
  };
}

export function methodDefaults(method: Method): { lr: number; weightDecay: number } {
  return METHOD_DEFAULTS[method];
}
