// LoRA's settings as PEFT's LoraConfig (r, lora_alpha, lora_dropout, target_modules, use_rslora, layers_to_transform):
// declared once with defaults and help, checked, and counted for the memory planner. No tfjs here.
import { adaptedModules, countLoraParams, loraTargetPresets, patternValue, planModules } from '../../params';
import { isGpt2, type LoraConfig, type ModelConfig, type TrainConfig } from '../../types';
import { defineSpec } from '../spec';
import type { MethodField, ModuleChoices } from '../fields';

export const LORA_FIELDS = {
  r: { kind: 'number', label: 'Rank r', help: 'Size of the low-rank update; higher learns more, costs more.', default: 8, integer: true, min: 1, max: 256 },
  alpha: { kind: 'number', label: 'Alpha', help: 'Scales the update by alpha / r (alpha / √r with rsLoRA).', default: 16, integer: false, min: 0, max: 1e6, minExclusive: true },
  dropout: { kind: 'number', label: 'Dropout', help: 'Dropout on the adapter input, against overfitting.', default: 0.05, integer: false, min: 0, max: 0.9, step: 0.05 },
  targetModules: {
    kind: 'modules', label: 'Target modules', flag: 'lora-targets', testId: 'target', default: ['c_attn'], choices: loraTargetChoices,
    help: 'Layers that get an adapter (GPT-2: c_proj covers attention and MLP outputs; Llama: q, k, v, o and the MLP projections).',
  },
  useRslora: { kind: 'boolean', label: 'rsLoRA', flag: 'lora-rslora', testId: 'rslora', default: false, help: 'Rank-stabilised scaling: alpha / √r, steadier at high rank.' },
  layersToTransform: {
    kind: 'layers', label: 'Layers', flag: 'lora-layers', testId: 'lora-layers', default: null,
    help: 'Blocks that get adapters, e.g. 0,1 (PEFT layers_to_transform); empty means every block.',
  },
  rankPattern: {
    kind: 'pattern', label: 'Rank per module', flag: 'lora-rank-pattern', testId: 'lora-rank-pattern', default: {}, integer: true, min: 1, max: 256,
    help: 'Ranks other than r for some modules, by name or path, e.g. v_proj=16, layers.0.self_attn.q_proj=4 (PEFT rank_pattern).',
  },
  alphaPattern: {
    kind: 'pattern', label: 'Alpha per module', flag: 'lora-alpha-pattern', testId: 'lora-alpha-pattern', default: {}, integer: false, min: 0, max: 1e6, minExclusive: true,
    help: 'Alphas other than alpha for some modules, by name or path, e.g. v_proj=32 (PEFT alpha_pattern).',
  },
} satisfies Record<keyof LoraConfig, MethodField>;

/** The modules LoRA can wrap in this model and the presets: attention only, attention + MLP (GPT-2: c_attn and
 * c_proj, which names both output projections; in Llama that is every linear) and all linear layers. */
export function loraTargetChoices(model: ModelConfig): ModuleChoices {
  const { all, presets } = loraTargetPresets(model);
  const list = [{ id: 'attention', label: 'Attention only', modules: presets.attention }];
  if (isGpt2(model)) list.push({ id: 'attention-mlp', label: 'Attention + MLP outputs', modules: ['c_attn', 'c_proj'] });
  list.push({ id: 'all-linear', label: 'All linear layers', modules: presets['all-linear'] });
  return { all, presets: list };
}

export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0.05, targetModules: ['c_attn'], useRslora: false };

/** DEFAULT_LORA with the model family's attention targets (GPT-2: c_attn; Llama: q, k, v, o projections). */
export function defaultLoraFor(config: ModelConfig): LoraConfig {
  return { ...DEFAULT_LORA, targetModules: loraTargetPresets(config).presets.attention };
}

/** Fills defaults and rejects values PEFT would reject. */
export function loraConfig(partial: Partial<LoraConfig> = {}): LoraConfig {
  const c: LoraConfig = { ...DEFAULT_LORA, ...partial, targetModules: [...(partial.targetModules ?? DEFAULT_LORA.targetModules)] };
  if (!Number.isInteger(c.r) || c.r <= 0) throw new Error(`LoRA r must be a positive integer (got ${c.r})`);
  if (!(c.alpha > 0)) throw new Error(`LoRA alpha must be positive (got ${c.alpha})`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`LoRA dropout must be in [0, 1) (got ${c.dropout})`);
  if (c.targetModules.length === 0) throw new Error('LoRA needs at least one target module');
  const layers = c.layersToTransform;
  if (layers != null && (layers.length === 0 || layers.some((l) => !Number.isInteger(l) || l < 0))) {
    throw new Error(`LoRA layers_to_transform must list block indices (got ${JSON.stringify(layers)})`);
  }
  return c;
}

export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** r, alpha and scaling of one module, with rank_pattern / alpha_pattern applied (PEFT's _create_and_replace).
 * `peftPath` is the module's path as PEFT names it (GPT-2: transformer.h.0.attn.c_attn). */
export function moduleRank(c: LoraConfig, peftPath: string): { r: number; alpha: number; scaling: number } {
  const r = patternValue(c.rankPattern, peftPath) ?? c.r;
  const alpha = patternValue(c.alphaPattern, peftPath) ?? c.alpha;
  return { r, alpha, scaling: loraScaling({ r, alpha, useRslora: c.useRslora }) };
}

/** `train` with LoRA settings `c` (LoRA's and DoRA's place). Every-layer selection and empty patterns are left out,
 * so such configs stay as they were before those settings existed. */
export function storeLora(train: TrainConfig, { layersToTransform, rankPattern, alphaPattern, ...c }: LoraConfig): TrainConfig {
  const lora: LoraConfig = { ...c };
  if (layersToTransform != null) lora.layersToTransform = layersToTransform;
  if (rankPattern && Object.keys(rankPattern).length > 0) lora.rankPattern = rankPattern;
  if (alphaPattern && Object.keys(alphaPattern).length > 0) lora.alphaPattern = alphaPattern;
  return { ...train, lora };
}

export const loraSpec = defineSpec({
  id: 'lora' as const,
  label: 'LoRA',
  help: 'Trains small low-rank adapters; the base model stays frozen. Fast, light, exports a PEFT adapter.',
  exports: 'adapter',
  merges: true,
  folderSuffix: 'lora',
  cardTag: 'lora',
  memoryProfile: 'lora',
  optimizer: { lr: 2e-3, weightDecay: 0 }, // a small adapter tolerates (and needs) a larger step
  fields: LORA_FIELDS,
  configOf: (train) => train.lora,
  store: storeLora,
  count: (model, c) => countLoraParams(model, c),
  shape: (model, c) => ({ kind: 'lora', modules: planModules(adaptedModules(model, c)) }),
});
