// Studio defaults: the default TrainConfig per method, one-line help for every setting, presets,
// the model choices, and the test-mode URL overrides (?test=1&steps=..&batch=..&seqLen=..).
import type { BackendChoice, ModelSource } from './protocol';
import type { Method, TrainConfig } from './engine/types';

// Re-exported so UI code gets the config types without importing lib/engine.
export type { Method, ScheduleKind, TrainConfig } from './engine/types';

export const GPT2_TARGET_MODULES = ['c_attn', 'c_proj', 'c_fc'] as const;

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

/** The numeric settings a person types, as flat keys (LoRA ones prefixed). */
export type NumericField =
  | 'steps'
  | 'batchSize'
  | 'seqLen'
  | 'lr'
  | 'warmupSteps'
  | 'minLrRatio'
  | 'weightDecay'
  | 'clipNorm'
  | 'gradAccum'
  | 'seed'
  | 'evalEvery'
  | 'beta1'
  | 'beta2'
  | 'epsilon'
  | 'loraR'
  | 'loraAlpha'
  | 'loraDropout';

export interface FieldSpec {
  label: string;
  help: string;
  integer: boolean;
  min: number;
  max: number;
  /** When true, `min` itself is not allowed (e.g. lr > 0). */
  minExclusive?: boolean;
  step?: number;
}

// Bounds mirror trainConfigSchema in lib/protocol.ts, so an accepted form always passes the worker's check.
export const FIELD_SPECS: Record<NumericField, FieldSpec> = {
  steps: { label: 'Steps', help: 'Optimizer updates to run.', integer: true, min: 1, max: 100_000 },
  batchSize: { label: 'Batch size', help: 'Sequences per micro-batch; more uses more GPU memory.', integer: true, min: 1, max: 256 },
  seqLen: { label: 'Sequence length', help: 'Tokens per sequence; longer examples are cut.', integer: true, min: 8, max: 8192 },
  lr: { label: 'Learning rate', help: 'Peak step size after warmup.', integer: false, min: 0, max: 1, minExclusive: true, step: 0.0001 },
  warmupSteps: { label: 'Warmup steps', help: 'Steps to ramp the learning rate up from zero.', integer: true, min: 0, max: 100_000 },
  minLrRatio: { label: 'Final LR ratio', help: 'Learning rate at the end, as a fraction of the peak.', integer: false, min: 0, max: 1, step: 0.05 },
  weightDecay: { label: 'Weight decay', help: 'AdamW decay pulling weights toward zero.', integer: false, min: 0, max: 1, step: 0.01 },
  clipNorm: { label: 'Gradient clip', help: 'Largest allowed gradient norm; 0 turns clipping off.', integer: false, min: 0, max: 1e6, step: 0.1 },
  gradAccum: { label: 'Grad accumulation', help: 'Micro-batches summed per update: a bigger batch without more memory.', integer: true, min: 1, max: 64 },
  seed: { label: 'Seed', help: 'Fixes initialisation, shuffling, dropout and the validation split.', integer: true, min: -2_147_483_648, max: 2_147_483_647 },
  evalEvery: { label: 'Eval every', help: 'Steps between validation passes; 0 turns them off.', integer: true, min: 0, max: 100_000 },
  beta1: { label: 'Adam β1', help: 'Momentum of the gradient average.', integer: false, min: 0, max: 1, step: 0.01 },
  beta2: { label: 'Adam β2', help: 'Momentum of the squared-gradient average.', integer: false, min: 0, max: 1, step: 0.001 },
  epsilon: { label: 'Adam ε', help: 'Keeps the Adam update finite when gradients are tiny.', integer: false, min: 0, max: 1, minExclusive: true },
  loraR: { label: 'Rank r', help: 'Size of the low-rank update; higher learns more, costs more.', integer: true, min: 1, max: 256 },
  loraAlpha: { label: 'Alpha', help: 'Scales the update by alpha / r (alpha / √r with rsLoRA).', integer: false, min: 0, max: 1e6, minExclusive: true },
  loraDropout: { label: 'Dropout', help: 'Dropout on the adapter input, against overfitting.', integer: false, min: 0, max: 0.9, step: 0.05 },
};

