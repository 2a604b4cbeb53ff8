// UI copy: the label, bounds and one line of help of every shared setting (each method's own come from its spec
// in the registry), the schedule help, and the named presets. Plain data, safe to import from components.
import { METHOD_SPECS } from './engine/peft/registry';
import { packedBaseRefusal } from './engine/peft/spec';
import { methodFields, type MethodFieldKey } from './stores/method-form';

// Re-exported so UI code gets the config types and the method registry's specs without importing lib/engine.
export type { Method, ScheduleKind, TrainConfig } from './engine/types';
export type { MethodField } from './engine/peft/fields';
export { METHOD_SPECS, methodSpec } from './engine/peft/registry';

/** The module names offered before a model is loaded (the demo model is a GPT-2). */
export const GPT2_TARGET_MODULES = ['c_attn', 'c_proj', 'c_fc'] as const;

/** The shared numeric settings a person types. */
export type BaseField =
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
  | 'replayShare'
  | 'beta1'
  | 'beta2'
  | 'epsilon';

/** Every numeric setting as a flat key: the shared ones and each method's own ('loraR', 'loraAlpha', ...). */
export type NumericField = BaseField | MethodFieldKey;

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

// Bounds mirror trainConfigSchema in lib/train-worker/protocol.ts, so an accepted form always passes the worker's check.
const BASE_FIELD_SPECS: Record<BaseField, FieldSpec> = {
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
  replayShare: {
    label: 'Replay share', integer: false, min: 0, max: 0.95, step: 0.05,
    help: 'Share of each batch taken from general English text shipped with the studio; limits forgetting (0 = off).',
  },
  beta1: { label: 'Adam β1', help: 'Momentum of the gradient average.', integer: false, min: 0, max: 1, step: 0.01 },
  beta2: { label: 'Adam β2', help: 'Momentum of the squared-gradient average.', integer: false, min: 0, max: 1, step: 0.001 },
  epsilon: { label: 'Adam ε', help: 'Keeps the Adam update finite when gradients are tiny.', integer: false, min: 0, max: 1, minExclusive: true },
};

/** The number fields of every method, from the registry, under their form keys. */
function methodNumberSpecs(): Partial<Record<MethodFieldKey, FieldSpec>> {
  const out: Partial<Record<MethodFieldKey, FieldSpec>> = {};
  for (const spec of METHOD_SPECS) {
    for (const [key, , f] of methodFields(spec.id)) if (f.kind === 'number') out[key] = f;
  }
  return out;
}

/** Every numeric field the form shows, shared and per method. Only number fields have an entry: a method's
 * other fields (modules, flags, layer lists) are looked up in its spec. */
export const FIELD_SPECS = { ...BASE_FIELD_SPECS, ...methodNumberSpecs() } as Record<NumericField, FieldSpec>;

export const SCHEDULE_HELP = 'How the learning rate moves after warmup.';
export const FALLBACK_ADAPTER_HELP =
  'Lets WebGPU run on a software adapter (e.g. SwiftShader) when no hardware GPU is exposed, ahead of WebAssembly: works, but slower than WebAssembly (for tests).';

const listed = (labels: string[]) => (labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}` : labels.join(''));
const packable = METHOD_SPECS.filter((s) => packedBaseRefusal(s) === null).map((s) => s.label);
const needsF32 = METHOD_SPECS.filter((s) => packedBaseRefusal(s) !== null).map((s) => s.label);
export const BASE_WEIGHTS_HELP =
  `float16 halves and int8 quarters the memory of the frozen block weights (as QLoRA does) for ${listed(packable)}; outputs move by the rounding (demo model, int8: 98.75% of top-1 tokens unchanged, the same exact-match score after LoRA). WebGPU widens them inside its matmul kernel; WebAssembly a block of rows at a time (slower per step). ${listed(needsF32)} need float32.`;
export const BASE_WEIGHT_CHOICES = [
  { value: 'f32', label: 'float32 (exact)' },
  { value: 'f16', label: 'float16 (half the memory)' },
  { value: 'int8', label: 'int8 (a quarter of the memory)' },
] as const;

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
