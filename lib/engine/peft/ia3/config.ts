// IA3's settings as PEFT's IA3Config (target_modules, feedforward_modules): declared once with defaults and help,
// PEFT's default targets per model type, and the trainable count for the planner. No tfjs here.
import { layerOf, linearModules, matchesTarget } from '../../params';
import { isGpt2, type ModelConfig } from '../../types';
import type { MethodField, ModuleChoices } from '../fields';
import { defineSpec, methodConfigSlot } from '../spec';

export interface Ia3Config {
  targetModules: string[];
  /** Modules whose input is scaled (PEFT feedforward_modules); a subset of targetModules. */
  feedforwardModules: string[];
}

/** PEFT's TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING and ..._FEEDFORWARD_MODULES_MAPPING for our types. */
const PEFT_DEFAULTS: Record<string, Ia3Config> = {
  gpt2: { targetModules: ['c_attn', 'mlp.c_proj'], feedforwardModules: ['mlp.c_proj'] },
  llama: { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] },
  mistral: { targetModules: ['k_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] },
  qwen2: { targetModules: ['q_proj', 'v_proj', 'down_proj'], feedforwardModules: ['down_proj'] },
};

/** PEFT's defaults for this model's type. */
export function ia3DefaultsFor(model: ModelConfig): Ia3Config {
  const d = PEFT_DEFAULTS[model.model_type];
  if (!d) throw new Error(`IA3 has no default target modules for model_type "${model.model_type}"; name them`);
  return { targetModules: [...d.targetModules], feedforwardModules: [...d.feedforwardModules] };
}

/** Module names that single out each linear (GPT-2's two c_proj as attn.c_proj and mlp.c_proj). */
function ia3ModuleNames(model: ModelConfig): string[] {
  return isGpt2(model) ? ['c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] : ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
}

function targetChoices(model: ModelConfig): ModuleChoices {
  return { all: ia3ModuleNames(model), presets: [
    { id: 'peft-default', label: "PEFT's default", modules: ia3DefaultsFor(model).targetModules },
    { id: 'all-linear', label: 'All linear layers', modules: ia3ModuleNames(model) },
  ] };
}

function feedforwardChoices(model: ModelConfig): ModuleChoices {
  return { all: ia3ModuleNames(model), presets: [{ id: 'peft-default', label: "PEFT's default", modules: ia3DefaultsFor(model).feedforwardModules }] };
}

const IA3_FIELDS = {
  targetModules: {
    kind: 'modules', label: 'Target modules', flag: 'ia3-targets', default: PEFT_DEFAULTS.gpt2.targetModules, choices: targetChoices,
    help: 'Layers that get a learned scaling vector (PEFT default: GPT-2 c_attn and mlp.c_proj; Llama k, v and down projections).',
  },
  feedforwardModules: {
    kind: 'modules', label: 'Feed-forward modules', flag: 'ia3-feedforward', default: PEFT_DEFAULTS.gpt2.feedforwardModules, choices: feedforwardChoices,
    help: 'Targets whose input is scaled instead of their output (PEFT feedforward_modules); must also be targets.',
  },
} satisfies Record<keyof Ia3Config, MethodField>;

/** The adapted modules: path -> feed-forward (input scaled) or not (output scaled), with the vector's length. */
export function ia3Modules(model: ModelConfig, c: Ia3Config): Map<string, { feedforward: boolean; size: number }> {
  const out = new Map<string, { feedforward: boolean; size: number }>();
  for (const [path, { fanIn, fanOut }] of linearModules(model)) {
    if (!matchesTarget(path, c.targetModules)) continue;
    const feedforward = matchesTarget(path, c.feedforwardModules);
    out.set(path, { feedforward, size: feedforward ? fanIn : fanOut });
  }
  return out;
}

export function countIa3Params(model: ModelConfig, c: Ia3Config): number {
  let n = 0;
  for (const { size } of ia3Modules(model, c).values()) n += size;
  return n;
}

export const ia3Spec = defineSpec({
  id: 'ia3' as const,
  label: 'IA3',
  help: 'Learns one scaling vector per chosen layer: the fewest trainable weights and the least memory, fast; usually learns less than LoRA.',
  exports: 'adapter',
  needsFloatBase: 'it scales the feed-forward input inside the frozen product',
  merges: true,
  folderSuffix: 'ia3',
  cardTag: 'ia3',
  memoryProfile: 'lora',
  optimizer: { lr: 1e-2, weightDecay: 0 }, // PEFT's IA3 examples use large steps: the vectors start at 1
  fields: IA3_FIELDS,
  ...methodConfigSlot<Ia3Config>('ia3', IA3_FIELDS),
  count: (model, c) => countIa3Params(model, c),
  shape: (model, c) => {
    const all = linearModules(model);
    const modules = [...ia3Modules(model, c)].map(([path, m]) => ({ layer: layerOf(path), ...all.get(path)!, input: m.feedforward }));
    return { kind: 'ia3', modules };
  },
});