export const SCHEDULE_HELP = 'How the learning rate moves after warmup.';
export const TARGET_HELP = 'Layers that get an adapter (GPT-2: c_proj covers attention and MLP outputs; Llama: q, k, v, o and the MLP projections).';
export const RSLORA_HELP = 'Rank-stabilised scaling: alpha / √r, steadier at high rank.';
export const METHOD_HELP: Record<Method, string> = {
  lora: 'Trains small low-rank adapters; the base model stays frozen. Fast, light, exports a PEFT adapter.',
  full: 'Trains every weight. Slower and heavier; exports the whole model.',
};
export const FALLBACK_ADAPTER_HELP =
  'Lets WebGPU run on a software adapter (e.g. SwiftShader) when no hardware GPU is exposed, ahead of WebAssembly: works, but slower than WebAssembly (for tests).';

export interface Preset {
  id: string;
  label: string;
  description: string;
  values: Partial<Record<NumericField, number>>;
}

export const PRESETS: Preset[] = [
  { id: 'quick', label: 'Quick look', description: '60 steps, small batches', values: { steps: 60, batchSize: 4, seqLen: 128, warmupSteps: 5, evalEvery: 10 } },
  { id: 'balanced', label: 'Balanced', description: 'The defaults', values: { steps: 200, batchSize: 8, seqLen: 128, warmupSteps: 10, evalEvery: 20 } },
  { id: 'longer', label: 'Longer run', description: '600 steps, longer sequences', values: { steps: 600, batchSize: 8, seqLen: 256, warmupSteps: 30, evalEvery: 50 } },
];

export const DEFAULT_VALIDATION_PERCENT = 10;
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

export interface ModelOption {
  name: string;
  label: string;
  description: string;
  source: ModelSource;
}

export function modelOptions(testMode: boolean): ModelOption[] {
  const demo: ModelOption = {
    name: 'webtune-demo',
    label: 'webtune-demo',
    description: 'Small GPT-2 architecture model bundled with the studio.',
    source: { kind: 'url', name: 'webtune-demo', baseUrl: '/models/webtune-demo/' },
  };
  if (!testMode) return [demo];
  const tiny: ModelOption = {
    name: 'tiny-random',
    label: 'tiny-random (test mode)',
    description: 'A tiny randomly initialised GPT-2 with the demo tokenizer, for fast test runs.',
    source: { kind: 'tiny-random', name: 'tiny-random', tokenizerUrl: '/models/webtune-demo/', seed: 0 },
  };
  return [tiny, demo];
}

export type SearchParams = Record<string, string | string[] | undefined>;

export interface StudioSettings {
  testMode: boolean;
  /** Test-mode overrides of the defaults, read from the URL. */
  overrides: Partial<Record<NumericField, number>>;
}

const URL_OVERRIDES: Record<string, NumericField> = {
  steps: 'steps',
  batch: 'batchSize',
  seqLen: 'seqLen',
  evalEvery: 'evalEvery',
};

/** Reads ?test=1 and, in test mode only, the numeric overrides. Unparseable values are ignored. */
export function settingsFromSearchParams(params: SearchParams): StudioSettings {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const testMode = first(params.test) === '1' || first(params.test) === 'true';
  const overrides: Partial<Record<NumericField, number>> = {};
  if (testMode) {
    for (const [param, field] of Object.entries(URL_OVERRIDES)) {
      const raw = first(params[param]);
      if (raw === undefined || raw.trim() === '') continue;
      const n = Number(raw);
      if (Number.isFinite(n)) overrides[field] = n;
    }
  }
  return { testMode, overrides };
}
